/**
 * The health of one target, from three sources: active probes (healthy/unhealthy after
 * consecutive thresholds), passive outlier ejection (consecutive failures of real requests eject
 * it for a growing time) and its circuit breaker. A target takes new requests when all three
 * allow. Pure: `now` comes from the caller's clock.
 */
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
import { OutlierEjection, type OutlierOptions } from './outlier-ejection.js';

export interface ActiveThresholds {
  /** Consecutive passing probes that make an unhealthy target healthy. */
  healthy: number;
  /** Consecutive failing probes that make a healthy target unhealthy. */
  unhealthy: number;
}

export interface HealthOptions {
  active: ActiveThresholds | null;
  outlier: OutlierOptions | null;
  breaker: CircuitBreakerOptions | null;
}

export class TargetHealth {
  /** The active probes' verdict; true until probes say otherwise (and without probes). */
  probeHealthy = true;
  private passes = 0;
  private fails = 0;
  readonly breaker: CircuitBreaker | null;
  readonly outlier: OutlierEjection | null;
  private readonly thresholds: ActiveThresholds | null;
  /** Whether the upstreams' rotations include this target (kept by them; for logging changes once). */
  inRotation = true;
  /**
   * Upstreams holding this target, told when its availability may have changed. Usually one; two
   * while a reload's old state drains, since a target that stays keeps its health across reloads.
   */
  private readonly watchers = new Set<() => void>();

  constructor(options: HealthOptions) {
    this.thresholds = options.active;
    this.breaker = options.breaker ? new CircuitBreaker(options.breaker) : null;
    this.outlier = options.outlier ? new OutlierEjection(options.outlier) : null;
  }

  watch(onChange: () => void): void {
    this.watchers.add(onChange);
  }

  unwatch(onChange: () => void): void {
    this.watchers.delete(onChange);
  }

  /** Tells every upstream holding this target to rebuild its rotation. */
  notify(): void {
    for (const onChange of this.watchers) onChange();
  }

  /** May new requests go here at `now`? (A half-open circuit counts: it takes trial requests.) */
  available(now: number): boolean {
    if (!this.probeHealthy) return false;
    if (this.outlier !== null && this.outlier.ejected(now)) return false;
    return this.breaker === null || this.breaker.state(now) !== 'open';
  }

  /** Healthy for /ready and portcullis_upstream_health: probes pass and not ejected (the circuit is reported apart). */
  healthy(now: number): boolean {
    return this.probeHealthy && !(this.outlier !== null && this.outlier.ejected(now));
  }

  /** When `available` may turn true without any report (an ejection ends, a cooldown passes); Infinity if never. */
  changesAt(): number {
    const ejectedUntil = this.outlier?.ejectedUntil() ?? 0;
    const reopens = this.breaker?.reopensAt() ?? Infinity;
    return Math.min(ejectedUntil > 0 ? ejectedUntil : Infinity, reopens);
  }

  /** A real request's outcome; returns true when availability may have changed. */
  onOutcome(failed: boolean, now: number): boolean {
    if (!failed) {
      this.outlier?.onSuccess();
      if (this.breaker !== null) {
        const before = this.breaker.state(now);
        this.breaker.onSuccess(now);
        return before !== 'closed';
      }
      return false;
    }
    const ejected = this.outlier !== null && this.outlier.onFailure(now);
    if (this.breaker !== null) {
      const before = this.breaker.state(now);
      this.breaker.onFailure(now);
      return ejected || before !== this.breaker.state(now);
    }
    return ejected;
  }

  /** An active probe's result; returns true when the verdict changed. */
  onProbe(passed: boolean): boolean {
    const t = this.thresholds;
    if (t === null) return false;
    if (passed) {
      this.fails = 0;
      if (!this.probeHealthy && ++this.passes >= t.healthy) {
        this.probeHealthy = true;
        this.passes = 0;
        return true;
      }
    } else {
      this.passes = 0;
      if (this.probeHealthy && ++this.fails >= t.unhealthy) {
        this.probeHealthy = false;
        this.fails = 0;
        return true;
      }
    }
    return false;
  }
}
