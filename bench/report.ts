import type { ControlPlaneResult } from './control-plane.js';
import type { GoalResult } from './goals.js';
import type { LiveChangeResult } from './live-change.js';
import { readFile, writeFile } from 'node:fs/promises';
import type { Measurement, Scenario } from './scenarios.js';

/** Turns the raw measurements into the JSON document and the markdown tables of docs/benchmarks.md. */

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  mosquitto: string;
  aedes: string;
  kernel: string;
  memoryGB: number;
  loadAvgStart: number[];
  loadAvgEnd?: number[];
}

export interface TargetInfo {
  name: string;
  label: string;
  /** Why the target did not run, when it did not. */
  skipped?: string;
}

export interface Summary {
  scenario: string;
  target: string;
  runs: number;
  value: number | null;
  brokerCpu: number | null;
  genCpu: number | null;
  extra: Record<string, number | string | boolean>;
  errors: string[];
  vsMosquitto: number | null;
  vsBareAedes: number | null;
  /** ÷ the same broker on the aedes core (AEDES_CORE_OF): lean core vs aedes, bare or inside Aviary. */
  vsAedesCore: number | null;
}

export interface BenchDocument {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  reps: number;
  machine: Machine;
  targets: TargetInfo[];
  scenarios: Array<Pick<Scenario, 'id' | 'title' | 'unit' | 'better'>>;
  summary: Summary[];
  measurements: Measurement[];
  soak?: Measurement;
  /** RPC face throughput (bench/control-plane.ts), when that part ran. */
  controlPlane?: ControlPlaneResult[];
  /** Control-plane change → live connection closed (bench/live-change.ts), when that part ran. */
  liveChange?: LiveChangeResult[];
  /** Issue 6's targets evaluated on Aviary (lean core), Aviary (aedes core) beside it (goals.ts). */
  goals?: GoalResult[];
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** The Mosquitto run a scenario is compared with: without queue limits where the scenario asks for it. */
export function baselineOf(s: Pick<Scenario, 'alsoOn'>): string {
  return s.alsoOn?.includes('mosquitto-unlimited') ? 'mosquitto-unlimited' : 'mosquitto';
}

/** The same broker on the aedes core: what a lean-core target is compared with ("lean core vs aedes"). */
export const AEDES_CORE_OF: Readonly<Record<string, string>> = { lean: 'aedes', aviary: 'aviary-aedes' };

/** Ratio columns beyond the per-target ones: `base: 'mosquitto'` stands for the scenario's Mosquitto run. */
export const CORE_COMPARISONS: ReadonlyArray<{ target: string; base: string }> = [
  { target: 'aviary', base: 'aviary-aedes' },
  { target: 'lean', base: 'aedes' },
  { target: 'lean', base: 'mosquitto' },
];

export function summarize(scenarios: Scenario[], targets: TargetInfo[], ms: Measurement[]): Summary[] {
  const out: Summary[] = [];
  for (const s of scenarios) {
    const rows: Summary[] = [];
    for (const t of targets) {
      const runs = ms.filter((m) => m.scenario === s.id && m.target === t.name);
      if (runs.length === 0) continue;
      const ok = runs.filter((m) => m.value !== null && Number.isFinite(m.value));
      const value = median(ok.map((m) => m.value!));
      // Extras and CPU come from the run whose value is the median, so a row describes one real run.
      const rep = ok.find((m) => m.value === value) ?? runs[0];
      rows.push({
        scenario: s.id,
        target: t.name,
        runs: runs.length,
        value,
        brokerCpu: rep.brokerCpu,
        genCpu: rep.genCpu,
        extra: rep.extra,
        errors: runs.filter((m) => m.error).map((m) => m.error!),
        vsMosquitto: null,
        vsBareAedes: null,
        vsAedesCore: null,
      });
    }
    const base = rows.find((r) => r.target === baselineOf(s)) ?? rows.find((r) => r.target === 'mosquitto');
    const aedes = rows.find((r) => r.target === 'aedes');
    for (const r of rows) {
      r.vsMosquitto = ratio(r.value, base?.value);
      r.vsBareAedes = r.target.startsWith('mosquitto') ? null : ratio(r.value, aedes?.value);
      const other = AEDES_CORE_OF[r.target];
      r.vsAedesCore = other === undefined ? null : ratio(r.value, rows.find((x) => x.target === other)?.value);
    }
    out.push(...rows);
  }
  return out;
}

/** value(target) ÷ value(base) in one scenario, from the summary rows. */
export function ratioIn(summary: Summary[], s: Pick<Scenario, 'id' | 'alsoOn'>, target: string, base: string): number | null {
  const row = (name: string) => summary.find((x) => x.scenario === s.id && x.target === name);
  const b = base === 'mosquitto' ? (row(baselineOf(s)) ?? row('mosquitto')) : row(base);
  return ratio(row(target)?.value, b?.value);
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

export function fmt(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (Number.isInteger(n)) return n.toLocaleString('en-US') + unit;
  const abs = Math.abs(n);
  const s = abs >= 1000 ? Math.round(n).toLocaleString('en-US') : abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : n.toFixed(2);
  return s + unit;
}

export function fmtRatio(n: number | null): string {
  return n === null ? '—' : `${n.toFixed(2)}×`;
}

/**
 * Extras not shown in the table. The "written/s" counters of flooding publishers were dropped: they count
 * what the kernel's socket buffers accepted (megabytes on loopback), not what the broker read.
 */
const HIDDEN = new Set(['rssSeriesMB', 'writtenPerSec', 'publishedPerSec', 'offeredPerSec', 'offeredAfterKillPerSec']);

function notes(s: Summary): string {
  const parts = Object.entries(s.extra)
    .filter(([k, v]) => !(k === 'crashed' && v === false) && !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`);
  const errors = new Set(s.errors.map((e) => e.replace(/\|/g, '/').replace(/file:\/\/|\/\S*node_modules\//g, '').replace(/\s+/g, ' ').slice(0, 140)));
  if (errors.size > 0) parts.push(`**${s.errors.length}/${s.runs} run(s) failed: ${[...errors].join('; ')}**`);
  return parts.join(', ');
}

export function markdown(doc: BenchDocument, scenarios: Scenario[]): string {
  const m = doc.machine;
  const label = new Map(doc.targets.map((t) => [t.name, t.label]));
  const lines: string[] = [];
  lines.push(`### ${doc.mode === 'full' ? 'Full' : 'Quick'} run, ${doc.startedAt.replace('T', ' ').slice(0, 16)} UTC`);
  lines.push('');
  lines.push(
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGB} GB, Linux ${m.kernel}; Node ${m.node}; ${m.mosquitto}; aedes ${m.aedes}. ` +
      `Load average at start ${m.loadAvgStart.map((x) => x.toFixed(2)).join(' / ')}` +
      (m.loadAvgEnd ? `, at end ${m.loadAvgEnd.map((x) => x.toFixed(2)).join(' / ')}` : '') +
      '. 64-byte payloads, loopback; ' +
      (doc.reps > 1 ? `medians of ${doc.reps} runs, target order rotating between runs` : 'one run each') +
      (doc.mode === 'full' ? '.' : ' (quick mode: 1 s warm-up, 2 s windows; indicative, not a reference).'),
  );
  const skipped = doc.targets.filter((t) => t.skipped);
  if (skipped.length > 0) {
    lines.push('');
    for (const t of skipped) lines.push(`- **${t.label} not measured:** ${t.skipped}`);
  }
  lines.push('');
  lines.push(
    'Ratios (value ÷ value; for µs, KB and ms lower is better, elsewhere higher is better; scenarios that also run ' +
      'Mosquitto without queue limits, i.e. the QoS 1 fan-in, are compared with that run):',
  );
  lines.push('');
  const ratioTargets = doc.targets.filter((t) => !t.skipped && !t.name.startsWith('mosquitto'));
  lines.push(`| scenario | ${ratioTargets.map((t) => `${t.label} / Mosquitto`).join(' | ')} | ${ratioTargets.filter((t) => t.name !== 'aedes').map((t) => `${t.label} / bare aedes`).join(' | ')} |`);
  lines.push(`|---|${ratioTargets.map(() => '---:').join('|')}|${ratioTargets.filter((t) => t.name !== 'aedes').map(() => '---:').join('|')}|`);
  for (const s of scenarios) {
    const row = (t: TargetInfo) => doc.summary.find((x) => x.scenario === s.id && x.target === t.name);
    lines.push(
      `| ${s.id} (${s.unit}) | ${ratioTargets.map((t) => fmtRatio(row(t)?.vsMosquitto ?? null)).join(' | ')} | ${ratioTargets
        .filter((t) => t.name !== 'aedes')
        .map((t) => fmtRatio(row(t)?.vsBareAedes ?? null))
        .join(' | ')} |`,
    );
  }
  const ran = new Set(doc.targets.filter((t) => !t.skipped).map((t) => t.name));
  const pairs = CORE_COMPARISONS.filter((p) => ran.has(p.target) && ran.has(p.base));
  if (pairs.length > 0) {
    const name = (n: string) => (n === 'mosquitto' ? 'Mosquitto' : (label.get(n) ?? n));
    lines.push('');
    lines.push('Lean core against aedes (the same broker on each core) and against Mosquitto:');
    lines.push('');
    lines.push(`| scenario | ${pairs.map((p) => `${name(p.target)} / ${name(p.base)}`).join(' | ')} |`);
    lines.push(`|---|${pairs.map(() => '---:').join('|')}|`);
    for (const s of scenarios) lines.push(`| ${s.id} (${s.unit}) | ${pairs.map((p) => fmtRatio(ratioIn(doc.summary, s, p.target, p.base))).join(' | ')} |`);
  }
  lines.push('');
  lines.push('Figures, with the CPU of the broker and of the load generators over the measurement window (in cores); "vs aedes core" is the same broker on aedes (bare lean core ÷ bare aedes, Aviary (lean core) ÷ Aviary (aedes core)):');
  lines.push('');
  lines.push('| scenario | target | value | vs Mosquitto | vs bare aedes | vs aedes core | broker CPU | generator CPU | notes |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const s of scenarios) {
    for (const r of doc.summary.filter((x) => x.scenario === s.id)) {
      lines.push(
        `| ${s.id} | ${label.get(r.target) ?? r.target} | ${fmt(r.value)} ${s.unit} | ${fmtRatio(r.vsMosquitto)} | ${fmtRatio(r.vsBareAedes)} | ${fmtRatio(r.vsAedesCore)} | ${fmt(r.brokerCpu)} | ${fmt(r.genCpu)} | ${notes(r)} |`,
      );
    }
  }
  if (doc.soak) {
    const k = doc.soak;
    lines.push('');
    lines.push(
      `Soak (${label.get(k.target) ?? k.target}, flood with the subscriber killed half-way): delivered ${fmt(k.value)} msg/s before the kill, ` +
        `alive=${k.extra.alive}, peak RSS ${k.extra.peakRssMB} MB, end RSS ${k.extra.endRssMB} MB, RSS series (MB) ${k.extra.rssSeriesMB}` +
        (k.error ? `; **${k.error}**` : '') +
        '.',
    );
  }
  lines.push('');
  lines.push(`Raw data: \`bench/results/${doc.startedAt.replace(/[:.]/g, '-')}.json\` (not committed).`);
  return lines.join('\n');
}

/** Replaces the generated section for this mode in docs/benchmarks.md, keeping the hand-written text. */
export async function updateDoc(path: string, mode: 'quick' | 'full', section: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = '# Benchmarks\n\nGenerated by `npm run bench` (quick) and `npm run bench -- --full`.\n';
  }
  const start = `<!-- bench:${mode}:start -->`;
  const end = `<!-- bench:${mode}:end -->`;
  const block = `${start}\n${section}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(path, text);
}

/** Markdown table of the control-plane figures (appended to the generated section). */
export function controlPlaneMarkdown(results: ControlPlaneResult[] | undefined): string {
  if (!results?.length) return '';
  const rows = results.map((r) => `| ${r.action} | ${r.perSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors} | ${r.apiCores} |`);
  return ['', '', '#### Control plane (RPC face, signature v1, 16 concurrent keep-alive clients)', '', '| action | req/s | p50 ms | p99 ms | errors | API CPU (cores) |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** Markdown table of the live-change latencies (appended to the generated section). */
export function liveChangeMarkdown(results: LiveChangeResult[] | undefined): string {
  if (!results?.length) return '';
  const rows = results.map((r) => `| ${r.change} | ${r.rounds} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} |`);
  return ['', '', '#### Control-plane change reaching live connections (API call returned → connection closed)', '', '| change | rounds | p50 ms | p99 ms | max ms |', '|---|---|---|---|---|', ...rows].join('\n');
}
