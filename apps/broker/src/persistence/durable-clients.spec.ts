import { DurableClients } from './durable-clients.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('DurableClients', () => {
  it('knows a client per table from add until delete', () => {
    const c = new DurableClients();
    expect(c.has('subscriptions', 'a')).toBe(false);
    c.add('subscriptions', 'a');
    c.add('will', 'a');
    expect(c.has('subscriptions', 'a')).toBe(true);
    expect(c.has('outgoing', 'a')).toBe(false);
    c.delete('subscriptions', 'a');
    expect(c.has('subscriptions', 'a')).toBe(false);
    expect(c.has('will', 'a')).toBe(true);
    expect(c.sizes()).toEqual({ subscriptions: 0, outgoing: 0, incoming: 0, will: 1, pending: 0 });
  });

  it('settled() waits for the last write of that client in flight, and only that client', async () => {
    const c = new DurableClients();
    const first = deferred();
    const second = deferred();
    void c.track('a', first.promise);
    void c.track('a', second.promise).catch(() => undefined);
    const order: string[] = [];
    const waiting = c.settled('a').then(() => order.push('settled a'));
    await c.settled('b').then(() => order.push('settled b'));
    first.resolve();
    await Promise.resolve();
    expect(c.hasPending('a')).toBe(true);
    second.reject(new Error('a failed write settles too'));
    await waiting;
    expect(order).toEqual(['settled b', 'settled a']);
    await Promise.resolve();
    expect(c.hasPending('a')).toBe(false);
    expect(c.sizes().pending).toBe(0);
  });

  it('forgets an offline queue found empty only if no enqueue was issued since the query', () => {
    const c = new DurableClients();
    c.add('outgoing', 'a');
    const epoch = c.outgoingEpochOf('a');
    c.add('outgoing', 'a'); // an enqueue raced the query
    c.forgetOutgoingIfUnchanged('a', epoch);
    expect(c.has('outgoing', 'a')).toBe(true);
    c.forgetOutgoingIfUnchanged('a', c.outgoingEpochOf('a'));
    expect(c.has('outgoing', 'a')).toBe(false);
    // A later enqueue brings it back with a fresh epoch.
    c.add('outgoing', 'a');
    expect(c.has('outgoing', 'a')).toBe(true);
  });
});
