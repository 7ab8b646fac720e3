import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { UpstreamContext, collectUpstreamCases, runUpstreamCase } from './upstream-suite.js';

// The harness itself must be trustworthy before the PostgreSQL run means anything: the reference
// implementation passes every case through it, and a broken implementation does not.
describe('upstream aedes-persistence suite harness', () => {
  const reference = collectUpstreamCases(() => new MemoryPersistence());

  it('collects the whole suite', () => {
    expect(reference.length).toBeGreaterThanOrEqual(50);
    expect(new Set(reference.map((c) => c.name)).size).toBe(reference.length);
  });

  it.each(reference.map((c) => [c.name, c] as const))('reference memory implementation: %s', async (_name, c) => {
    await runUpstreamCase(c);
  });

  it('fails cases against an implementation that loses subscriptions', async () => {
    class Forgetful extends MemoryPersistence {
      override async subscriptionsByTopic(): Promise<Record<string, unknown>[]> {
        return [];
      }
    }
    const cases = collectUpstreamCases(() => new Forgetful());
    const failed: string[] = [];
    for (const c of cases) {
      await runUpstreamCase(c).catch(() => failed.push(c.name));
    }
    expect(failed).toContain('store and look up subscriptions by topic');
    expect(failed).toContain('QoS 0 subscriptions, restored but not matched');
  });

  it('fails a case whose plan is not met, as node:test does', () => {
    const t = new UpstreamContext('x');
    t.plan(2);
    t.assert.equal(1, 1);
    expect(() => t.checkPlan()).toThrow('plan expected 2 assertions but received 1');
    t.assert.ok(true);
    expect(() => t.checkPlan()).not.toThrow();
  });

  it('uses the loose assertions of node:test', () => {
    const t = new UpstreamContext('x');
    expect(() => t.assert.deepEqual({ a: 1 }, { a: '1' })).not.toThrow();
    expect(() => t.assert.deepEqual([Buffer.from('a')], ['a'])).toThrow();
  });
});
