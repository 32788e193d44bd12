import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from initial up to max, and reset starts over (no jitter at random = 0.5)', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.5);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });
  it.each([[0, 80], [0.999999, 120]])('jitter stays within ±20%% (random %s → %s)', (r, ms) => {
    expect(new Backoff({ initialMs: 100, maxMs: 1000 }, () => r).next()).toBe(ms);
  });
  it('never overflows after very many failures', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 30_000 }, () => 0.5);
    for (let i = 0; i < 2000; i++) b.next();
    expect(b.next()).toBe(30_000);
  });
});
