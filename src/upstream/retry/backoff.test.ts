import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const fixed = (value: number) => () => value;

describe('backoffDelay', () => {
  it.each([
    // random → 0 is the lower bound, always 0 (full jitter may retry at once).
    { retry: 1, base: 100, max: 10_000, r: 0, want: 0 },
    // random → 0.5 shows the ceiling: base × 2^(retry − 1), capped at max.
    { retry: 1, base: 100, max: 10_000, r: 0.5, want: 50 },
    { retry: 2, base: 100, max: 10_000, r: 0.5, want: 100 },
    { retry: 3, base: 100, max: 10_000, r: 0.5, want: 200 },
    { retry: 7, base: 100, max: 10_000, r: 0.5, want: 3200 },
    { retry: 8, base: 100, max: 10_000, r: 0.5, want: 5000 }, // 12 800 capped at 10 000
    { retry: 30, base: 100, max: 10_000, r: 0.5, want: 5000 },
    { retry: 2000, base: 100, max: 10_000, r: 0.5, want: 5000 }, // 2^1999 = Infinity, still capped
    { retry: 3, base: 100, max: 10_000, r: 0.25, want: 100 },
    { retry: 1, base: 100, max: 50, r: 0.5, want: 25 }, // max below base wins
    { retry: 4, base: 0, max: 1000, r: 0.9, want: 0 },
    { retry: 4, base: 100, max: 0, r: 0.9, want: 0 },
  ])('retry $retry, base $base, max $max, random $r → $want ms', ({ retry, base, max, r, want }) => {
    expect(backoffDelay(retry, base, max, fixed(r))).toBe(want);
  });

  it('stays below the ceiling for random just under 1', () => {
    const d = backoffDelay(3, 100, 10_000, fixed(0.999999));
    expect(d).toBeGreaterThan(399);
    expect(d).toBeLessThan(400);
  });

  it('uses Math.random by default and stays in [0, ceiling)', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, 100, 10_000);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });

  it.each([
    { retry: 0, base: 100, max: 1000, field: /retry/ },
    { retry: -1, base: 100, max: 1000, field: /retry/ },
    { retry: 1.5, base: 100, max: 1000, field: /retry/ },
    { retry: 1, base: -1, max: 1000, field: /baseMs/ },
    { retry: 1, base: 100, max: Number.NaN, field: /maxMs/ },
  ])('refuses retry $retry, base $base, max $max', ({ retry, base, max, field }) => {
    expect(() => backoffDelay(retry, base, max, fixed(0.5))).toThrow(field);
  });
});
