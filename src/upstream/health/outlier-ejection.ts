/**
 * Passive health per upstream target, as Envoy's outlier detection ("consecutive 5xx" /
 * "consecutive gateway errors"): `consecutiveFailures` failures in a row eject the target for a
 * while, and it comes back into rotation by itself when that time has passed, so recovery needs
 * no active health checks. Pure: every time is `now` (ms) from the caller; O(1), no allocation.
 */
export interface OutlierOptions {
  /** Failures in a row (no success between) that eject the target (integer ≥ 1). */
  consecutiveFailures: number;
  /** First ejection time (ms, > 0); the n-th ejection in a row lasts n × this. */
  baseEjectionMs: number;
  /** Cap on one ejection (ms, ≥ baseEjectionMs); also the quiet time that resets the multiplier. */
  maxEjectionMs: number;
}

export class OutlierEjection {
  private readonly threshold: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private consecutive = 0;
  /** Multiplier of the last ejection (1, 2, …); decays back to 1 after a quiet maxEjectionMs. */
  private multiplier = 0;
  /** End (ms) of the current ejection, 0 when none is known to be running. */
  private until = 0;
  /** End (ms) of the last ejection, kept after `until` is cleared, for the decay rule. */
  private lastEnd = 0;
  private total = 0;

  constructor(options: OutlierOptions) {
    const { consecutiveFailures, baseEjectionMs, maxEjectionMs } = options;
    if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 1) {
      throw new RangeError(`outlier ejection: consecutiveFailures must be an integer ≥ 1, got ${consecutiveFailures}`);
    }
    if (!(baseEjectionMs > 0) || !Number.isFinite(baseEjectionMs)) {
      throw new RangeError(`outlier ejection: baseEjectionMs must be a finite number > 0, got ${baseEjectionMs}`);
    }
    if (!(maxEjectionMs >= baseEjectionMs) || !Number.isFinite(maxEjectionMs)) {
      throw new RangeError(`outlier ejection: maxEjectionMs must be finite and ≥ baseEjectionMs (${baseEjectionMs}), got ${maxEjectionMs}`);
    }
    this.threshold = consecutiveFailures;
    this.baseMs = baseEjectionMs;
    this.maxMs = maxEjectionMs;
  }

  /** Is the target ejected at `now`? Once the ejection time has passed it is back by itself. */
  ejected(now: number): boolean {
    if (this.until === 0) return false;
    if (now < this.until) return true;
    this.until = 0;
    return false;
  }

  /**
   * Ejected until this timestamp (ms), or 0 when not ejected. The state is brought up to date by
   * ejected(now)/onFailure(now); a value in the past means the ejection is over.
   */
  ejectedUntil(): number {
    return this.until;
  }

  /** Total ejections so far (for metrics and the admin API). */
  get ejections(): number {
    return this.total;
  }

  /** A success resets the consecutive-failure count. */
  onSuccess(): void {
    this.consecutive = 0;
  }

  /**
   * Records a failure; returns true when this one ejected the target (the caller then recomputes
   * its healthy set). Failures while ejected (requests already in flight) are ignored, so they
   * neither extend nor stack ejections, and the count starts afresh after the ejection.
   */
  onFailure(now: number): boolean {
    if (this.ejected(now)) return false;
    if (++this.consecutive < this.threshold) return false;
    this.consecutive = 0;
    // Decay: a target quiet for longer than maxEjectionMs since its last ejection ended starts over.
    if (this.multiplier > 0 && now - this.lastEnd > this.maxMs) this.multiplier = 0;
    this.multiplier++;
    const duration = Math.min(this.baseMs * this.multiplier, this.maxMs);
    this.until = now + duration;
    this.lastEnd = this.until;
    this.total++;
    return true;
  }
}
