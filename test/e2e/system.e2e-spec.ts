/**
 * The product end to end, through its public faces only: Alibaba's pop-core client provisions, devices
 * (mqtt.js and Debian's mosquitto clients) connect with Signature credentials computed as Alibaba
 * documents, and the control plane reaches them (SendMessage, P2P, CloseConnection).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hmacSha1Base64 } from '../../libs/common/src/crypto.js';
import { uniqueName } from '../../libs/testing/src/api-app.js';
import { startSystem, type TestSystem } from '../../libs/testing/src/system.js';

const run = promisify(execFile);
type Body = Record<string, any>;

function nextMessage(client: import('mqtt').MqttClient, timeoutMs = 5000): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
    client.once('message', (topic, payload) => {
      clearTimeout(timer);
      resolve({ topic, payload: payload.toString() });
    });
  });
}

describe('Aviary end to end', () => {
  let sys: TestSystem;
  let InstanceId: string;
  const call = (action: string, params: Record<string, unknown>) => sys.call(action, params);

  beforeAll(async () => {
    sys = await startSystem();
    InstanceId = await sys.provision(uniqueName('e2e'), ['sensors'], ['GID_demo']);
  });
  afterAll(() => sys.close());

  it('should carry a message from mosquitto_pub to mosquitto_sub with Signature credentials', async () => {
    const user = `Signature|${sys.api.rootAccessKeyId}|${InstanceId}`;
    const pw = (cid: string) => hmacSha1Base64(sys.api.rootAccessKeySecret, cid);
    const sub = run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(sys.mqttPort), '-V', 'mqttv311', '-i', 'GID_demo@@@sub1', '-u', user, '-P', pw('GID_demo@@@sub1'), '-t', 'sensors/#', '-q', '1', '-C', '1', '-W', '10']);
    // mosquitto_sub has no "subscribed" signal: publish until it has taken one message.
    let received: { stdout: string } | undefined;
    void sub.then((r) => (received = r));
    for (let i = 0; i < 40 && !received; i++) {
      await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(sys.mqttPort), '-V', 'mqttv311', '-i', 'GID_demo@@@pub1', '-u', user, '-P', pw('GID_demo@@@pub1'), '-t', 'sensors/room1', '-m', '21.5', '-q', '1']);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await sub).stdout.trim()).toBe('21.5');
  });

  it('should refuse a wrong signature with CONNACK 4 through mosquitto_pub', async () => {
    const failed = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(sys.mqttPort), '-V', 'mqttv311', '-i', 'GID_demo@@@pub2', '-u', `Signature|${sys.api.rootAccessKeyId}|${InstanceId}`, '-P', 'wrong', '-t', 'sensors/x', '-m', 'x']).catch((e: { stderr: string }) => e);
    expect(String((failed as { stderr: string }).stderr)).toMatch(/not authori[sz]ed|bad user name or password/i);
  });

  it('should deliver SendMessage to subscribers and to a P2P target', async () => {
    const dev = await sys.device('GID_demo@@@dev1', InstanceId);
    try {
      await dev.subscribeAsync('sensors/cmd', { qos: 1 });
      const got = nextMessage(dev);
      const sent = await call('SendMessage', { InstanceId, MqttTopic: 'sensors/cmd', Payload: 'reboot' });
      expect(await got).toEqual({ topic: 'sensors/cmd', payload: 'reboot' });
      expect(sent.MsgId).toMatch(/^[0-9A-F]{32}$/);

      const p2p = nextMessage(dev);
      await call('SendMessage', { InstanceId, MqttTopic: 'sensors/p2p/GID_demo@@@dev1', Payload: 'just you' });
      expect(await p2p).toEqual({ topic: 'sensors/p2p/GID_demo@@@dev1', payload: 'just you' });
    } finally {
      await dev.endAsync();
    }
  });

  it('should close a device connection on CloseConnection', async () => {
    const dev = await sys.device('GID_demo@@@dev2', InstanceId);
    const closed = new Promise<void>((resolve) => dev.once('close', () => resolve()));
    await call('CloseConnection', { InstanceId, ClientId: 'GID_demo@@@dev2' });
    await closed;
    expect(dev.connected).toBe(false);
    await dev.endAsync();
  });

  describe('sessions', () => {
    async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 1000): Promise<{ value: T; elapsed: number }> {
      const start = Date.now();
      for (;;) {
        const value = await fn();
        if (ok(value) || Date.now() - start > ms) return { value, elapsed: Date.now() - start };
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it('should report a device online within 1 s of its connect and offline within 1 s of its disconnect', async () => {
      const online = () => call('QuerySessionByClientId', { InstanceId, ClientId: 'GID_demo@@@s1' }).then((b) => b.OnlineStatus as boolean);
      expect(await online()).toBe(false);
      const dev = await sys.device('GID_demo@@@s1', InstanceId);
      const up = await until(online, (v) => v === true);
      expect(up.value).toBe(true);
      expect(up.elapsed).toBeLessThan(1000);
      await dev.subscribeAsync('sensors/+/temp', { qos: 1 });
      const rich = await until(
        () => fetch(`${sys.api.url}/v1/instances/${InstanceId}/sessions/GID_demo@@@s1`, { headers: { authorization: sys.api.rootAuth } }).then((r) => r.json() as Promise<Body>),
        (b) => (b.subscriptions as string[]).length === 1,
      );
      expect(rich.value).toMatchObject({ clientId: 'GID_demo@@@s1', online: true, subscriptions: ['sensors/+/temp'], clientIp: expect.stringContaining('127.0.0.1') });
      expect(rich.value.channelId).toEqual(expect.any(String));
      await dev.endAsync();
      const down = await until(online, (v) => v === false);
      expect(down.value).toBe(false);
      expect(down.elapsed).toBeLessThan(1000);
    });

    it('should answer BatchQuerySessionByClientIds for up to 10 ClientIds', async () => {
      const dev = await sys.device('GID_demo@@@b1', InstanceId);
      try {
        const batch = () => call('BatchQuerySessionByClientIds', { InstanceId, ClientIdList: ['GID_demo@@@b1', 'GID_demo@@@b2'] });
        const { value } = await until(batch, (b) => (b.OnlineStatusList as Body[])[0]!.OnlineStatus === true);
        expect(value.OnlineStatusList).toEqual([
          { ClientId: 'GID_demo@@@b1', OnlineStatus: true },
          { ClientId: 'GID_demo@@@b2', OnlineStatus: false },
        ]);
        const eleven = Array.from({ length: 11 }, (_, i) => `GID_demo@@@x${i}`);
        await expect(call('BatchQuerySessionByClientIds', { InstanceId, ClientIdList: eleven })).rejects.toMatchObject({ code: 'InvalidParameter.ClientIdList' });
        await expect(call('BatchQuerySessionByClientIds', { InstanceId })).rejects.toMatchObject({ code: 'MissingParameter' });
        await expect(call('QuerySessionByClientId', { InstanceId, ClientId: 'nope' })).rejects.toMatchObject({ code: 'InvalidParameter.ClientId' });
      } finally {
        await dev.endAsync();
      }
    });
  });
});
