import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './sliding-window.js';

function take(w: SlidingWindow, state: ReturnType<SlidingWindow['create']>, now: number): boolean {
  w.refresh(state, now);
  if (w.available(state) < 1) return false;
  w.consume(state);
  return true;
}

describe('sliding window counter', () => {
  it('admits limit requests in a window, then refuses without counting the refusals', () => {
    const w = new SlidingWindow({ limit: 3, windowMs: 1000 });
    const state = w.create(0);
    expect([0, 1, 2, 3, 4].map((t) => take(w, state, t))).toEqual([true, true, true, false, false]);
    expect(state.current).toBe(3);
  });

  it('weights the previous window by its remaining overlap', () => {
    const w = new SlidingWindow({ limit: 10, windowMs: 1000 });
    const state = w.create(0);
    for (let i = 0; i < 10; i++) take(w, state, 500);
    // At 1250 the previous window (10) still overlaps 75%: estimate 7.5, so 2 more fit.
    w.refresh(state, 1250);
    expect(w.available(state)).toBe(2);
    // At 1900 it overlaps 10%: estimate 1.
    w.refresh(state, 1900);
    expect(w.available(state)).toBe(9);
    // Two windows later nothing is left of it.
    w.refresh(state, 3100);
    expect(w.available(state)).toBe(10);
  });

  it.each([
    // [requests at t=500 in window 0, now, expected retry-after ms]
    { name: 'current window full: wait into the next one', fill: [[100, 4]], now: 200, limit: 4, retry: 800 + 250 },
    { name: 'previous window must fade', fill: [[100, 4], [1500, 2]], now: 1600, limit: 4, retry: 150 },
  ])('retry-after: $name', ({ fill, now, limit, retry }) => {
    const w = new SlidingWindow({ limit, windowMs: 1000 });
    const state = w.create(0);
    for (const [t, n] of fill) for (let i = 0; i < n!; i++) expect(take(w, state, t!)).toBe(true);
    w.refresh(state, now);
    expect(w.available(state)).toBe(0);
    const wait = w.retryAfterMs(state);
    expect(wait).toBeCloseTo(retry);
    // Exactly then a request fits, a moment before it does not.
    const before = { ...state };
    w.refresh(before, now + wait - 5);
    expect(w.available(before)).toBe(0);
    w.refresh(state, now + wait + 1e-6);
    expect(w.available(state)).toBeGreaterThanOrEqual(1);
  });

  it('resets when the current window rolls over', () => {
    const w = new SlidingWindow({ limit: 1, windowMs: 1000 });
    const state = w.create(0);
    w.refresh(state, 300);
    expect(w.resetMs(state)).toBe(700);
  });
});
