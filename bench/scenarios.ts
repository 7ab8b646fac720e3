import { BenchConn, connectOptions, type AuthSpec } from './conn.js';
import type { Job, Stats } from './generator.js';
import { GenChild, type Target } from './procs.js';

/**
 * The scenarios of the suite. Each gets a freshly started target (so memory figures start from the same
 * point and a crash cannot leak into the next scenario), its own generator children, and reports one
 * primary figure plus the broker's and the generators' CPU over the measurement window.
 */

export interface Durations {
  warmMs: number;
  measureMs: number;
  floodMs: number;
  idleConns: number;
  reps: number;
  soakMs: number;
}

export const QUICK: Durations = { warmMs: 1000, measureMs: 2000, floodMs: 6000, idleConns: 2000, reps: 1, soakMs: 0 };
export const FULL: Durations = { warmMs: 2000, measureMs: 10_000, floodMs: 30_000, idleConns: 5000, reps: 3, soakMs: 600_000 };

export interface Measurement {
  scenario: string;
  target: string;
  rep: number;
  /** The primary figure (see the scenario's unit); null when the run failed before measuring. */
  value: number | null;
  /** Broker CPU over the measurement window, in cores (1.0 = one core busy). */
  brokerCpu: number | null;
  /** CPU of all generator processes over the window, in cores. */
  genCpu: number | null;
  extra: Record<string, number | string | boolean>;
  error?: string;
}

export interface ScenarioContext {
  target: Target;
  auth: AuthSpec;
  d: Durations;
  /** Unique per run, for ClientIds. */
  idPrefix: string;
}

export interface Scenario {
  id: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  /** Targets it runs on besides the standard ones (the QoS 1 run also uses Mosquitto without queue limits). */
  alsoOn?: string[];
  run(ctx: ScenarioContext): Promise<Omit<Measurement, 'scenario' | 'target' | 'rep'>>;
}

