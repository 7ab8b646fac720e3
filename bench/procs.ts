import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_HOST } from './conn.js';
import type { Job, Stats } from './generator.js';
import type { TargetSpec } from './target-child.js';

/**
 * Processes of a bench run: targets (brokers) and generator children, each in its own process so that
 * /proc/<pid>/stat gives its CPU time alone. Everything here has a timeout; nothing waits forever.
 */

/** Linux reports utime/stime in USER_HZ clock ticks, which is 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SEC = 100;

export interface ProcSample {
  /** CPU seconds (user + system) since the process started. */
  cpuSec: number;
  /** Resident set size in bytes. */
  rssBytes: number;
}

/** CPU and RSS of a process, or undefined when it is gone. */
export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return { cpuSec: ticks / CLOCK_TICKS_PER_SEC, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, BENCH_HOST, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for `p` at most `ms`, leaving no timer behind (a pending one would keep a test process alive). */
async function atMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until something accepts TCP connections on the port. */
async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('process exited during start-up');
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: BENCH_HOST, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

function distFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

/** A running broker process. */
export class Target {
  exitInfo: string | undefined;
  private stderrTail = '';

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    public port: number,
    private readonly cleanup: () => Promise<void>,
  ) {
    child.on('exit', (code, signal) => {
      this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Why the process ended, with the end of its stderr (e.g. aedes' RangeError). */
  crashReport(): string {
    // The error line and its first frame: enough to tell aedes' recursion sites apart.
    const lines = this.stderrTail.split('\n').map((l) => l.trim());
    const i = lines.findIndex((l) => /Error\b/.test(l));
    const tail = i < 0 ? '' : [lines[i], lines.slice(i + 1).find((l) => l.startsWith('at '))].filter(Boolean).join(' ').replace(/file:\/\/|\/\S*node_modules\//g, '');
    return `${this.exitInfo ?? 'alive'}${tail ? `: ${tail.slice(0, 300)}` : ''}`;
  }

  sample(): ProcSample | undefined {
    return this.alive() ? sampleProc(this.pid) : undefined;
  }

  /**
   * Node targets run a full GC before a memory reading and report their V8 heap in use (bytes);
   * Mosquitto has nothing to collect (undefined).
   */
  async gc(): Promise<number | undefined> {
    if (!this.child.send || !this.alive()) return undefined;
    return new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 3000);
      const onMsg = (m: { ev?: string; heapUsed?: number }) => {
        if (m.ev !== 'gc-done') return;
        clearTimeout(timer);
        this.child.off('message', onMsg);
        resolve(m.heapUsed);
      };
      this.child.on('message', onMsg);
      this.child.send!({ cmd: 'gc' });
    });
  }

  /** QoS 0 deliveries the broker core shed so far (lean core); undefined where nothing counts them. */
  async shedCount(): Promise<number | undefined> {
    if (!this.child.send || !this.alive()) return undefined;
    return new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 3000);
      const onMsg = (m: { ev?: string; shed?: number }) => {
        if (m.ev !== 'stats') return;
        clearTimeout(timer);
        this.child.off('message', onMsg);
        resolve(m.shed);
      };
      this.child.on('message', onMsg);
      this.child.send!({ cmd: 'stats' });
    });
  }

  async stop(): Promise<void> {
    if (this.alive()) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      if (this.child.send && this.child.connected) this.child.send({ cmd: 'close' });
      else this.child.kill('SIGTERM');
      await atMost(exited, 5000);
      if (this.alive()) {
        this.child.kill('SIGKILL');
        await atMost(exited, 2000);
      }
    }
    await this.cleanup();
  }

  /** Mosquitto 2.x from the distribution, on a free loopback port with a generated config. */
  static async mosquitto(name: string, binary: string, extraConfig: string[]): Promise<Target> {
    const dir = await mkdtemp(join(tmpdir(), 'aviary-bench-mosq-'));
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(
      conf,
      [`listener ${port} ${BENCH_HOST}`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', 'max_connections -1', ...extraConfig, ''].join('\n'),
    );
    const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    const t = new Target(name, child, port, () => rm(dir, { recursive: true, force: true }));
    try {
      await waitForPort(port, 5000, () => t.alive());
    } catch (e) {
      await t.stop();
      throw new Error(`${name} did not start: ${(e as Error).message}; ${t.crashReport()}`);
    }
    return t;
  }

  /**
   * A Node broker (bare aedes, bare lean core, or Aviary) in target-child.js, which reports its port over
   * IPC. `entry` is the compiled target-child.js to run: the build's beside this file by default (the
   * smoke test passes one compiled from the sources, as Jest runs without a build).
   */
  static async node(name: string, spec: TargetSpec, nodeArgs: string[] = [], entry = distFile('./target-child.js')): Promise<Target> {
    const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, entry, JSON.stringify(spec)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const t = new Target(name, child, 0, async () => undefined);
    try {
      t.port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no port reported within 30 s')), 30_000);
        child.on('message', (m: { ev?: string; port?: number; message?: string }) => {
          if (m.ev === 'listening') {
            clearTimeout(timer);
            resolve(m.port!);
          } else if (m.ev === 'error') {
            clearTimeout(timer);
            reject(new Error(m.message));
          }
        });
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new Error(`exited during start-up (${t.crashReport()})`));
        });
      });
    } catch (e) {
      await t.stop();
      throw new Error(`${name} did not start: ${(e as Error).message}`);
    }
    return t;
  }
}

