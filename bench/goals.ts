import { baselineOf, fmt, fmtRatio, type BenchDocument, type Summary } from './report.js';
import type { Scenario } from './scenarios.js';

/**
 * Issue 6's targets, evaluated from a run: on Aviary (lean core) — the broker as deployed — with Aviary
 * (aedes core) beside it, so one table shows before and after the core swap. Only what a figure decides
 * gets a verdict; the rest (is an RSS "bounded"?) shows its figures and is left to the reader.
 */

export const GOAL_TARGETS = ['aviary', 'aviary-aedes'] as const;

export interface GoalCell {
  /** The figure(s) behind the verdict, with broker and generator CPU. */
  shown: string;
  /** null: no verdict (no figure, or not decidable from one run). */
  met: boolean | null;
  /** A machine-bound figure makes the verdict uncertain (2 cores shared by broker and generators). */
  uncertain?: string;
}

export interface GoalResult {
  goal: string;
  required: string;
  /** Per target name (GOAL_TARGETS). */
  results: Record<string, GoalCell>;
}

type Doc = Pick<BenchDocument, 'machine' | 'summary' | 'targets' | 'controlPlane' | 'liveChange'>;
type Sc = Pick<Scenario, 'id' | 'unit' | 'better' | 'alsoOn'>;

interface Goal {
  goal: string;
  required: string;
  scenario?: string;
  cell(doc: Doc, target: string, s: Sc | undefined): GoalCell;
}

const NONE: GoalCell = { shown: '—', met: null };

function row(doc: Doc, s: Sc, target: string): Summary | undefined {
  return doc.summary.find((x) => x.scenario === s.id && x.target === target);
}

/** "64,147 msg/s delivered, 1.10 + 0.37 cores" (broker + generators); failed runs are counted. */
function figure(r: Summary, unit: string): string {
  const failed = r.errors.length > 0 ? `, **${r.errors.length}/${r.runs} run(s) failed**` : '';
  return `${fmt(r.value)} ${unit}, ${fmt(r.brokerCpu)} + ${fmt(r.genCpu)} cores${failed}`;
}

/** Broker and generators together near the machine's cores: the figure is the machine's, not the broker's. */
function machineBound(doc: Doc, r: Summary | undefined): boolean {
  return r !== undefined && r.brokerCpu !== null && r.genCpu !== null && r.brokerCpu + r.genCpu >= 0.9 * doc.machine.cpus;
}

/** value ÷ a baseline's value (the scenario's Mosquitto run, or bare aedes) against a threshold. */
function ratioGoal(goal: string, required: string, scenario: string, base: 'mosquitto' | 'aedes', op: '>=' | '<=', threshold: number): Goal {
  return {
    goal,
    required,
    scenario,
    cell(doc, target, s) {
      const r = s && row(doc, s, target);
      if (!s || !r || r.value === null) return r ? { shown: figure(r, s!.unit), met: null } : NONE;
      const b = base === 'mosquitto' ? (row(doc, s, baselineOf(s)) ?? row(doc, s, 'mosquitto')) : row(doc, s, 'aedes');
      const x = base === 'mosquitto' ? r.vsMosquitto : r.vsBareAedes;
      const baseLabel = doc.targets.find((t) => t.name === b?.target)?.label ?? base;
      const shown = `${fmtRatio(x)} (${figure(r, s.unit)}; ${baseLabel} ${b ? figure(b, s.unit) : '—'})`;
      if (x === null) return { shown, met: null };
      const met = op === '>=' ? x >= threshold : x <= threshold;
      // Higher-is-better figures only: a machine-bound baseline is understated (the ratio is an upper
      // bound, so "met" is uncertain), a machine-bound target is understated ("not met" is uncertain).
      const uncertain =
        s.better !== 'higher' ? undefined : met && machineBound(doc, b) ? `${baseLabel} machine-bound` : !met && machineBound(doc, r) ? 'machine-bound' : undefined;
      return { shown, met, uncertain };
    },
  };
}

function floodCell(doc: Doc, target: string, s: Sc | undefined, what: (r: Summary, mosq: Summary | undefined) => GoalCell): GoalCell {
  const r = s && row(doc, s, target);
  return s && r ? what(r, row(doc, s, 'mosquitto')) : NONE;
}

