import { performance } from 'node:perf_hooks';
import { BenchConn, ConnackError, connectOptions, type AuthSpec } from './conn.js';
import { DISCONNECT, encodePublish, publishIdOffset, publishPayloadStart } from './wire.js';

/**
 * Load-generator roles. Each runs inside a generator child process (gen-child.ts) so its CPU is measured
 * apart from the broker's; the smoke test runs them in-process. Every loop is bounded: flooding yields to
 * the event loop after a few writes, paced senders cap their catch-up, waits have timeouts, and the
 * child has a hard deadline.
 */

interface JobBase {
  port: number;
  auth: AuthSpec;
  /** Makes ClientIds unique across generator processes (a duplicate ClientId takes the session over). */
  idPrefix: string;
}

export type Job = JobBase &
  (
    | { role: 'subscribe'; conns: number; filter: string; qos: 0 | 1 }
    | {
        role: 'publish';
        conns: number;
        topic: string;
        qos: 0 | 1;
        payloadBytes: number;
        /** Total messages/s over all connections; absent → flood as fast as the sockets accept. */
        ratePerSec?: number;
        /** QoS 1: unacknowledged PUBLISHes per connection. */
        window?: number;
      }
    | { role: 'connect'; concurrency: number }
    | { role: 'idle'; conns: number }
    | { role: 'latency'; topic: string; ratePerSec: number; payloadBytes: number; maxSamples: number }
  );

