/**
 * Time source. Production uses the system clock; tests that need time to pass (token expiry, notices)
 * inject a `ManualClock` instead of sleeping for minutes.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private t = Date.now()) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
