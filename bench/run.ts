/**
 * `npm run bench` (quick, a few minutes) and `npm run bench -- --full` (3 alternating runs with longer
 * windows, plus a 10-minute soak). Starts every target itself — Mosquitto on a free loopback port, bare
 * aedes with default options, aedes with `concurrency: 0`, our bare lean core, and Aviary's broker on the
 * lean core (its default) and on the aedes core, each against its own scratch database — runs the
 * scenarios of scenarios.ts against each, and writes bench/results/<time>.json and the generated section
 * of docs/benchmarks.md.
 *
 * Target names (for --targets): mosquitto, mosquitto-unlimited (QoS 1 fan-in only), aedes, aedes-c0, lean,
 * aviary, aviary-aedes.
 *
 * Options: --full, --targets=a,b (names above), --scenarios=x,y (ids in scenarios.ts), --reps=N (repetitions,
 * medians reported), --soak-minutes=N (full mode), --cpu-prof (Node targets write .cpuprofile files into
 * bench/results/profiles), --no-doc (do not touch docs/benchmarks.md), --render=<results.json> (rewrite the
 * docs section from a stored run without measuring).
 * Environment: DATABASE_URL (admin URL of a PostgreSQL for the Aviary targets' scratch databases; default
 * the local one), MOSQUITTO_BIN (default /usr/sbin/mosquitto).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createAviaryFixture, type AviaryFixture } from './aviary-fixture.js';
import { evaluateGoals, goalsMarkdown } from './goals.js';
import { runControlPlaneBench, type ControlPlaneResult } from './control-plane.js';
import { runLiveChangeBench, type LiveChangeResult } from './live-change.js';
import { BenchConn, ConnackError, connectOptions, type AuthSpec } from './conn.js';
import { Target } from './procs.js';
import { controlPlaneMarkdown, liveChangeMarkdown, markdown, summarize, updateDoc, type BenchDocument, type Machine, type TargetInfo } from './report.js';
import { flood, FULL, QUICK, SCENARIOS, type Measurement, type Scenario } from './scenarios.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const full = args.includes('--full');
const listArg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',');
const onlyTargets = listArg('targets');
const onlyScenarios = listArg('scenarios');
const writeDoc = !args.includes('--no-doc');
const mosquittoBin = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const numArg = (name: string) => {
  const v = listArg(name)?.[0];
  return v === undefined ? undefined : Number(v);
};
const d = { ...(full ? FULL : QUICK) };
d.reps = numArg('reps') ?? d.reps;
d.soakMs = numArg('soak-minutes') !== undefined ? numArg('soak-minutes')! * 60_000 : d.soakMs;
const nodeArgs = args.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${fileURLToPath(new URL('../../bench/results/profiles', import.meta.url))}`] : [];
const t0 = Date.now();

interface TargetDef extends TargetInfo {
  /** Runs only in scenarios that ask for it (`Scenario.alsoOn`). */
  optional?: boolean;
  /** Aviary's broker: needs a fixture database (aviary-fixture.ts) and authenticates. */
  aviary?: boolean;
  auth: () => AuthSpec;
  start: () => Promise<Target>;
}

function say(msg: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
}

function describeMachine(): Machine {
  const mosq = existsSync(mosquittoBin) ? spawnSync(mosquittoBin, ['-h'], { encoding: 'utf8', timeout: 5000 }).stdout.split('\n')[0].trim() : 'no mosquitto';
  const aedes = (JSON.parse(readFileSync(`${root}node_modules/aedes/package.json`, 'utf8')) as { version: string }).version;
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    mosquitto: mosq,
    aedes,
    kernel: release(),
    memoryGB: Math.round(totalmem() / 2 ** 30),
    loadAvgStart: loadavg(),
  };
}

/** The generated section of docs/benchmarks.md. */
function documentMarkdown(doc: BenchDocument, scenarios: Scenario[]): string {
  const labels = new Map(doc.targets.map((t) => [t.name, t.label]));
  return markdown(doc, scenarios) + controlPlaneMarkdown(doc.controlPlane) + liveChangeMarkdown(doc.liveChange) + goalsMarkdown(doc.goals, labels);
}

/** `--render=<results.json>`: rebuild the markdown from a stored run (e.g. after a report change). */
async function render(file: string): Promise<void> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as BenchDocument;
  const scenarios = SCENARIOS.filter((s) => doc.scenarios.some((x) => x.id === s.id));
  doc.summary = summarize(scenarios, doc.targets, doc.measurements);
  doc.goals = evaluateGoals(doc, scenarios);
  const md = documentMarkdown(doc, scenarios);
  if (writeDoc) await updateDoc(`${root}docs/benchmarks.md`, doc.mode, md);
  process.stdout.write(`${md}\n`);
}

