/**
 * Sliding-window counter (as Cloudflare and nginx-style limiters use it): counts in fixed
 * windows, and estimates the last `window` as the current window's count plus the previous
 * window's count weighted by how much of it still overlaps. Two numbers per key instead of a log
 * of timestamps. Refused requests are not counted. Pure; `now` in milliseconds.
 */
import type { RateAlgorithm, RateParams } from './algorithm.js';

export interface SlidingWindowState {
  /** Start of the current fixed window (ms, a multiple of the window length). */
  start: number;
  current: number;
  previous: number;
  /** The `now` of the last refresh (ms). */
  at: number;
}

export class SlidingWindow implements RateAlgorithm<SlidingWindowState> {
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(params: Pick<RateParams, 'limit' | 'windowMs'>) {
    this.limit = params.limit;
    this.windowMs = params.windowMs;
  }

  create(now: number): SlidingWindowState {
    return { start: this.windowStart(now), current: 0, previous: 0, at: now };
  }

  private windowStart(now: number): number {
    return Math.floor(now / this.windowMs) * this.windowMs;
  }

  refresh(state: SlidingWindowState, now: number): void {
    if (now < state.at) return; // a clock that steps back: keep the state as it is
    state.at = now;
    const start = this.windowStart(now);
    if (start === state.start) return;
    state.previous = start - state.start === this.windowMs ? state.current : 0;
    state.current = 0;
    state.start = start;
  }

  /** Weighted count of the last window at the state's `now`. */
  private estimate(state: SlidingWindowState): number {
    const overlap = (this.windowMs - (state.at - state.start)) / this.windowMs;
    return state.previous * overlap + state.current;
  }

  available(state: SlidingWindowState): number {
    return Math.max(0, Math.floor(this.limit - this.estimate(state) + 1e-9));
  }

  consume(state: SlidingWindowState): void {
    state.current += 1;
  }

  retryAfterMs(state: SlidingWindowState): number {
    if (this.available(state) >= 1) return 0;
    const W = this.windowMs;
    const elapsed = state.at - state.start;
    const room = this.limit - 1 - state.current;
    if (room >= 0 && state.previous > 0) {
      // Still in this window: wait until the previous window's weight has shrunk enough.
      const needed = W * (1 - room / state.previous);
      return Math.max(0, needed - elapsed);
    }
    // This window alone is full: wait for the next one, where it becomes the weighted previous.
    const toNext = W - elapsed;
    const into = state.current <= this.limit - 1 ? 0 : W * (1 - (this.limit - 1) / state.current);
    return toNext + Math.max(0, into);
  }

  resetMs(state: SlidingWindowState): number {
    return this.windowMs - (state.at - state.start);
  }
}
