import { BrokerFixture, closed, connackCode, inbox, sleep, subscribeGranted, waitFor, type Tenant } from './broker-fixture.js';

describe('broker authorization, tenant isolation and P2P', () => {
  let f: BrokerFixture;
  let t: Tenant;

  beforeAll(async () => {
    f = await BrokerFixture.start();
    t = await f.tenant(['T1', 'T2']);
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should answer SUBACK 0x80 for filters outside the parent topics, granting the rest', async () => {
    const c = await f.connect(t, 'GID_dev@@@s1');
    const granted = await subscribeGranted(c, { 'T1/a': { qos: 1 }, 'Nope/a': { qos: 0 }, '#': { qos: 0 }, '+/x': { qos: 0 }, 'T2/#': { qos: 0 }, '$SYS/#': { qos: 0 } });
    expect(granted).toEqual([1, 128, 128, 128, 0, 128]);
    expect(c.connected).toBe(true);
    c.end(true);
  });

  it('should close the connection on a publish outside the parent topics or to $SYS', async () => {
    for (const topic of ['Nope/x', '$SYS/anything', '$SYS/uploadToken']) {
      const c = await f.connect(t, 'GID_dev@@@p1');
      c.publish(topic, 'x', { qos: 1 });
      await closed(c);
      expect(c.connected).toBe(false);
    }
  });

  it('should enforce mq:PUB / mq:SUB of the AccessKey policy', async () => {
    const key = await f.accessKey({
      policy: {
        Version: '1',
        Statement: [
          { Effect: 'Allow', Action: 'mq:SUB', Resource: `acs:mq:*:*:topic/${t.instanceId}/T1` },
          { Effect: 'Allow', Action: 'mq:PUB', Resource: `acs:mq:*:*:topic/${t.instanceId}/T2` },
        ],
      },
    });
    await f.synced();
    const u = { instanceId: t.instanceId, key };
    const c = await f.connect(u, 'GID_dev@@@pol1');
    const got = inbox(c);
    expect(await subscribeGranted(c, { 'T1/#': { qos: 1 }, 'T2/#': { qos: 1 } })).toEqual([1, 128]);
    const root = await f.connect(t, 'GID_dev@@@pol-root');
    await root.publishAsync('T1/from-root', 'r', { qos: 1 });
    await waitFor(() => got.length === 1);
    await c.publishAsync('T2/allowed', 'ok', { qos: 1 }); // PUB on T2 allowed
    expect(c.connected).toBe(true);
    c.publish('T1/denied', 'no', { qos: 1 }); // no PUB on T1
    await closed(c);
    expect(got.map((m) => m.topic)).toEqual(['T1/from-root']);
    root.end(true);
  });

  it('should keep two instances with identical topic names, ClientIds and retained messages apart', async () => {
    const a = await f.tenant(['Shared']);
    const b = await f.tenant(['Shared']);
    const cid = 'GID_dev@@@same';
    const subA = await f.connect(a, cid);
    const subB = await f.connect(b, cid); // the same ClientId in another instance does not take A over
    const gotA = inbox(subA);
    const gotB = inbox(subB);
    await subA.subscribeAsync('Shared/#', { qos: 1 });
    await subB.subscribeAsync('Shared/#', { qos: 1 });
    const pubA = await f.connect(a, 'GID_dev@@@pub');
    const pubB = await f.connect(b, 'GID_dev@@@pub');
    await pubA.publishAsync('Shared/x', 'from-a', { qos: 1 });
    await pubB.publishAsync('Shared/x', 'from-b', { qos: 1 });
    await pubA.publishAsync('Shared/ret', 'retained-a', { qos: 1, retain: true });
    await pubB.publishAsync('Shared/ret', 'retained-b', { qos: 1, retain: true });
    await waitFor(() => gotA.length === 2 && gotB.length === 2);
    await sleep(100);
    expect(subA.connected && subB.connected).toBe(true);
    expect(gotA.map((m) => m.payload)).toEqual(['from-a', 'retained-a']);
    expect(gotB.map((m) => m.payload)).toEqual(['from-b', 'retained-b']);
    // retained messages are per instance too
    const lateA = await f.connect(a, 'GID_dev@@@late');
    const lateGot = inbox(lateA);
    await lateA.subscribeAsync('Shared/ret', { qos: 1 });
    await waitFor(() => lateGot.length === 1);
    await sleep(100);
    expect(lateGot).toEqual([{ topic: 'Shared/ret', payload: 'retained-a', retain: true }]);
    // B cannot even name A's parent topic namespace
    expect(await subscribeGranted(subB, { [`~${a.instanceId}/Shared/#`]: { qos: 0 } })).toEqual([128]);
    for (const c of [subA, subB, pubA, pubB, lateA]) c.end(true);
  });

  it('should keep wills inside their instance', async () => {
    const a = await f.tenant(['W']);
    const b = await f.tenant(['W']);
    const watchA = await f.connect(a, 'GID_dev@@@watch');
    const watchB = await f.connect(b, 'GID_dev@@@watch');
    const gotA = inbox(watchA);
    const gotB = inbox(watchB);
    await watchA.subscribeAsync('W/#', { qos: 1 });
    await watchB.subscribeAsync('W/#', { qos: 1 });
    const dying = await f.connect(a, 'GID_dev@@@dying', { will: { topic: 'W/will', payload: Buffer.from('gone'), qos: 1, retain: false } });
    dying.stream.destroy(); // no DISCONNECT: the will fires
    await waitFor(() => gotA.length === 1);
    await sleep(100);
    expect(gotA).toEqual([{ topic: 'W/will', payload: 'gone', retain: false }]);
    expect(gotB).toEqual([]);
    watchA.end(true);
    watchB.end(true);
  });

  it('should deliver P2P messages to their target only, without subscription, and never through wildcards', async () => {
    const target = await f.connect(t, 'GID_dev@@@target');
    const other = await f.connect(t, 'GID_dev@@@other');
    const gotTarget = inbox(target);
    const gotOther = inbox(other);
    // the other client tries every way to see the target's P2P messages
    const granted = await subscribeGranted(other, { 'T1/#': { qos: 1 }, 'T1/p2p/GID_dev@@@target': { qos: 1 }, 'T1/p2p/#': { qos: 1 }, 'T1/+/GID_dev@@@target': { qos: 1 } });
    expect(granted).toEqual([1, 128, 128, 1]);
    // the same instance's P2P from another sender, and a same-named target in another instance
    const elsewhere = await f.tenant(['T1']);
    const twin = await f.connect(elsewhere, 'GID_dev@@@target');
    const gotTwin = inbox(twin);
    const sender = await f.connect(t, 'GID_dev@@@sender');
    await sender.publishAsync('T1/p2p/GID_dev@@@target', 'private', { qos: 1 });
    await sender.publishAsync('T1/p2p/GID_dev@@@target', 'private-retained?', { qos: 0, retain: true });
    await sender.publishAsync('T1/public', 'public', { qos: 1 });
    await waitFor(() => gotTarget.length === 2 && gotOther.length === 1);
    await sleep(100);
    expect(gotTarget.map((m) => [m.topic, m.payload, m.retain])).toEqual([
      ['T1/p2p/GID_dev@@@target', 'private', false],
      ['T1/p2p/GID_dev@@@target', 'private-retained?', false],
    ]);
    expect(gotOther.map((m) => m.payload)).toEqual(['public']);
    expect(gotTwin).toEqual([]);
    // P2P is not retained: the target reconnecting gets nothing again
    target.end(true);
    const again = await f.connect(t, 'GID_dev@@@target');
    const gotAgain = inbox(again);
    await sleep(150);
    expect(gotAgain).toEqual([]);
    for (const c of [again, other, twin, sender]) c.end(true);
  });

  it('should let a Signature key without rights on a topic not receive it through a wildcard after a policy change', async () => {
    const key = await f.accessKey({ policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:SUB', 'mq:PUB'], Resource: `acs:mq:*:*:topic/${t.instanceId}/*` }] } });
    await f.synced();
    const u = { instanceId: t.instanceId, key };
    const c = await f.connect(u, 'GID_dev@@@narrow');
    const got = inbox(c);
    await c.subscribeAsync('T2/#', { qos: 1 });
    const root = await f.connect(t, 'GID_dev@@@narrow-pub');
    await root.publishAsync('T2/a', 'before', { qos: 1 });
    await waitFor(() => got.length === 1);
    // narrow the policy to T1: deliveries on the existing T2 subscription stop
    await f.ds.query(`UPDATE access_keys SET policy = $1 WHERE id = $2`, [
      JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['mq:SUB', 'mq:PUB'], Resource: `acs:mq:*:*:topic/${t.instanceId}/T1` }] }),
      key.id,
    ]);
    await f.synced();
    await root.publishAsync('T2/a', 'after', { qos: 1 });
    await sleep(150);
    expect(got.map((m) => m.payload)).toEqual(['before']);
    expect(c.connected).toBe(true); // still has rights on T1
    c.end(true);
    root.end(true);
  });
});

