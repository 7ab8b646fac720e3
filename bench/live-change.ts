/**
 * How fast a control-plane change reaches live connections (performance issue: ≤ 500 ms p99): the time
 * from the API call returning to the device's connection being closed, for disabling an AccessKey
 * (Signature device) and for RevokeToken (Token device). API and broker run in this process exactly as
 * `npm start` runs them, on a scratch database; devices are mqtt.js clients. Bounded: N rounds each.
 */
import RPCClient from '@alicloud/pop-core';
import { connectAsync, type MqttClient } from 'mqtt';
import { fileURLToPath } from 'node:url';
import { hmacSha1Base64 } from '../libs/common/src/crypto.js';
import { loadConfig } from '../libs/config/src/config.js';
import { startApi } from '../apps/api/src/start.js';
import { startBrokerApp } from '../apps/broker/src/start.js';
import { createAviaryFixture } from './aviary-fixture.js';

export interface LiveChangeResult {
  change: string;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function closed(c: MqttClient, timeoutMs: number): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the connection was not closed')), timeoutMs);
    c.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - t);
    });
  });
}

/** A credential created a moment ago reaches the broker by NOTIFY: retry CONNACK 4 briefly. */
async function connectFresh(url: string, opts: Parameters<typeof connectAsync>[1]): Promise<MqttClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectAsync(url, opts);
    } catch (e) {
      if ((e as { code?: number }).code !== 4 || attempt >= 40) throw e;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function summary(change: string, ms: number[]): LiveChangeResult {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => Number(s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1));
  return { change, rounds: s.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: Number(s[s.length - 1]!.toFixed(1)) };
}

export async function runLiveChangeBench(adminUrl: string, rounds: number, log: (m: string) => void = console.log): Promise<LiveChangeResult[]> {
  const fx = await createAviaryFixture(adminUrl);
  const { accessKeyId, accessKeySecret, instanceId, groupId } = fx.auth as { accessKeyId: string; accessKeySecret: string; instanceId: string; groupId: string };
  const config = {
    ...loadConfig({ LOG_LEVEL: 'error', MQTT_PORT: '0', MQTT_WS_PORT: '0', HTTP_PORT: '0' }),
    databaseUrl: fx.databaseUrl,
    dataDir: fx.dataDir,
    masterKey: fx.masterKeyBase64,
    rootAccessKeyId: accessKeyId,
    rootAccessKeySecret: accessKeySecret,
  };
  const api = await startApi(config, 0);
  const broker = await startBrokerApp(config);
  try {
    const { port } = api.getHttpServer().address() as { port: number };
    const pop = new RPCClient({ accessKeyId, accessKeySecret, endpoint: `http://127.0.0.1:${port}`, apiVersion: '2020-04-20' });
    const call = (action: string, params: Record<string, unknown>) => pop.request<Record<string, string>>(action, params, { method: 'POST' });
    const mqttUrl = `mqtt://127.0.0.1:${broker.broker.running.ports.mqtt}`;
    const keyMs: number[] = [];
    const tokenMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Disabling an AccessKey closes the Signature devices using it.
      const policy = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:*'], Resource: [`acs:mq:*:*:*/${instanceId}*`] }] });
      const key = await call('CreateAccessKey', { Policy: policy });
      const cid = `${groupId}@@@live-k${i}`;
      const dev = await connectFresh(mqttUrl, { clientId: cid, username: `Signature|${key.AccessKeyId}|${instanceId}`, password: hmacSha1Base64(key.AccessKeySecret!, cid), reconnectPeriod: 0 });
      const gone = closed(dev, 5000);
      await call('UpdateAccessKey', { UserAccessKeyId: key.AccessKeyId, Status: 'Inactive' });
      keyMs.push(await gone);
      dev.end(true);

      // RevokeToken closes the Token devices holding it (after $SYS/tokenInvalidNotice).
      const { Token } = await call('ApplyToken', { InstanceId: instanceId, Resources: 'bench/#', Actions: 'R,W', ExpireTime: Date.now() + 3_600_000 });
      const tid = `${groupId}@@@live-t${i}`;
      const tdev = await connectFresh(mqttUrl, { clientId: tid, username: `Token|${accessKeyId}|${instanceId}`, password: `RW|${Token}`, reconnectPeriod: 0 });
      const tgone = closed(tdev, 5000);
      await call('RevokeToken', { InstanceId: instanceId, Token });
      tokenMs.push(await tgone);
      tdev.end(true);
    }
    const results = [summary('disable AccessKey → Signature device closed', keyMs), summary('RevokeToken → Token device closed', tokenMs)];
    for (const r of results) log(`${r.change}: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms (${r.rounds} rounds)`);
    return results;
  } finally {
    await broker.close();
    await api.close();
    await fx.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 30);
  await runLiveChangeBench(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', rounds);
  process.exit(0);
}