export interface LatencyStats {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface Stats {
  /** Messages handed to the sockets (publishers, latency). */
  sent: number;
  /** QoS 1 PUBACKs received by publishers. */
  acked: number;
  /** PUBLISHes received (subscribers, latency). */
  received: number;
  /** Successful CONNACKs (connect role). */
  connects: number;
  /** Refused or broken connects, and connections lost while running. */
  failures: number;
  /** Connections currently open. */
  open: number;
  latency?: LatencyStats;
}

export interface Role {
  /** Connects (and subscribes); resolves when the role is ready to generate. */
  prepare(): Promise<void>;
  go(): void;
  /** Current counters; `reset` restarts latency sampling (end of warm-up). */
  snap(reset?: boolean): Stats;
  /** Stops generating; QoS 1 publishers wait (at most `drainMs`) for their outstanding PUBACKs. */
  stop(drainMs: number): Promise<Stats>;
  close(): void;
}

const OPEN_CONCURRENCY = 50;

function emptyStats(): Stats {
  return { sent: 0, acked: 0, received: 0, connects: 0, failures: 0, open: 0 };
}

/** Opens `n` connections, at most OPEN_CONCURRENCY at a time. */
async function openMany(job: JobBase, n: number, tag: string): Promise<BenchConn[]> {
  const conns: BenchConn[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      conns[i] = await BenchConn.open(job.port, connectOptions(job.auth, `${job.idPrefix}${tag}${i}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, OPEN_CONCURRENCY) }, worker));
  return conns;
}

function openCount(conns: BenchConn[]): number {
  let n = 0;
  for (const c of conns) if (c && !c.closed) n++;
  return n;
}

function payloadOf(bytes: number): Buffer {
  return Buffer.alloc(bytes, 0x61);
}

export function createRole(job: Job): Role {
  switch (job.role) {
    case 'subscribe':
      return new SubscribeRole(job);
    case 'publish':
      return job.qos === 1 ? new WindowPublishRole(job) : new Qos0PublishRole(job);
    case 'connect':
      return new ConnectRole(job);
    case 'idle':
      return new IdleRole(job);
    case 'latency':
      return new LatencyRole(job);
  }
}

type JobOf<R extends Job['role']> = Extract<Job, { role: R }>;

class SubscribeRole implements Role {
  private conns: BenchConn[] = [];
  constructor(private readonly job: JobOf<'subscribe'>) {}

  async prepare(): Promise<void> {
    this.conns = await openMany(this.job, this.job.conns, 's');
    await Promise.all(this.conns.map((c) => c.subscribe(this.job.filter, this.job.qos)));
  }

  go(): void {}

  snap(): Stats {
    const s = emptyStats();
    for (const c of this.conns) s.received += c.received;
    s.open = openCount(this.conns);
    s.failures = this.conns.length - s.open;
    return s;
  }

  async stop(): Promise<Stats> {
    return this.snap();
  }

  close(): void {
    for (const c of this.conns) c.destroy();
  }
}

/** QoS 0 publishers: flood (write until the socket pushes back) or a fixed total rate. */
class Qos0PublishRole implements Role {
  private conns: BenchConn[] = [];
  private sent = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly frameLen: number;
  /** BLOCK_FRAMES identical frames back to back: one write sends many messages. */
  private readonly block: Buffer;
  private static readonly BLOCK_FRAMES = 128;

  constructor(private readonly job: JobOf<'publish'>) {
    const one = encodePublish(job.topic, payloadOf(job.payloadBytes), 0);
    this.frameLen = one.length;
    this.block = Buffer.concat(Array.from({ length: Qos0PublishRole.BLOCK_FRAMES }, () => one));
  }

  async prepare(): Promise<void> {
    this.conns = await openMany(this.job, this.job.conns, 'p');
  }

  go(): void {
    this.running = true;
    if (this.job.ratePerSec === undefined) {
      for (const c of this.conns) this.pump(c);
    } else {
      this.paced(this.job.ratePerSec);
    }
  }

  private pump(c: BenchConn): void {
    // A few blocks per turn, then yield, so 50 flooding sockets share one event loop fairly.
    for (let i = 0; i < 4; i++) {
      if (!this.running || c.closed) return;
      this.sent += Qos0PublishRole.BLOCK_FRAMES;
      if (!c.write(this.block)) {
        c.socket.once('drain', () => this.pump(c));
        return;
      }
    }
    setImmediate(() => this.pump(c));
  }

  private paced(rate: number): void {
    const t0 = performance.now();
    let rr = 0;
    const tickMs = 5;
    // Catch-up is capped at 20 ticks: a stalled broker must not get a burst the generator saved up.
    const maxPerTick = Math.max(1, Math.ceil((rate * tickMs * 20) / 1000));
    this.timer = setInterval(() => {
      if (!this.running) return;
      const due = Math.floor((rate * (performance.now() - t0)) / 1000) - this.sent;
      let left = Math.min(due, maxPerTick);
      if (left <= 0) return;
      const n = this.conns.length;
      const per = Math.ceil(left / n);
      for (let k = 0; k < n && left > 0; k++) {
        const c = this.conns[rr++ % n];
        const m = Math.min(per, left, Qos0PublishRole.BLOCK_FRAMES);
        if (c.closed) continue;
        c.write(this.block.subarray(0, m * this.frameLen));
        this.sent += m;
        left -= m;
      }
    }, tickMs);
  }

  snap(): Stats {
    const s = emptyStats();
    s.sent = this.sent;
    s.open = openCount(this.conns);
    s.failures = this.conns.length - s.open;
    return s;
  }

  async stop(): Promise<Stats> {
    this.running = false;
    clearInterval(this.timer);
    return this.snap();
  }

  close(): void {
    this.running = false;
    clearInterval(this.timer);
    for (const c of this.conns) c.destroy();
  }
}

/** QoS 1 publishers keeping `window` PUBLISHes unacknowledged each; refills are one write per chunk. */
class WindowPublishRole implements Role {
  private conns: BenchConn[] = [];
  private running = false;
  private sent = 0;
  private acked = 0;
  private readonly template: Buffer;
  private readonly idOffset: number;
  private readonly window: number;
  private readonly states = new Map<BenchConn, WindowState>();

  constructor(private readonly job: JobOf<'publish'>) {
    this.template = encodePublish(job.topic, payloadOf(job.payloadBytes), 1, 1);
    this.idOffset = publishIdOffset(this.template);
    this.window = job.window ?? 16;
  }

  async prepare(): Promise<void> {
    this.conns = await openMany(this.job, this.job.conns, 'q');
    for (const c of this.conns) {
      const inflight = new Uint8Array(65536);
      const state: WindowState = { outstanding: 0, nextId: 1, inflight };
      this.states.set(c, state);
      c.onPuback = (id) => {
        if (inflight[id] === 0) return; // not ours or duplicate: do not count twice
        inflight[id] = 0;
        state.outstanding--;
        this.acked++;
      };
      c.onChunkDone = () => this.refill(c, state);
    }
  }

  go(): void {
    this.running = true;
    for (const c of this.conns) this.refill(c, this.states.get(c)!);
  }

  private refill(c: BenchConn, state: WindowState): void {
    if (!this.running || c.closed) return;
    const n = this.window - state.outstanding;
    if (n <= 0) return;
    const len = this.template.length;
    const out = Buffer.allocUnsafe(n * len);
    for (let k = 0; k < n; k++) {
      let id = state.nextId;
      // Skip ids still in flight; bounded because at most `window` ids are in flight.
      while (state.inflight[id] === 1) id = id === 65535 ? 1 : id + 1;
      state.nextId = id === 65535 ? 1 : id + 1;
      state.inflight[id] = 1;
      this.template.copy(out, k * len);
      out.writeUInt16BE(id, k * len + this.idOffset);
    }
    state.outstanding += n;
    this.sent += n;
    c.write(out);
  }

  snap(): Stats {
    const s = emptyStats();
    s.sent = this.sent;
    s.acked = this.acked;
    s.open = openCount(this.conns);
    s.failures = this.conns.length - s.open;
    return s;
  }

  async stop(drainMs: number): Promise<Stats> {
    this.running = false;
    const deadline = performance.now() + drainMs;
    while (this.acked < this.sent && performance.now() < deadline && openCount(this.conns) > 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.snap();
  }

  close(): void {
    this.running = false;
    for (const c of this.conns) c.destroy();
  }
}

interface WindowState {
  outstanding: number;
  nextId: number;
  inflight: Uint8Array;
}

/** `concurrency` loops of connect → CONNACK → DISCONNECT → wait for close. */
class ConnectRole implements Role {
  private running = false;
  private connects = 0;
  private failures = 0;
  private loops: Promise<void>[] = [];
  private readonly live = new Set<BenchConn>();

  constructor(private readonly job: JobOf<'connect'>) {}

  async prepare(): Promise<void> {}

  go(): void {
    this.running = true;
    this.loops = Array.from({ length: this.job.concurrency }, (_, i) => this.loop(i));
  }

  private async loop(worker: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      let conn: BenchConn | undefined;
      try {
        conn = await BenchConn.open(this.job.port, connectOptions(this.job.auth, `${this.job.idPrefix}c${worker}x${n}`), 5000);
      } catch (e) {
        this.failures++;
        // A refused CONNACK is an answer; anything else (reset, timeout) might repeat at once: back off.
        if (!(e instanceof ConnackError)) await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      this.connects++;
      this.live.add(conn);
      const c = conn;
      await new Promise<void>((resolve) => {
        // The broker closes after DISCONNECT; bounded wait, then we close ourselves.
        const timer = setTimeout(() => {
          c.destroy();
          resolve();
        }, 1000);
        c.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        c.socket.end(DISCONNECT);
      });
      this.live.delete(c);
    }
  }

  snap(): Stats {
    const s = emptyStats();
    s.connects = this.connects;
    s.failures = this.failures;
    s.open = this.live.size;
    return s;
  }

  async stop(drainMs: number): Promise<Stats> {
    this.running = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.loops), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    return this.snap();
  }

  close(): void {
    this.running = false;
    for (const c of this.live) c.destroy();
  }
}

/** Holds `conns` connected, silent connections (keep-alive 300 s, longer than any run). */
class IdleRole implements Role {
  private conns: BenchConn[] = [];
  constructor(private readonly job: JobOf<'idle'>) {}

  async prepare(): Promise<void> {
    this.conns = await openMany(this.job, this.job.conns, 'i');
  }

  go(): void {}

  snap(): Stats {
    const s = emptyStats();
    s.open = openCount(this.conns);
    s.failures = this.conns.length - s.open;
    return s;
  }

  async stop(): Promise<Stats> {
    return this.snap();
  }

  close(): void {
    for (const c of this.conns) c.destroy();
  }
}

/**
 * One publisher and one subscriber in this process, so send and receive times come from one clock: the
 * payload carries `performance.now()` at send time, the subscriber records now − that.
 */
class LatencyRole implements Role {
  private pub: BenchConn | undefined;
  private sub: BenchConn | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  private readonly samples: Float64Array;
  private count = 0;
  private readonly topic: Buffer;

  constructor(private readonly job: JobOf<'latency'>) {
    this.samples = new Float64Array(job.maxSamples);
    this.topic = Buffer.from(job.topic);
  }

  async prepare(): Promise<void> {
    const [sub] = await openMany(this.job, 1, 'ls');
    const [pub] = await openMany(this.job, 1, 'lp');
    await sub.subscribe(this.job.topic, 0);
    sub.onPublish = (qos, buf, start, end) => {
      const p = publishPayloadStart(buf, start, qos);
      if (end - p < 8 || this.count >= this.samples.length) return;
      this.samples[this.count++] = performance.now() - buf.readDoubleLE(p);
    };
    this.sub = sub;
    this.pub = pub;
  }

  go(): void {
    this.running = true;
    const t0 = performance.now();
    const rate = this.job.ratePerSec;
    const payload = payloadOf(Math.max(8, this.job.payloadBytes));
    this.timer = setInterval(() => {
      if (!this.running || !this.pub || this.pub.closed) return;
      const due = Math.floor((rate * (performance.now() - t0)) / 1000) - this.sent;
      // Each message is its own write, as from independent devices; catch-up is capped.
      for (let k = 0; k < Math.min(due, 50); k++) {
        payload.writeDoubleLE(performance.now(), 0);
        this.pub.write(encodePublish(this.topic, payload, 0));
        this.sent++;
      }
    }, 1);
  }

  snap(reset?: boolean): Stats {
    const s = emptyStats();
    s.sent = this.sent;
    s.received = this.sub?.received ?? 0;
    s.open = (this.pub && !this.pub.closed ? 1 : 0) + (this.sub && !this.sub.closed ? 1 : 0);
    s.failures = 2 - s.open;
    s.latency = percentiles(this.samples.subarray(0, this.count));
    if (reset) this.count = 0;
    return s;
  }

  async stop(): Promise<Stats> {
    this.running = false;
    clearInterval(this.timer);
    // Let the last messages arrive before the final count.
    await new Promise((r) => setTimeout(r, 200));
    return this.snap();
  }

  close(): void {
    this.running = false;
    clearInterval(this.timer);
    this.pub?.destroy();
    this.sub?.destroy();
  }
}

export function percentiles(samples: Float64Array): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: at(1) };
}
