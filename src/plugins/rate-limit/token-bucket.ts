/**
 * Token bucket: capacity `limit + burst`, refilled continuously at `limit` tokens per window, one
 * token per request. A new key starts full. Pure; `now` in milliseconds.
 */
import type { RateAlgorithm, RateParams } from './algorithm.js';

export interface TokenBucketState {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export class TokenBucket implements RateAlgorithm<TokenBucketState> {
  readonly capacity: number;
  /** Tokens per millisecond. */
  private readonly rate: number;

  constructor(params: RateParams) {
    this.capacity = params.limit + params.burst;
    this.rate = params.limit / params.windowMs;
  }

  create(now: number): TokenBucketState {
    return { tokens: this.capacity, at: now };
  }

  refresh(state: TokenBucketState, now: number): void {
    // A clock that steps back never takes tokens away.
    if (now > state.at) {
      state.tokens = Math.min(this.capacity, state.tokens + (now - state.at) * this.rate);
      state.at = now;
    }
  }

  available(state: TokenBucketState): number {
    // A hair under a whole token (floating point) counts as the whole token.
    return Math.floor(state.tokens + 1e-9);
  }

  consume(state: TokenBucketState): void {
    state.tokens -= 1;
  }

  retryAfterMs(state: TokenBucketState): number {
    const missing = 1 - state.tokens;
    return missing <= 1e-9 ? 0 : missing / this.rate;
  }

  resetMs(state: TokenBucketState): number {
    const missing = this.capacity - state.tokens;
    return missing <= 1e-9 ? 0 : missing / this.rate;
  }
}