const PAYLOAD = 64;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function startGen(ctx: ScenarioContext, tag: string, job: DistributiveOmit<Job, 'port' | 'auth' | 'idPrefix'>, extraMs = 0): Promise<GenChild> {
  const full = { ...job, port: ctx.target.port, auth: ctx.auth, idPrefix: `${ctx.idPrefix}${tag}` } as Job;
  return GenChild.start(full, ctx.d.warmMs + ctx.d.measureMs + ctx.d.floodMs + extraMs + 60_000);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Window {
  seconds: number;
  brokerCpu: number | null;
  genCpu: number | null;
  before: (Stats | undefined)[];
  after: (Stats | undefined)[];
}

/** Counters and CPU of the target and generators over `ms`. */
async function measure(ctx: ScenarioContext, gens: GenChild[], ms: number, resetLatency = false): Promise<Window> {
  const before = await Promise.all(gens.map((g) => g.snap(resetLatency)));
  const b0 = ctx.target.sample();
  const g0 = gens.map((g) => g.sample());
  const t0 = performance.now();
  await sleep(ms);
  const after = await Promise.all(gens.map((g) => g.snap()));
  const b1 = ctx.target.sample();
  const g1 = gens.map((g) => g.sample());
  const seconds = (performance.now() - t0) / 1000;
  let gen = 0;
  for (let i = 0; i < gens.length; i++) {
    const a = g0[i];
    const b = g1[i];
    if (a && b) gen += b.cpuSec - a.cpuSec;
  }
  return {
    seconds,
    brokerCpu: b0 && b1 ? (b1.cpuSec - b0.cpuSec) / seconds : null,
    genCpu: gen / seconds,
    before,
    after,
  };
}

function delta(w: Window, i: number, key: keyof Omit<Stats, 'latency'>): number {
  const a = w.before[i];
  const b = w.after[i];
  return a && b ? b[key] - a[key] : 0;
}

function crashNote(ctx: ScenarioContext): { error?: string; extra: Record<string, boolean> } {
  return ctx.target.alive() ? { extra: { crashed: false } } : { error: `broker died: ${ctx.target.crashReport()}`, extra: { crashed: true } };
}

async function closeAll(gens: GenChild[]): Promise<void> {
  await Promise.all(gens.map((g) => g.close()));
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Fan-in: `publishers` connections → one subscriber, QoS 0, flooding or at a fixed total rate. */
async function fanIn(ctx: ScenarioContext, ratePerSec: number | undefined): Promise<{ w: Window; gens: GenChild[] }> {
  const sub = await startGen(ctx, 's', { role: 'subscribe', conns: 1, filter: 'bench/fanin', qos: 0 });
  const gens = [sub];
  try {
    const pub = await startGen(ctx, 'p', { role: 'publish', conns: 50, topic: 'bench/fanin', qos: 0, payloadBytes: PAYLOAD, ratePerSec });
    gens.push(pub);
    pub.go();
    await sleep(ctx.d.warmMs);
    const w = await measure(ctx, gens, ctx.d.measureMs);
    await pub.stop(0);
    return { w, gens };
  } finally {
    await closeAll(gens);
  }
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'fanin-qos0',
    title: 'Fan-in QoS 0, 50 flooding publishers → 1 subscriber',
    unit: 'msg/s delivered',
    better: 'higher',
    async run(ctx) {
      const { w } = await fanIn(ctx, undefined);
      const delivered = delta(w, 0, 'received');
      const c = crashNote(ctx);
      return {
        value: delivered / w.seconds,
        brokerCpu: w.brokerCpu,
        genCpu: w.genCpu,
        extra: {
          brokerUsPerMsg: w.brokerCpu !== null && delivered > 0 ? round((w.brokerCpu * w.seconds * 1e6) / delivered, 2) : -1,
          ...c.extra,
        },
        error: c.error,
      };
    },
  },
  {
    id: 'cpu-30k',
    title: 'Broker CPU per message, fan-in QoS 0 at a fixed 30k msg/s',
    unit: 'µs CPU/msg',
    better: 'lower',
    async run(ctx) {
      const { w } = await fanIn(ctx, 30_000);
      const delivered = delta(w, 0, 'received');
      const c = crashNote(ctx);
      return {
        value: w.brokerCpu !== null && delivered > 0 ? (w.brokerCpu * w.seconds * 1e6) / delivered : null,
        brokerCpu: w.brokerCpu,
        genCpu: w.genCpu,
        extra: { deliveredPerSec: Math.round(delivered / w.seconds), ...c.extra },
        error: c.error,
      };
    },
  },
  {
    id: 'fanin-qos1',
    title: 'Fan-in QoS 1, 50 publishers with 16 unacknowledged each → 1 subscriber',
    unit: 'msg/s delivered',
    better: 'higher',
    alsoOn: ['mosquitto-unlimited'],
    async run(ctx) {
      const sub = await startGen(ctx, 's', { role: 'subscribe', conns: 1, filter: 'bench/fanin', qos: 1 });
      const gens = [sub];
      try {
        const pub = await startGen(ctx, 'q', { role: 'publish', conns: 50, topic: 'bench/fanin', qos: 1, payloadBytes: PAYLOAD, window: 16 });
        gens.push(pub);
        pub.go();
        await sleep(ctx.d.warmMs);
        const w = await measure(ctx, gens, ctx.d.measureMs);
        const end = await pub.stop(5000);
        // Let the subscriber receive what the broker accepted; stop when the count settles.
        let received = -1;
        let stable = 0;
        for (let i = 0; i < 50 && stable < 3; i++) {
          const s = await sub.snap();
          if (!s) break;
          if (end && s.received >= end.acked) {
            received = s.received;
            break;
          }
          stable = s.received === received ? stable + 1 : 0;
          received = s.received;
          await sleep(100);
        }
        const delivered = delta(w, 0, 'received');
        const c = crashNote(ctx);
        return {
          value: delivered / w.seconds,
          brokerCpu: w.brokerCpu,
          genCpu: w.genCpu,
          extra: {
            sent: end?.sent ?? -1,
            acked: end?.acked ?? -1,
            received,
            // QoS 1 promises delivery of every acknowledged message to the (online) subscriber.
            lostAfterPuback: end ? Math.max(0, end.acked - received) : -1,
            ...c.extra,
          },
          error: c.error,
        };
      } finally {
        await closeAll(gens);
      }
    },
  },
  {
    id: 'fanout-qos0',
    title: 'Fan-out QoS 0, 1 flooding publisher → 100 subscribers',
    unit: 'deliveries/s',
    better: 'higher',
    async run(ctx) {
      const sub = await startGen(ctx, 's', { role: 'subscribe', conns: 100, filter: 'bench/fanout', qos: 0 });
      const gens = [sub];
      try {
        const pub = await startGen(ctx, 'p', { role: 'publish', conns: 1, topic: 'bench/fanout', qos: 0, payloadBytes: PAYLOAD });
        gens.push(pub);
        pub.go();
        await sleep(ctx.d.warmMs);
        const w = await measure(ctx, gens, ctx.d.measureMs);
        await pub.stop(0);
        const c = crashNote(ctx);
        return {
          value: delta(w, 0, 'received') / w.seconds,
          brokerCpu: w.brokerCpu,
          genCpu: w.genCpu,
          extra: { ...c.extra },
          error: c.error,
        };
      } finally {
        await closeAll(gens);
      }
    },
  },
  {
    id: 'connects',
    title: 'Connects/s, 50 concurrent connect → CONNACK → DISCONNECT loops',
    unit: 'connects/s',
    better: 'higher',
    async run(ctx) {
      const gen = await startGen(ctx, 'c', { role: 'connect', concurrency: 50 });
      try {
        gen.go();
        await sleep(Math.min(ctx.d.warmMs, 1000));
        const w = await measure(ctx, [gen], ctx.d.measureMs);
        await gen.stop(2000);
        const c = crashNote(ctx);
        return {
          value: delta(w, 0, 'connects') / w.seconds,
          brokerCpu: w.brokerCpu,
          genCpu: w.genCpu,
          extra: { failures: delta(w, 0, 'failures'), ...c.extra },
          error: c.error,
        };
      } finally {
        await closeAll([gen]);
      }
    },
  },
  {
    id: 'idle-memory',
    title: 'Memory per idle connection (broker RSS delta / connections)',
    unit: 'KB/conn',
    better: 'lower',
    async run(ctx) {
      const n = ctx.d.idleConns;
      // Warm-up connections first: one-off allocations on the first connections (mqtt-packet's 6 MB
      // number cache is built on the first write, heap pages, Aviary's caches) are not per-connection cost.
      const warm = await startGen(ctx, 'w', { role: 'idle', conns: 50 });
      const gens = [warm];
      try {
        await sleep(300);
        const h0 = await ctx.target.gc();
        const r0 = ctx.target.sample();
        const gen = await startGen(ctx, 'i', { role: 'idle', conns: n });
        gens.push(gen);
        const g0 = gen.sample();
        const t0 = performance.now();
        await sleep(1000);
        const h1 = await ctx.target.gc();
        const r1 = ctx.target.sample();
        const stats = await gen.snap();
        const seconds = (performance.now() - t0) / 1000;
        const g1 = gen.sample();
        const c = crashNote(ctx);
        if (!r0 || !r1 || !stats) throw new Error(c.error ?? 'no reading');
        return {
          value: (r1.rssBytes - r0.rssBytes) / stats.open / 1024,
          // Connect cost is in `connects`; here CPU is only the idle settling, for completeness.
          brokerCpu: (r1.cpuSec - r0.cpuSec) / seconds,
          genCpu: g0 && g1 ? (g1.cpuSec - g0.cpuSec) / seconds : null,
          extra: {
            connections: stats.open,
            rssBeforeMB: round(r0.rssBytes / 2 ** 20),
            rssAfterMB: round(r1.rssBytes / 2 ** 20),
            // V8 heap in use after a full GC: the part of the RSS delta that is live JS objects.
            ...(h0 !== undefined && h1 !== undefined ? { heapKBPerConn: round((h1 - h0) / stats.open / 1024) } : {}),
            ...c.extra,
          },
          error: c.error,
        };
      } finally {
        await closeAll(gens);
      }
    },
  },
  {
    id: 'latency',
    title: 'Latency p99, QoS 0 at 2k msg/s (1 publisher → 1 subscriber, one clock)',
    unit: 'ms p99',
    better: 'lower',
    async run(ctx) {
      const gen = await startGen(ctx, 'l', { role: 'latency', topic: 'bench/lat', ratePerSec: 2000, payloadBytes: PAYLOAD, maxSamples: 2_000_000 });
      try {
        gen.go();
        await sleep(ctx.d.warmMs);
        const w = await measure(ctx, [gen], ctx.d.measureMs, true);
        const end = await gen.stop(1000);
        const lat = w.after[0]?.latency;
        const c = crashNote(ctx);
        return {
          value: lat && lat.count > 0 ? lat.p99Ms : null,
          brokerCpu: w.brokerCpu,
          genCpu: w.genCpu,
          extra: {
            p50Ms: lat ? round(lat.p50Ms, 3) : -1,
            p999Ms: lat ? round(lat.p999Ms, 3) : -1,
            maxMs: lat ? round(lat.maxMs, 2) : -1,
            samples: lat?.count ?? 0,
            lost: end ? end.sent - end.received : -1,
            ...c.extra,
          },
          error: c.error,
        };
      } finally {
        await closeAll([gen]);
      }
    },
  },
  {
    id: 'flood',
    title: 'Overload: 50 flooding publishers → 1 subscriber, subscriber killed half-way',
    unit: 'msg/s delivered before the kill',
    better: 'higher',
    run: (ctx) => flood(ctx, ctx.d.floodMs),
  },
];

/**
 * The overload flood (and, longer, the soak): flood a subscriber, SIGKILL its process half-way (the
 * broker sees the socket reset with data queued for it), keep flooding a topic nobody listens to any more,
 * then check the broker still answers a CONNECT. RSS is sampled throughout.
 */
export async function flood(ctx: ScenarioContext, totalMs: number): Promise<Omit<Measurement, 'scenario' | 'target' | 'rep'>> {
  const sub = await startGen(ctx, 's', { role: 'subscribe', conns: 1, filter: 'bench/flood', qos: 0 }, totalMs);
  const gens = [sub];
  let peakRss = 0;
  const rssSeries: number[] = [];
  const sampler = setInterval(() => {
    const s = ctx.target.sample();
    if (s) peakRss = Math.max(peakRss, s.rssBytes);
  }, 200);
  const minute = setInterval(() => {
    const s = ctx.target.sample();
    rssSeries.push(s ? Math.round(s.rssBytes / 2 ** 20) : -1);
  }, Math.max(1000, Math.floor(totalMs / 10)));
  try {
    const pub = await startGen(ctx, 'p', { role: 'publish', conns: 50, topic: 'bench/flood', qos: 0, payloadBytes: PAYLOAD }, totalMs);
    gens.push(pub);
    pub.go();
    const w = await measure(ctx, gens, totalMs / 2);
    const rssAtKill = ctx.target.sample()?.rssBytes ?? 0;
    sub.kill();
    const w2 = await measure(ctx, [pub], totalMs / 2);
    await pub.stop(0);
    const endRss = ctx.target.sample()?.rssBytes ?? 0;
    // Close the publishers (the broker may discard what they left in its socket buffers), then the broker
    // must answer a new CONNECT: that is "alive", not merely a process that still exists.
    await pub.close();
    let probeMs = -1;
    if (ctx.target.alive()) {
      const p0 = performance.now();
      try {
        const probe = await BenchConn.open(ctx.target.port, connectOptions(ctx.auth, `${ctx.idPrefix}probe`), 15_000);
        probeMs = Math.round(performance.now() - p0);
        probe.destroy();
      } catch {
        probeMs = -1;
      }
    }
    const answers = probeMs >= 0;
    const c = crashNote(ctx);
    return {
      value: delta(w, 0, 'received') / w.seconds,
      brokerCpu: w.brokerCpu,
      genCpu: w.genCpu,
      extra: {
        alive: ctx.target.alive() && answers,
        probeConnackMs: probeMs,
        peakRssMB: round(peakRss / 2 ** 20),
        rssAtKillMB: round(rssAtKill / 2 ** 20),
        endRssMB: round(endRss / 2 ** 20),
        rssSeriesMB: rssSeries.join(' '),
        brokerCpuAfterKill: w2.brokerCpu !== null ? round(w2.brokerCpu, 2) : -1,
        publishersDropped: w2.after[0]?.failures ?? -1,
        ...c.extra,
      },
      error: c.error,
    };
  } finally {
    clearInterval(sampler);
    clearInterval(minute);
    await closeAll(gens);
  }
}
