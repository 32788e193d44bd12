/**
 * Retry budget (Finagle's RetryBudget, Envoy's retry_budget): retries in the trailing window are
 * capped at `minPerSecond × windowSeconds + ratio × first attempts`, so when a target fails,
 * retries add at most `ratio` to the load instead of multiplying it. Pure: every time is `now`
 * (ms) from the caller. Memory is constant: a preallocated ring of BUCKETS time slices, and
 * every method is O(BUCKETS) = O(1) without allocation.
 */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt in the window (≥ 0; Portcullis default 0.2). */
  ratio: number;
  /** Retries allowed per second even without traffic, so rare requests can still retry (≥ 0; default 10). */
  minPerSecond: number;
  /** Trailing window (ms, > 0; default 10_000). */
  windowMs: number;
}

/**
 * Time slices in the window. The window is counted in whole slices, so a request is forgotten
 * between windowMs − windowMs/BUCKETS and windowMs after it was made.
 */
const BUCKETS = 10;

/**
 * Slack for floating-point products such as 0.57 × 100 = 56.99999999999999, which must still
 * allow the 57th retry; far below one retry, so it never grants an extra one.
 */
const EPSILON = 1e-9;

export class RetryBudget {
  private readonly ratio: number;
  private readonly reserve: number;
  private readonly sliceMs: number;
  /** Index of the slice (floor(now / sliceMs)) each ring slot currently holds. */
  private readonly slice = new Float64Array(BUCKETS).fill(-Infinity);
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);

  constructor(options: RetryBudgetOptions) {
    const { ratio, minPerSecond, windowMs } = options;
    if (!(ratio >= 0) || !Number.isFinite(ratio)) throw new RangeError(`retry budget: ratio must be a finite number ≥ 0, got ${ratio}`);
    if (!(minPerSecond >= 0) || !Number.isFinite(minPerSecond)) throw new RangeError(`retry budget: minPerSecond must be a finite number ≥ 0, got ${minPerSecond}`);
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`retry budget: windowMs must be a finite number > 0, got ${windowMs}`);
    this.ratio = ratio;
    this.reserve = (minPerSecond * windowMs) / 1000;
    this.sliceMs = windowMs / BUCKETS;
  }

  /** A first attempt (not a retry) was sent. */
  onRequest(now: number): void {
    this.requests[this.current(now)]!++;
  }

  /** May a retry be sent now? If yes, it is counted (withdrawn from the budget). */
  tryRetry(now: number): boolean {
    if (!this.canRetry(now)) return false;
    this.retries[this.current(now)]!++;
    return true;
  }

  /** Whether tryRetry would succeed, without counting it. */
  canRetry(now: number): boolean {
    const newest = Math.floor(now / this.sliceMs);
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const age = newest - this.slice[i]!;
      // age < 0: a slot written by a later `now` (clock stepped back); still counted, not lost.
      if (age < BUCKETS) {
        requests += this.requests[i]!;
        retries += this.retries[i]!;
      }
    }
    return retries + 1 <= this.reserve + this.ratio * requests + EPSILON;
  }

  /** The ring slot for `now`, cleared first if it still holds an expired slice. */
  private current(now: number): number {
    const index = Math.floor(now / this.sliceMs);
    const slot = ((index % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.slice[slot] !== index) {
      // Only move forward: a late caller with an older `now` adds to the newer slice instead of wiping it.
      if (this.slice[slot]! > index) return slot;
      this.slice[slot] = index;
      this.requests[slot] = 0;
      this.retries[slot] = 0;
    }
    return slot;
  }
}
