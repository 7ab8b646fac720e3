/**
 * Runs aedes-persistence's own conformance suite (`aedes-persistence/abstract.js`) under Jest.
 *
 * The suite is written for `node:test`: it calls `test(name, async (t) => …)` and uses `t.plan(n)`,
 * `t.assert.*` and `t.diagnostic()`. We hand it a `test` function that only collects the cases, and run
 * each one with a context that behaves like node:test's: `t.assert` is `node:assert` (the non-strict one,
 * as in node:test), every assertion counts toward the plan, and a plan that is not met fails the case.
 * Test support only; not used by the broker.
 */
import assert from 'node:assert';
import abstractPersistence from 'aedes-persistence/abstract.js';

export interface UpstreamCase {
  name: string;
  fn: (t: UpstreamContext) => Promise<void> | void;
}

/** The subset of node:test's TestContext the suite uses. */
export class UpstreamContext {
  readonly assert: Record<string, (...args: unknown[]) => unknown>;
  readonly diagnostics: string[] = [];
  private planned: number | undefined;
  private count = 0;

  constructor(readonly name: string) {
    const wrapped: Record<string, (...args: unknown[]) => unknown> = {};
    for (const [key, value] of Object.entries(assert)) {
      if (typeof value !== 'function' || key === 'AssertionError' || key === 'strict') continue;
      wrapped[key] = (...args: unknown[]) => {
        this.count++;
        return (value as (...a: unknown[]) => unknown)(...args);
      };
    }
    this.assert = wrapped;
  }

  plan(count: number): void {
    this.planned = count;
  }

  diagnostic(message: string): void {
    this.diagnostics.push(message);
  }

  /** node:test fails a test whose plan does not match the assertions made. */
  checkPlan(): void {
    if (this.planned !== undefined && this.planned !== this.count) {
      throw new Error(`plan expected ${this.planned} assertions but received ${this.count}`);
    }
  }
}

/** The suite's cases, bound to a factory returning a fresh (not yet set up) persistence per case. */
export function collectUpstreamCases(persistence: () => unknown): UpstreamCase[] {
  const cases: UpstreamCase[] = [];
  abstractPersistence({
    test: (name, fn) => {
      cases.push({ name, fn });
    },
    persistence,
    // aedes 1.x: async API, the broker is passed to setup().
    testAsync: true,
  });
  return cases;
}

export async function runUpstreamCase(c: UpstreamCase): Promise<UpstreamContext> {
  const t = new UpstreamContext(c.name);
  await c.fn(t);
  t.checkPlan();
  return t;
}
