/**
 * An upstream as the runtime uses it: its current targets (swappable by discovery), the rotation
 * (the targets that take new requests now: healthy, not ejected, circuit not open), how to pick
 * one, and where outcomes are reported. The rotation is an array rebuilt only when its members
 * change, so balancers that cache per array (consistent hash, weighted) keep their caches, and a
 * pick reads the clock only while some target waits for an ejection or a cooldown to end.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Clock } from '../util/clock.js';
import type { Balancer } from './balancers/balancer.js';
import type { HashKeyFn } from './hash-key.js';
import type { RetryBudget } from './retry/retry-budget.js';
import type { Target, TargetSpec } from './target.js';
import type { TargetSet } from './target-set.js';
import type { HealthOptions, TargetHealth } from './health/target-health.js';

export type { Target } from './target.js';

/** Something to stop when the upstream is disposed (health checker, discovery watch). */
export interface Stoppable {
  stop(): void;
}

export interface CompiledUpstreamOptions {
  name: string;
  targets: TargetSet;
  balancer: Balancer<Target>;
  balancerName: string;
  responseTimeoutMs: number;
  connectTimeoutMs: number;
  clock: Clock;
  hashKey?: HashKeyFn | null;
  /** The cap on retries to this upstream; null when no route retries. */
  budget?: RetryBudget | null;
  /** Says where targets come from, for /admin/upstreams: `static` or the discovery provider. */
  source?: string;
  /** Told when a target leaves or rejoins the rotation. */
  logger?: Logger | null;
  /** The discovery block the targets come from (null: configured targets), compared on reload. */
  discovery?: unknown;
}

export class CompiledUpstream {
  readonly name: string;
  readonly responseTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly balancerName: string;
  readonly budget: RetryBudget | null;
  readonly source: string;
  readonly discovery: unknown;
  private readonly set: TargetSet;
  private readonly balancer: Balancer<Target>;
  /** The consistent-hash key of a request (from `hashOn`); null for balancers without a key. */
  private readonly hashKey: HashKeyFn | null;
  readonly clock: Clock;
  private rotation: readonly Target[] = [];
  /** When some target left out of the rotation may come back by itself (ms); Infinity when none. */
  private recheckAt = Infinity;
  private readonly stoppables: Stoppable[] = [];
  /** The healths this upstream watches (those of its current targets). */
  private readonly watched = new Set<TargetHealth>();
  private readonly onHealthChange = () => {
    this.refresh(this.clock.now());
  };
  private readonly logger: Logger | null;

  constructor(options: CompiledUpstreamOptions) {
    this.name = options.name;
    this.set = options.targets;
    this.balancer = options.balancer;
    this.balancerName = options.balancerName;
    this.responseTimeoutMs = options.responseTimeoutMs;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.clock = options.clock;
    this.hashKey = options.hashKey ?? null;
    this.budget = options.budget ?? null;
    this.source = options.source ?? 'static';
    this.discovery = options.discovery ?? null;
    this.logger = options.logger ?? null;
    this.watchTargets();
    this.refresh(this.clock.now());
  }

  /** The health settings its targets were made with (see TargetSet.inherit). */
  get healthOptions(): HealthOptions {
    return this.set.healthOptions;
  }

  /** All current targets, in rotation or not. */
  get targets(): readonly Target[] {
    return this.set.targets;
  }

  /**
   * The target for this request's next try; `tried` are targets earlier tries of it used, which
   * are avoided while another is in rotation. Throws 503 circuit_open or no_healthy_upstream.
   */
  pick(ctx: RequestContext, tried: readonly Target[] | null = null): Target {
    let rotation = this.rotation;
    let now = 0;
    if (this.recheckAt !== Infinity) {
      now = this.clock.now();
      if (now >= this.recheckAt) rotation = this.refresh(now);
    }
    const n = rotation.length;
    if (n === 0) throw this.unavailable();
    const chosen = this.hashKey === null ? this.balancer.pick(rotation) : this.balancer.pick(rotation, this.hashKey(ctx));
    if (chosen === undefined) throw this.unavailable();
    if (tried === null) {
      // The common case: a first try at a target without a breaker, or whose breaker lets it through.
      const breaker = chosen.health.breaker;
      if (breaker === null) return chosen;
      if (now === 0) now = this.clock.now();
      if (breaker.tryAcquire(now)) return chosen;
    }
    let start = rotation.indexOf(chosen);
    if (tried !== null && tried.includes(chosen) && n > 1) {
      // A retry: the next target in rotation order that this request has not tried yet.
      for (let i = 1; i < n; i++) {
        if (!tried.includes(rotation[(start + i) % n]!)) {
          start = (start + i) % n;
          break;
        }
      }
    }
    // A half-open circuit takes only its trial requests: when full, the next target.
    for (let i = 0; i < n; i++) {
      const target = rotation[(start + i) % n]!;
      const breaker = target.health.breaker;
      if (breaker === null) return target;
      if (now === 0) now = this.clock.now();
      if (breaker.tryAcquire(now)) return target;
    }
    throw this.unavailable();
  }

