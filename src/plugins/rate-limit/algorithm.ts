/**
 * The shape both rate-limit algorithms share. Pure: no HTTP types, no timers; the caller passes
 * `now` (milliseconds from the injected clock). A decision is two-phase so a list of limits can
 * be checked first and charged only when all of them pass: `refresh` brings a state up to `now`,
 * `available` says how many requests it would admit, `consume` charges one.
 */
export interface RateAlgorithm<S> {
  /** A fresh state for a key seen for the first time (a full allowance). */
  create(now: number): S;
  /** Brings the state up to `now` (refill, window roll-over). Call before the other methods. */
  refresh(state: S, now: number): void;
  /** Whole requests admitted now (0 when limited). */
  available(state: S): number;
  /** Charges one request; only after `available(state) >= 1`. */
  consume(state: S): void;
  /** Milliseconds until one more request would be admitted (0 when one is available now). */
  retryAfterMs(state: S): number;
  /** Milliseconds until the allowance is whole again (token bucket full / window rolled over). */
  resetMs(state: S): number;
}

export interface RateParams {
  /** Requests per window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Extra requests a token bucket may take at once above `limit` (0 for none). */
  burst: number;
}
