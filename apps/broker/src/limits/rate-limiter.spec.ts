import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('should run a burst of one second at once, then pace the rest in arrival order', async () => {
    const limiter = new RateLimiter();
    const ran: number[] = [];
    for (let i = 0; i < 15; i++) limiter.admit('i', 50, () => ran.push(i));
    expect(ran).toEqual([...Array(15).keys()]);
    for (let i = 15; i < 60; i++) limiter.admit('i', 50, () => ran.push(i));
    expect(ran.length).toBe(50);
    expect(limiter.waiting('i')).toBe(10);
    await new Promise((r) => setTimeout(r, 400));
    expect(ran).toEqual([...Array(60).keys()]);
    limiter.close();
  });

  it('should queue behind earlier waiters when asked, and not limit a zero rate', () => {
    const limiter = new RateLimiter();
    const ran: string[] = [];
    limiter.admit('i', 10, () => ran.push('a'), true);
    expect(ran).toEqual([]);
    limiter.admit('j', 0, () => ran.push('unlimited'));
    expect(ran).toEqual(['unlimited']);
    limiter.close();
  });
});
