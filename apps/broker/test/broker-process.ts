import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from '@swc/core';
import type { Job, Stats } from '../../../bench/generator.js';
import type { GenCommand, GenReply } from '../../../bench/procs.js';

/**
 * Real broker processes for the tests that need one: `kill -9` and a restart, or the broker's own RSS
 * under a flood (an in-process broker would share its heap with Jest and the load generator).
 *
 * How a child runs our TypeScript: `compileSources()` compiles the sources (apps/, libs/, bench/,
 * migrations/; not the tests) with SWC — the compiler and options Jest uses (jest.config.js) — into a
 * fresh tree under node_modules/.cache/, and the child is plain `node` on the compiled entry point, so
 * nothing but the application is in its memory. Why not the tsc build in dist/: it is only as fresh as
 * the last `npm run build`, and a test would silently run an older broker. Why not a loader hook
 * (`node --import` + SWC on the fly): it works, but its worker thread and the native compiler stay
 * resident in the broker process (≈ 90 MB RSS here), which skews the flood test's memory bound.
 *
 * The broker child is the production entry point, `apps/broker/src/main.ts` (what `npm run start:broker`
 * runs from dist/), configured only through its environment. With MQTT_PORT=0 its port is read from its
 * start-up log line `Broker <id> listening: mqtt=<port> …` (broker.ts).
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE_DIRS = ['apps', 'libs', 'bench', 'migrations'];
const SWC_OPTIONS: swc.Options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

export interface CompiledTree {
  /** The compiled counterpart of a repository .ts file (path relative to the repository root). */
  file(repoPath: string): string;
  remove(): Promise<void>;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'results') yield* sourceFiles(path);
    } else if (entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec|d)\.ts$/.test(entry.name)) {
      yield path;
    }
  }
}

/** See above: ≈ 1 s for the whole tree. Each call gets its own directory (Jest workers run in parallel). */
export async function compileSources(): Promise<CompiledTree> {
  const cache = join(REPO_ROOT, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const out = await mkdtemp(join(cache, 'aviary-e2e-'));
  const jobs: Promise<void>[] = [];
  for (const top of SOURCE_DIRS) {
    for await (const src of sourceFiles(join(REPO_ROOT, top))) {
      jobs.push(
        (async () => {
          const { code } = await swc.transformFile(src, SWC_OPTIONS);
          const target = join(out, relative(REPO_ROOT, src)).replace(/\.ts$/, '.js');
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, code);
        })(),
      );
    }
  }
  await Promise.all(jobs);
  return {
    file: (repoPath) => join(out, repoPath.replace(/\.ts$/, '.js')),
    remove: () => rm(out, { recursive: true, force: true }),
  };
}

export interface BrokerEnv {
  DATABASE_URL: string;
  AVIARY_MASTER_KEY: string;
  AVIARY_DATA_DIR: string;
  AVIARY_NODE_ID?: string;
  LOG_LEVEL?: 'error' | 'warn' | 'log' | 'debug';
}

export class BrokerProcess {
  private log = '';
  private exitInfo: string | undefined;
  readonly exited: Promise<string>;

  private constructor(
    readonly child: ChildProcess,
    public port = 0,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve(this.exitInfo);
      }),
    );
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts `main.ts` and resolves once it listens (rejects with its output if it does not within 60 s). */
  static async start(tree: CompiledTree, env: BrokerEnv): Promise<BrokerProcess> {
    const child = spawn(process.execPath, [tree.file('apps/broker/src/main.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        MQTT_PORT: '0',
        MQTT_WS_PORT: '0',
        LOG_LEVEL: 'log',
        ...env,
      },
    });
    const b = new BrokerProcess(child);
    try {
      b.port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('not listening within 60 s')), 60_000);
        const onData = () => {
          const m = /listening: mqtt=(\d+)/.exec(b.log);
          if (!m) return;
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(Number(m[1]));
        };
        child.stdout?.on('data', onData);
        void b.exited.then((how) => {
          clearTimeout(timer);
          reject(new Error(`broker ${how} during start-up`));
        });
      });
    } catch (e) {
      b.kill9();
      throw new Error(`${(e as Error).message}\n--- broker output ---\n${b.output()}`);
    }
    return b;
  }

  get pid(): number {
    return this.child.pid!;
  }

  alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** What the broker printed (last 20 KB). */
  output(): string {
    return this.log;
  }

  /** Resident set size in bytes (undefined once the process is gone). */
  rss(): number | undefined {
    if (!this.alive()) return undefined;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** `kill -9`: no shutdown code runs, nothing is flushed. */
  kill9(): void {
    if (this.alive()) this.child.kill('SIGKILL');
  }

  /** SIGTERM (orderly shutdown), SIGKILL if it is not gone within 10 s. */
  async stop(): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill9(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * A load-generator process of the bench (bench/gen-child.ts: raw sockets, pre-encoded frames, far cheaper
 * than mqtt.js), compiled like the broker. One role per process, driven over IPC; it exits by
 * itself when this process goes away or its hard deadline passes.
 */
export class GeneratorProcess {
  private readonly replies: Array<(m: GenReply) => void> = [];

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: GenReply) => this.replies.shift()?.(m));
    child.on('exit', () => {
      for (const r of this.replies.splice(0)) r({ ev: 'error', message: 'generator exited' });
    });
  }

  /** Spawns it and resolves once its connections are open (and subscribed). */
  static async start(tree: CompiledTree, job: Job, maxMs: number): Promise<GeneratorProcess> {
    const child = spawn(process.execPath, [tree.file('bench/gen-child.ts')], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const g = new GeneratorProcess(child);
    const r = await g.request({ cmd: 'start', job, maxMs }, 60_000);
    if (r.ev !== 'ready') {
      g.kill();
      throw new Error(`generator (${job.role}) did not start: ${r.ev === 'error' ? r.message : r.ev}`);
    }
    return g;
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  go(): void {
    if (this.child.connected) this.child.send({ cmd: 'go' } satisfies GenCommand);
  }

  async snap(): Promise<Stats | undefined> {
    const r = await this.request({ cmd: 'snap', reset: false });
    return r.ev === 'stats' ? r.stats : undefined;
  }

  async stop(): Promise<Stats | undefined> {
    const r = await this.request({ cmd: 'stop', drainMs: 0 });
    return r.ev === 'stats' ? r.stats : undefined;
  }

  /** SIGKILL: its sockets vanish with whatever the broker had queued for them. */
  kill(): void {
    if (this.alive()) this.child.kill('SIGKILL');
  }

  private request(msg: GenCommand, timeoutMs = 10_000): Promise<GenReply> {
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
}