describe('broker extension seams (tokens issue)', () => {
  let f: BrokerFixture;
  const uploads: { clientId: string; topic: string; payload: string }[] = [];

  beforeAll(async () => {
    f = await BrokerFixture.start({
      // a stand-in Token authenticator: password "R|letmein" is valid, anything else is not
      authenticators: {
        Token: {
          authenticate: async (req) =>
            req.password?.toString() === 'R|letmein'
              ? { ok: true, principal: { mode: 'Token', keyId: req.keyId, mayPublish: () => false, maySubscribe: (filter) => filter.startsWith('T1/'), stillValid: () => true } }
              : { ok: false, returnCode: 4, reason: 'invalid token' },
        },
      },
      systemTopics: { '$SYS/uploadToken': (ctx, topic, payload) => uploads.push({ clientId: ctx.clientId, topic, payload: payload.toString() }) },
    });
  });

  afterAll(async () => {
    await f.stop();
  });

  it('should route a username mode to its pluggable authenticator and apply its rights', async () => {
    const t = await f.tenant(['T1', 'T2']);
    const cid = 'GID_dev@@@tok';
    expect(await connackCode(f.port, { clientId: cid, username: `Token|${t.key.id}|${t.instanceId}`, password: 'R|nope' })).toBe(4);
    const c = await f.connect(t, cid, { username: `Token|${t.key.id}|${t.instanceId}`, password: 'R|letmein' });
    expect(await subscribeGranted(c, { 'T1/a': { qos: 0 }, 'T2/a': { qos: 0 } })).toEqual([0, 128]);
    // a registered system topic is consumed by its handler, reaches no subscriber, and keeps the connection
    const watcher = await f.connect(t, 'GID_dev@@@watch');
    const got = inbox(watcher);
    await watcher.subscribeAsync('T1/#');
    await c.publishAsync('$SYS/uploadToken', '{"token":"x"}', { qos: 1 });
    expect(uploads).toEqual([{ clientId: cid, topic: '$SYS/uploadToken', payload: '{"token":"x"}' }]);
    await sleep(100);
    expect(got).toEqual([]);
    expect(c.connected).toBe(true);
    // the Token principal may not publish: closed
    c.publish('T1/a', 'x', { qos: 1 });
    await closed(c);
    watcher.end(true);
  });
});
