/**
 * Control-plane throughput on the RPC face: ApplyToken and QuerySessionByClientId requests/s with p50/p99,
 * signed (v1) exactly as @alicloud/pop-core signs them, against the API app in its own process (so its
 * CPU is measurable) on a scratch database. `npm run bench:api`; also run by `npm run bench`.
 *
 * The generator signs and sends from this process over keep-alive connections; it is bounded in time and
 * in requests. Target of the performance issue: ApplyToken ≥ 1,500 requests/s with p99 ≤ 20 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { signV1 } from '../libs/signature/src/v1.js';
import { createAviaryFixture } from './aviary-fixture.js';
import { freePort, sampleProc } from './procs.js';

export interface ControlPlaneResult {
  action: string;
  requests: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the API process over the window, in cores (1.0 = one core busy). */
  apiCores: number;
}

const VERSION = '2020-04-20';

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function waitReady(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('API did not become ready');
}

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function load(opts: {
  port: number;
  pid: number;
  action: string;
  params: () => Record<string, string>;
  keyId: string;
  secret: string;
  concurrency: number;
  durationMs: number;
  maxRequests: number;
}): Promise<ControlPlaneResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const before = sampleProc(opts.pid);
  const start = performance.now();
  const end = start + opts.durationMs;
  const worker = async () => {
    while (performance.now() < end && sent < opts.maxRequests) {
      sent++;
      const params: Record<string, string> = {
        Action: opts.action,
        Version: VERSION,
        Format: 'JSON',
        AccessKeyId: opts.keyId,
        SignatureMethod: 'HMAC-SHA1',
        SignatureVersion: '1.0',
        SignatureNonce: randomUUID(),
        Timestamp: timestamp(),
        ...opts.params(),
      };
      const body = new URLSearchParams({ ...params, Signature: signV1('POST', params, opts.secret) }).toString();
      const t = performance.now();
      const status = await post(agent, opts.port, body).catch(() => 0);
      latencies.push(performance.now() - t);
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const elapsed = performance.now() - start;
  const after = sampleProc(opts.pid);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const cpuMs = before && after ? (after.cpuSec - before.cpuSec) * 1000 : NaN;
  return {
    action: opts.action,
    requests: latencies.length,
    errors,
    perSecond: Math.round((latencies.length / elapsed) * 1000),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    apiCores: Number((cpuMs / elapsed).toFixed(2)),
  };
}

export async function runControlPlaneBench(adminUrl: string, durationMs: number, concurrency = 16, log: (m: string) => void = console.log): Promise<ControlPlaneResult[]> {
  const fixture = await createAviaryFixture(adminUrl);
  const port = await freePort();
  let child: ChildProcess | undefined;
  try {
    const { accessKeyId, accessKeySecret, instanceId } = fixture.auth as { accessKeyId: string; accessKeySecret: string; instanceId: string };
    child = spawn(process.execPath, [fileURLToPath(new URL('../apps/api/src/main.js', import.meta.url))], {
      env: {
        ...process.env,
        DATABASE_URL: fixture.databaseUrl,
        AVIARY_DATA_DIR: fixture.dataDir,
        AVIARY_MASTER_KEY: fixture.masterKeyBase64,
        AVIARY_ROOT_ACCESS_KEY_ID: accessKeyId,
        AVIARY_ROOT_ACCESS_KEY_SECRET: accessKeySecret,
        HTTP_PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitReady(`http://127.0.0.1:${port}`, Date.now() + 30_000);
    const common = { port, pid: child.pid!, keyId: accessKeyId, secret: accessKeySecret, concurrency, durationMs, maxRequests: 200_000 };
    const results: ControlPlaneResult[] = [];
    // Warm-up (JIT, connection pool), not reported.
    await load({ ...common, durationMs: Math.min(2000, durationMs), action: 'QuerySessionByClientId', params: () => ({ InstanceId: instanceId, ClientId: 'GID_bench@@@warm' }) });
    results.push(await load({ ...common, action: 'ApplyToken', params: () => ({ InstanceId: instanceId, Resources: 'bench/#', Actions: 'R,W', ExpireTime: String(Date.now() + 3_600_000) }) }));
    results.push(await load({ ...common, action: 'QuerySessionByClientId', params: () => ({ InstanceId: instanceId, ClientId: 'GID_bench@@@dev1' }) }));
    for (const r of results) log(`${r.action} (${concurrency} concurrent): ${r.perSecond} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}, API CPU ${r.apiCores} cores`);
    return results;
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((r) => child!.once('exit', r));
    await fixture.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
  await runControlPlaneBench(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', arg('seconds', 10) * 1000, arg('concurrency', 16));
}
