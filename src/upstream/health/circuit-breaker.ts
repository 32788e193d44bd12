/**
 * Circuit breaker per upstream target (the classic closed → open → half-open machine, as in
 * Envoy/Hystrix/resilience4j). Pure: no timers and no clock of its own; every method that needs
 * the time takes `now` (ms, any monotonic origin) from the caller. Per-request methods are O(1)
 * and allocate nothing: the failure window is a preallocated ring of timestamps.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Failures within `windowMs` that open the breaker (integer ≥ 1). */
  failures: number;
  /** Width of the failure window (ms, > 0). */
  windowMs: number;
  /** How long an open breaker refuses requests before it lets trials through (ms, ≥ 0). */
  cooldownMs: number;
  /** Trial requests allowed in flight at once while half-open (integer ≥ 1). */
  halfOpenRequests: number;
}

export class CircuitBreaker {
  private readonly threshold: number;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly halfOpenRequests: number;
  /** Timestamps (ms) of the last `threshold` failures while closed; `next` is the oldest once full. */
  private readonly ring: Float64Array;
  private next = 0;
  private recorded = 0;
  /** Open (or half-open once the cooldown has passed) since `openedAt`; closed when false. */
  private open = false;
  private openedAt = 0;
  /**
   * Half-open trials in flight. Reset to 0 on every transition, so a late outcome of a request
   * sent in another state can at worst free one slot early; it can never wedge the breaker.
   */
  private trials = 0;

  constructor(options: CircuitBreakerOptions) {
    const { failures, windowMs, cooldownMs, halfOpenRequests } = options;
    if (!Number.isInteger(failures) || failures < 1) throw new RangeError(`circuit breaker: failures must be an integer ≥ 1, got ${failures}`);
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`circuit breaker: windowMs must be a finite number > 0, got ${windowMs}`);
    if (!(cooldownMs >= 0) || !Number.isFinite(cooldownMs)) throw new RangeError(`circuit breaker: cooldownMs must be a finite number ≥ 0, got ${cooldownMs}`);
    if (!Number.isInteger(halfOpenRequests) || halfOpenRequests < 1) throw new RangeError(`circuit breaker: halfOpenRequests must be an integer ≥ 1, got ${halfOpenRequests}`);
    this.threshold = failures;
    this.windowMs = windowMs;
    this.cooldownMs = cooldownMs;
    this.halfOpenRequests = halfOpenRequests;
    this.ring = new Float64Array(failures);
  }

  /** Current state at `now` (an open breaker whose cooldown has passed reads as half-open). */
  state(now: number): CircuitState {
    if (!this.open) return 'closed';
    return now >= this.openedAt + this.cooldownMs ? 'half-open' : 'open';
  }

  /**
   * May a request go to this target now? closed → true; open → false; half-open → true while
   * fewer than halfOpenRequests trials are in flight, and then it counts one in flight.
   */
  tryAcquire(now: number): boolean {
    if (!this.open) return true;
    if (now < this.openedAt + this.cooldownMs) return false;
    if (this.trials >= this.halfOpenRequests) return false;
    this.trials++;
    return true;
  }

  /** A non-failure answer. Half-open: the target recovered → closed. Closed/open: nothing. */
  onSuccess(now: number): void {
    if (this.state(now) === 'half-open') this.close();
  }

  /**
   * A failure (5xx answer, connect error, timeout). Closed: recorded, and `failures` of them
   * within `windowMs` open the breaker. Half-open: the trial failed → open with a fresh cooldown.
   * Open (cooldown running): ignored, so requests already in flight cannot extend the cooldown.
   */
  onFailure(now: number): void {
    if (!this.open) {
      this.ring[this.next] = now;
      this.next = this.next + 1 === this.threshold ? 0 : this.next + 1;
      if (this.recorded < this.threshold) this.recorded++;
      // Once full, `next` points at the oldest of the last `threshold` failures.
      if (this.recorded === this.threshold && this.ring[this.next]! >= now - this.windowMs) this.trip(now);
      return;
    }
    if (now >= this.openedAt + this.cooldownMs) this.trip(now);
  }

  /** A trial that ended without an outcome (client left): frees its slot. */
  release(): void {
    if (this.trials > 0) this.trials--;
  }

  /**
   * When an open breaker becomes half-open (ms), or Infinity when closed. A timestamp in the
   * past means the breaker is half-open now.
   */
  reopensAt(): number {
    return this.open ? this.openedAt + this.cooldownMs : Infinity;
  }

  /** For the metric portcullis_circuit_state: 0 closed, 1 half-open, 2 open. */
  gaugeValue(now: number): 0 | 1 | 2 {
    if (!this.open) return 0;
    return now >= this.openedAt + this.cooldownMs ? 1 : 2;
  }

  private trip(now: number): void {
    this.open = true;
    this.openedAt = now;
    this.trials = 0;
  }

  private close(): void {
    this.open = false;
    this.trials = 0;
    // Failures from before the outage must not count towards the next one.
    this.recorded = 0;
    this.next = 0;
  }
}