const GOALS: Goal[] = [
  {
    goal: 'overload flood: alive',
    required: 'alive',
    scenario: 'flood',
    cell: (doc, target, s) =>
      floodCell(doc, target, s, (r) => ({
        shown: `alive=${String(r.extra.alive)}${r.errors.length > 0 ? `, ${r.errors.length}/${r.runs} run(s) failed` : ''}`,
        met: r.extra.alive === true && r.errors.length === 0,
      })),
  },
  {
    goal: 'overload flood: RSS bounded',
    required: 'bounded',
    scenario: 'flood',
    cell: (doc, target, s) =>
      floodCell(doc, target, s, (r, m) => ({
        shown: `peak ${fmt(r.extra.peakRssMB as number)} MB, ${fmt(r.extra.endRssMB as number)} MB at the end (Mosquitto peak ${fmt(m?.extra.peakRssMB as number | undefined)} MB)`,
        met: null,
      })),
  },
  {
    goal: 'overload flood: answers a CONNECT once the publishers close',
    required: '—',
    scenario: 'flood',
    cell: (doc, target, s) => floodCell(doc, target, s, (r) => ({ shown: `${fmt(r.extra.probeConnackMs as number)} ms`, met: null })),
  },
  ratioGoal('overload flood: delivered', '≥ 1.0× Mosquitto', 'flood', 'mosquitto', '>=', 1.0),
  {
    goal: 'fan-in QoS 1: every acknowledged message delivered',
    required: 'all',
    scenario: 'fanin-qos1',
    cell(doc, target, s) {
      const r = s && row(doc, s, target);
      if (!r) return NONE;
      const lost = r.extra.lostAfterPuback;
      return { shown: `lostAfterPuback=${String(lost)}${r.errors.length > 0 ? `, ${r.errors.length}/${r.runs} run(s) failed` : ''}`, met: lost === 0 && r.errors.length === 0 };
    },
  },
  ratioGoal('fan-in QoS 1', '≥ 1.2× Mosquitto without queue limits', 'fanin-qos1', 'mosquitto', '>=', 1.2),
  ratioGoal('fan-out QoS 0', '≥ 1.5× Mosquitto', 'fanout-qos0', 'mosquitto', '>=', 1.5),
  ratioGoal('CPU per message at 30k msg/s', '≤ 1.3× Mosquitto', 'cpu-30k', 'mosquitto', '<=', 1.3),
  ratioGoal('connects/s with Signature auth', '≥ 2× bare aedes', 'connects', 'aedes', '>=', 2),
  {
    goal: 'memory per idle authenticated connection',
    required: '≤ 8 KB',
    scenario: 'idle-memory',
    cell(doc, target, s) {
      const r = s && row(doc, s, target);
      if (!s || !r) return NONE;
      return { shown: `${figure(r, s.unit)} RSS, ${fmt(r.extra.heapKBPerConn as number | undefined)} KB heap`, met: r.value === null ? null : r.value <= 8 };
    },
  },
  ratioGoal('latency p99 at 2k msg/s', '≤ 1.3× Mosquitto (noisy in quick mode)', 'latency', 'mosquitto', '<=', 1.3),
  {
    // The API process; no broker core involved.
    goal: 'control plane: ApplyToken',
    required: '≥ 1,500 req/s, p99 ≤ 20 ms',
    cell(doc, target) {
      const r = doc.controlPlane?.find((x) => x.action === 'ApplyToken');
      if (!r) return NONE;
      if (target !== 'aviary') return { shown: 'same API (no broker core involved)', met: null };
      return { shown: `${fmt(r.perSecond)} req/s, p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, API ${fmt(r.apiCores)} cores`, met: r.perSecond >= 1500 && r.p99Ms <= 20 && r.errors === 0 };
    },
  },
  {
    // live-change.ts starts Aviary's broker on its default core (lean) only.
    goal: 'policy or token change on live connections',
    required: '≤ 500 ms p99',
    cell(doc, target) {
      const rs = doc.liveChange ?? [];
      if (rs.length === 0) return NONE;
      if (target !== 'aviary') return { shown: 'not measured (live-change runs the default core)', met: null };
      return { shown: rs.map((r) => `${r.change}: p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms`).join('; '), met: rs.every((r) => r.p99Ms <= 500) };
    },
  },
];

/** The goals for the targets that ran; undefined when Aviary (lean core) did not. */
export function evaluateGoals(doc: Doc, scenarios: Sc[]): GoalResult[] | undefined {
  if (!doc.summary.some((x) => x.target === 'aviary')) return undefined;
  return GOALS.filter((g) => !g.scenario || scenarios.some((s) => s.id === g.scenario))
    .map((g) => {
      const s = scenarios.find((x) => x.id === g.scenario);
      return { goal: g.goal, required: g.required, results: Object.fromEntries(GOAL_TARGETS.map((t) => [t, g.cell(doc, t, s)])) };
    })
    .filter((g) => Object.values(g.results).some((c) => c !== NONE)); // parts that did not run (control plane…)
}

function verdict(c: GoalCell | undefined): string {
  if (!c || c.met === null) return '—';
  return `${c.met ? 'met' : '**not met**'}${c.uncertain ? ` (${c.uncertain})` : ''}`;
}

/** Markdown table of the goals (appended to the generated section). */
export function goalsMarkdown(goals: GoalResult[] | undefined, labels: Map<string, string>): string {
  if (!goals?.length) return '';
  const [lean, aedes] = GOAL_TARGETS.map((t) => labels.get(t) ?? t);
  const rows = goals.map((g) => {
    const [a, b] = GOAL_TARGETS.map((t) => g.results[t]);
    return `| ${g.goal} | ${g.required} | ${a?.shown ?? '—'} | ${verdict(a)} | ${b?.shown ?? '—'} | ${verdict(b)} |`;
  });
  return [
    '',
    '',
    `#### Issue 6 targets: ${lean}, with ${aedes} beside it`,
    '',
    'Ratios as in the tables above; figures with broker + generator CPU in cores. "machine-bound": broker and generators used ≥ 90 % of the machine\'s cores, so that figure is the machine\'s limit and the verdict is uncertain.',
    '',
    `| target (issue 6) | required | ${lean} | status | ${aedes} | status |`,
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