  /** The outcome of a try: `failed` for 5xx answers, connect errors, resets and timeouts. */
  report(target: Target, failed: boolean): void {
    const health = target.health;
    if (health.breaker === null && health.outlier === null) return;
    if (health.onOutcome(failed, this.clock.now())) health.notify();
  }

  /** A try that ended without an outcome (the client left): frees a half-open trial slot. */
  release(target: Target): void {
    target.health.breaker?.release();
  }

  /** Takes one retry from the budget; false when it is spent. */
  withdrawRetry(): boolean {
    return this.budget === null || this.budget.tryRetry(this.clock.now());
  }

  /** An active probe's result. */
  probed(target: Target, passed: boolean): void {
    if (target.health.onProbe(passed)) target.health.notify();
  }

  /** New targets from discovery (kept targets keep their pools, load and health). */
  setTargets(specs: readonly TargetSpec[]): boolean {
    const changed = this.set.replace(specs);
    if (changed) {
      this.watchTargets();
      this.refresh(this.clock.now());
    }
    return changed;
  }

  /** Has a target that takes requests now (for /ready). */
  hasHealthyTarget(): boolean {
    const now = this.clock.now();
    return this.targets.some((t) => t.health.available(now));
  }

  /** Stopped, with the pools released, when this upstream's runtime state is disposed. */
  own(stoppable: Stoppable): void {
    this.stoppables.push(stoppable);
  }

  /** Stops probes and discovery (when a reload replaced this upstream's state; it may still drain). */
  stopBackground(): void {
    for (const s of this.stoppables.splice(0)) s.stop();
  }

  dispose(): void {
    this.stopBackground();
    for (const h of this.watched) h.unwatch(this.onHealthChange);
    this.watched.clear();
    this.set.release();
  }

  /** Watches exactly the healths of the current targets. */
  private watchTargets(): void {
    const current = new Set(this.set.targets.map((t) => t.health));
    for (const h of this.watched) {
      if (!current.has(h)) {
        h.unwatch(this.onHealthChange);
        this.watched.delete(h);
      }
    }
    for (const h of current) {
      if (!this.watched.has(h)) {
        h.watch(this.onHealthChange);
        this.watched.add(h);
      }
    }
  }

  /** Rebuilds the rotation from the targets' health at `now`; the old array stays when the members did not change. */
  private refresh(now: number): readonly Target[] {
    const next: Target[] = [];
    let recheckAt = Infinity;
    for (const t of this.set.targets) {
      const available = t.health.available(now);
      if (available !== t.health.inRotation && this.logger !== null) this.logChange(t, available, now);
      t.health.inRotation = available;
      if (available) next.push(t);
      else if (t.health.probeHealthy) recheckAt = Math.min(recheckAt, t.health.changesAt());
    }
    this.recheckAt = recheckAt;
    const same = next.length === this.rotation.length && next.every((t, i) => t === this.rotation[i]);
    if (!same) this.rotation = next;
    return this.rotation;
  }

  private logChange(t: Target, available: boolean, now: number): void {
    const h = t.health;
    if (available) {
      this.logger!.info({ upstream: this.name, target: t.label }, 'upstream target back in rotation');
      return;
    }
    const reason = !h.probeHealthy ? 'health check failing' : h.outlier !== null && h.outlier.ejected(now) ? 'ejected after consecutive failures' : 'circuit open';
    this.logger!.warn({ upstream: this.name, target: t.label, reason }, 'upstream target out of rotation');
  }

  /** Why no target can take the request: an open circuit (Retry-After: until the first cooldown ends) or no healthy target. */
  private unavailable(): GatewayError {
    const now = this.clock.now();
    let reopens = Infinity;
    for (const t of this.targets) {
      const breaker = t.health.breaker;
      if (breaker === null || !t.health.healthy(now)) continue;
      const state = breaker.state(now);
      // Half-open with every trial slot taken: try again in a second.
      if (state === 'half-open') reopens = Math.min(reopens, now);
      else if (state === 'open') reopens = Math.min(reopens, breaker.reopensAt());
    }
    if (reopens !== Infinity) {
      const seconds = Math.max(1, Math.ceil((reopens - now) / 1000));
      return new GatewayError('circuit_open', { headers: { 'retry-after': String(seconds) } });
    }
    let back = Infinity;
    for (const t of this.targets) if (t.health.probeHealthy) back = Math.min(back, t.health.changesAt());
    const seconds = back === Infinity ? 5 : Math.max(1, Math.ceil((back - now) / 1000));
    return new GatewayError('no_healthy_upstream', { headers: { 'retry-after': String(seconds) } });
  }
}