async function main(): Promise<void> {
  const renderFile = listArg('render')?.join(',');
  if (renderFile) return render(renderFile);
  const startedAt = new Date().toISOString();
  if (d.reps < 1 || !Number.isInteger(d.reps) || !(d.soakMs >= 0)) throw new Error('--reps must be a positive integer and --soak-minutes a number ≥ 0');
  const machine = describeMachine();
  say(`bench ${full ? 'full' : 'quick'}: ${machine.cpus} CPUs, Node ${machine.node}, ${machine.mosquitto}, load ${machine.loadAvgStart.map((x) => x.toFixed(2)).join(' ')}`);

  // One scratch database per Aviary target (see docs/benchmarks.md, "Targets"): neither core's durable
  // state (session rows, node rows, anything persisted) reaches the other, and both start from the same
  // empty fixture whatever the order they run in.
  const fixtures = new Map<string, AviaryFixture>();
  const none = (): AuthSpec => ({ mode: 'none' });
  const aviaryTarget = (name: string, label: string, core: 'lean' | 'aedes'): TargetDef => ({
    name,
    label,
    aviary: true,
    auth: () => fixtures.get(name)!.auth,
    start: () => {
      const f = fixtures.get(name)!;
      return Target.node(name, { kind: 'aviary', core, databaseUrl: f.databaseUrl, masterKeyBase64: f.masterKeyBase64, nodeId: `bench-${name}`, dataDir: f.dataDir }, nodeArgs);
    },
  });
  const targets: TargetDef[] = [
    { name: 'mosquitto', label: 'Mosquitto', auth: none, start: () => Target.mosquitto('mosquitto', mosquittoBin, []) },
    {
      name: 'mosquitto-unlimited',
      label: 'Mosquitto, no queue limits',
      optional: true,
      auth: none,
      // Default limits (20 in flight, 1000 queued per client) drop QoS 1 messages under a 50×16 window.
      start: () => Target.mosquitto('mosquitto-unlimited', mosquittoBin, ['max_inflight_messages 0', 'max_queued_messages 0']),
    },
    { name: 'aedes', label: 'bare aedes', auth: none, start: () => Target.node('aedes', { kind: 'aedes', options: {} }, nodeArgs) },
    { name: 'aedes-c0', label: 'aedes concurrency 0', auth: none, start: () => Target.node('aedes-c0', { kind: 'aedes', options: { concurrency: 0 } }, nodeArgs) },
    { name: 'lean', label: 'bare lean core', auth: none, start: () => Target.node('lean', { kind: 'lean' }, nodeArgs) },
    aviaryTarget('aviary', 'Aviary (lean core)', 'lean'),
    aviaryTarget('aviary-aedes', 'Aviary (aedes core)', 'aedes'),
  ];
  const unknown = onlyTargets?.filter((n) => !targets.some((t) => t.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`--targets: unknown ${unknown.join(', ')} (known: ${targets.map((t) => t.name).join(', ')})`);
  for (const t of targets) {
    if (onlyTargets && !onlyTargets.includes(t.name)) t.skipped = 'not selected (--targets)';
  }
  if (!existsSync(mosquittoBin)) for (const t of targets.filter((x) => x.name.startsWith('mosquitto'))) t.skipped = `${mosquittoBin} not found (set MOSQUITTO_BIN)`;
  if (!existsSync(fileURLToPath(new URL('../apps/broker/src/core/index.js', import.meta.url)))) {
    for (const t of targets.filter((x) => x.name === 'lean' && !x.skipped)) t.skipped = 'apps/broker/src/core/index.ts (createCore) is not built';
  }

  const scenarios = SCENARIOS.filter((s) => !onlyScenarios || onlyScenarios.includes(s.id));
  const measurements: Measurement[] = [];
  let soak: Measurement | undefined;
  let seq = 0;
  try {
    for (const t of targets.filter((x) => x.aviary && !x.skipped && scenarios.length > 0)) {
      // The Aviary targets start the broker as main.ts does (start.ts `startBrokerApp`); see target-child.ts.
      if (!existsSync(fileURLToPath(new URL('../apps/broker/src/start.js', import.meta.url)))) t.skipped = 'apps/broker/src/start.ts (startBrokerApp) is not built';
      else {
        try {
          const f = await createAviaryFixture(adminUrl);
          fixtures.set(t.name, f);
          say(`${t.name} fixture database ready (${new URL(f.databaseUrl).pathname.slice(1)})`);
        } catch (e) {
          t.skipped = `cannot prepare its database at ${adminUrl.replace(/\/\/[^@]*@/, '//…@')}: ${(e as Error).message}`;
        }
      }
    }
    for (let rep = 0; rep < d.reps; rep++) {
      for (const s of scenarios) {
        const eligible = targets.filter((t) => !t.skipped && (!t.optional || s.alsoOn?.includes(t.name)));
        // Alternate the order between repetitions so no target always runs first (or last) on a warm machine.
        const order = eligible.map((_, i) => eligible[(i + rep) % eligible.length]);
        for (const t of order) measurements.push(await runOne(s, t, rep, `b${(seq++).toString(36)}`));
      }
    }
    if (d.soakMs > 0) {
      const t = targets.find((x) => x.name === 'aviary' && !x.skipped) ?? targets.find((x) => x.name === 'aedes-c0' && !x.skipped);
      if (t) {
        say(`soak: ${d.soakMs / 60_000} min flood on ${t.label}`);
        soak = await runOne({ ...SCENARIOS.find((x) => x.id === 'flood')!, id: 'soak', run: (ctx) => flood(ctx, d.soakMs) }, t, 0, 'soak');
      }
    }
  } finally {
    for (const [name, f] of fixtures) await f.drop().catch((e: Error) => say(`could not drop the ${name} fixture database: ${e.message}`));
  }

  let controlPlane: ControlPlaneResult[] | undefined;
  if (!onlyScenarios || onlyScenarios.includes('control-plane')) {
    say('control plane: ApplyToken and QuerySessionByClientId on the RPC face');
    controlPlane = await runControlPlaneBench(adminUrl, full ? 20_000 : 8_000, 16, say).catch((e: Error) => {
      say(`control plane failed: ${e.message}`);
      return undefined;
    });
  }

  let liveChange: LiveChangeResult[] | undefined;
  if (!onlyScenarios || onlyScenarios.includes('live-change')) {
    say('live changes: AccessKey disabled / token revoked → device closed');
    liveChange = await runLiveChangeBench(adminUrl, full ? 100 : 30, say).catch((e: Error) => {
      say(`live changes failed: ${e.message}`);
      return undefined;
    });
  }

  machine.loadAvgEnd = loadavg();
  const doc: BenchDocument = {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: full ? 'full' : 'quick',
    reps: d.reps,
    machine,
    targets: targets.map(({ name, label, skipped }) => ({ name, label, skipped })),
    scenarios: scenarios.map(({ id, title, unit, better }) => ({ id, title, unit, better })),
    summary: summarize(scenarios, targets, measurements),
    measurements,
    soak,
    controlPlane,
    liveChange,
  };
  doc.goals = evaluateGoals(doc, scenarios);
  await mkdir(`${root}bench/results`, { recursive: true });
  const jsonPath = `${root}bench/results/${startedAt.replace(/[:.]/g, '-')}.json`;
  await writeFile(jsonPath, JSON.stringify(doc, null, 2) + '\n');
  const md = documentMarkdown(doc, scenarios);
  if (writeDoc) await updateDoc(`${root}docs/benchmarks.md`, doc.mode, md);
  process.stdout.write(`\n${md}\n\n`);
  say(`wrote ${jsonPath}${writeDoc ? ' and docs/benchmarks.md' : ''}`);
}

/** Targets whose authentication was checked (once each: every Aviary target, whatever its core). */
const authChecked = new Set<string>();

/** Figures for an authenticating broker mean nothing if it lets anyone in: a wrong signature must get CONNACK 4. */
async function checkAuthEnforced(target: Target, auth: AuthSpec): Promise<void> {
  const good = connectOptions(auth, 'authcheck');
  try {
    const conn = await BenchConn.open(target.port, { ...good, password: 'not-the-signature' });
    conn.destroy();
  } catch (e) {
    if (e instanceof ConnackError && e.returnCode === 4) return;
    throw new Error(`authentication check: expected CONNACK 4 for a wrong signature, got ${(e as Error).message}`);
  }
  throw new Error('authentication check: a wrong signature was accepted, so the target does not run with authentication');
}

async function runOne(s: Scenario, t: TargetDef, rep: number, idPrefix: string): Promise<Measurement> {
  const base = { scenario: s.id, target: t.name, rep };
  let target: Target;
  try {
    target = await t.start();
  } catch (e) {
    say(`${s.id.padEnd(12)} ${t.name.padEnd(20)} did not start: ${(e as Error).message}`);
    return { ...base, value: null, brokerCpu: null, genCpu: null, extra: {}, error: (e as Error).message };
  }
  let m: Measurement;
  try {
    if (t.auth().mode === 'signature' && !authChecked.has(t.name)) {
      await checkAuthEnforced(target, t.auth());
      authChecked.add(t.name);
    }
    m = { ...base, ...(await s.run({ target, auth: t.auth(), d, idPrefix })) };
    // Shed QoS 0 deliveries make a delivery figure mean something else: shown beside it when there were any.
    const shed = await target.shedCount();
    if (shed) m.extra.shedQos0 = shed;
  } catch (e) {
    m = { ...base, value: null, brokerCpu: null, genCpu: null, extra: {}, error: `${(e as Error).message}${target.alive() ? '' : `; broker ${target.crashReport()}`}` };
  } finally {
    await target.stop();
  }
  const cpu = (x: number | null) => (x === null ? '—' : x.toFixed(2));
  say(
    `${s.id.padEnd(12)} ${t.name.padEnd(20)} ${m.value === null ? '—' : m.value.toFixed(m.value < 100 ? 2 : 0)} ${s.unit}` +
      `  broker ${cpu(m.brokerCpu)} gen ${cpu(m.genCpu)} cores${m.error ? `  ERROR ${m.error.slice(0, 200)}` : ''}`,
  );
  return m;
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
