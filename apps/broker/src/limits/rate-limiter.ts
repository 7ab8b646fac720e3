/**
 * Messages-per-second limit of an instance: a token bucket (capacity = one second of traffic) per
 * instance. A publish that finds the bucket empty is NOT dropped: its authorization callback is held in
 * a FIFO until a token is available. aedes reads the next chunk from a socket only when every packet of
 * the current chunk has been handled, so holding the callback is real TCP backpressure on the publisher;
 * a QoS 1 PUBACK is simply sent later. FIFO per instance keeps each publisher's order. The queue is
 * bounded by aedes' one-chunk-per-connection reading, not by this class.
 */
interface Waiter {
  run: () => void;
}

class Bucket {
  tokens: number;
  last: number;
  queue: Waiter[] = [];
  head = 0;
  timer?: NodeJS.Timeout;

  constructor(public rate: number) {
    this.tokens = rate;
    this.last = performance.now();
  }

  refill(now: number): void {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /**
   * The fast path of `admit`: takes a token and returns true when the instance has budget and nobody is
   * waiting (no callback to allocate); false means "call `admit`".
   */
  tryTake(instanceId: string, ratePerSecond: number): boolean {
    if (!(ratePerSecond > 0)) return true;
    const b = this.buckets.get(instanceId);
    if (!b) return false; // first publish of the instance: admit creates the bucket
    b.rate = ratePerSecond;
    if (b.waiting > 0) return false;
    if (b.tokens < 1) b.refill(performance.now());
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Runs `run` now when the instance has budget, else later in arrival order. */
  admit(instanceId: string, ratePerSecond: number, run: () => void, mustQueue = false): void {
    if (!(ratePerSecond > 0)) return run(); // 0 or unset: unlimited
    let b = this.buckets.get(instanceId);
    if (!b) this.buckets.set(instanceId, (b = new Bucket(ratePerSecond)));
    b.rate = ratePerSecond;
    b.refill(performance.now());
    if (b.waiting === 0 && !mustQueue && b.tokens >= 1) {
      b.tokens -= 1;
      run();
      return;
    }
    b.queue.push({ run });
    this.schedule(instanceId, b);
  }

  waiting(instanceId: string): number {
    return this.buckets.get(instanceId)?.waiting ?? 0;
  }

  close(): void {
    for (const b of this.buckets.values()) clearTimeout(b.timer);
    this.buckets.clear();
  }

  private schedule(instanceId: string, b: Bucket): void {
    if (b.timer) return;
    const delay = Math.max(1, Math.ceil(((1 - b.tokens) * 1000) / b.rate));
    b.timer = setTimeout(() => {
      b.timer = undefined;
      b.refill(performance.now());
      while (b.waiting > 0 && b.tokens >= 1) {
        b.tokens -= 1;
        const w = b.queue[b.head]!;
        b.queue[b.head++] = undefined as unknown as Waiter;
        w.run();
      }
      // compact occasionally instead of Array.shift() (O(n) on large arrays)
      if (b.head > 1024 && b.head * 2 > b.queue.length) {
        b.queue = b.queue.slice(b.head);
        b.head = 0;
      }
      if (b.waiting > 0) this.schedule(instanceId, b);
      else {
        b.queue = [];
        b.head = 0;
        // idle and full again: forget the bucket so deleted instances do not accumulate
        if (b.tokens >= b.rate) this.buckets.delete(instanceId);
      }
    }, delay);
  }
}