/** A load-generator child running one role (gen-child.js). */
export class GenChild {
  private constructor(
    readonly child: ChildProcess,
    private readonly replies: Array<(m: GenReply) => void>,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  sample(): ProcSample | undefined {
    return this.alive() ? sampleProc(this.pid) : undefined;
  }

  /** Spawns the child and resolves once its connections are up (and subscribed). */
  static async start(job: Job, maxMs: number): Promise<GenChild> {
    const child = spawn(process.execPath, [distFile('./gen-child.js')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const waiters: Array<(m: GenReply) => void> = [];
    child.on('message', (m: GenReply) => waiters.shift()?.(m));
    child.on('exit', () => {
      for (const w of waiters.splice(0)) w({ ev: 'error', message: 'generator exited' });
    });
    const g = new GenChild(child, waiters);
    const reply = await g.request({ cmd: 'start', job, maxMs }, 60_000);
    if (reply.ev !== 'ready') {
      g.kill();
      throw new Error(`generator (${job.role}) failed to start: ${reply.ev === 'error' ? reply.message : reply.ev}`);
    }
    return g;
  }

  /** One request, one reply, in order. */
  request(msg: GenCommand, timeoutMs = 10_000): Promise<GenReply> {
    return new Promise((resolve) => {
      if (!this.alive() || !this.child.connected) return resolve({ ev: 'error', message: 'generator not running' });
      const timer = setTimeout(() => resolve({ ev: 'error', message: `no reply to ${msg.cmd} within ${timeoutMs} ms` }), timeoutMs);
      this.replies.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.send(msg);
    });
  }

  go(): void {
    if (this.alive() && this.child.connected) this.child.send({ cmd: 'go' } satisfies GenCommand);
  }

  async snap(reset = false): Promise<Stats | undefined> {
    const r = await this.request({ cmd: 'snap', reset });
    return r.ev === 'stats' ? r.stats : undefined;
  }

  async stop(drainMs: number): Promise<Stats | undefined> {
    const r = await this.request({ cmd: 'stop', drainMs }, drainMs + 5000);
    return r.ev === 'stats' ? r.stats : undefined;
  }

  /** Closes connections and exits; killed if it does not within 3 s. */
  async close(): Promise<void> {
    if (!this.alive()) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.connected) this.child.send({ cmd: 'exit' } satisfies GenCommand);
    await atMost(exited, 3000);
    this.kill();
  }

  kill(): void {
    if (this.alive()) this.child.kill('SIGKILL');
  }
}

export type GenCommand =
  | { cmd: 'start'; job: Job; maxMs: number }
  | { cmd: 'go' }
  | { cmd: 'snap'; reset: boolean }
  | { cmd: 'stop'; drainMs: number }
  | { cmd: 'exit' };

export type GenReply = { ev: 'ready' } | { ev: 'stats'; stats: Stats } | { ev: 'error'; message: string };
