/**
 * The current targets of one upstream and the pools they hold. `replace` swaps the list (a
 * discovery change): targets that stay keep their Target object (pool, load and health); new
 * ones acquire a pool; removed ones release theirs, and the registry closes a pool gracefully
 * (undici lets its in-flight requests finish), so nothing in flight is dropped.
 */
import type { PoolRegistry } from './pool-registry.js';
import type { Target, TargetSpec } from './target.js';
import { TargetHealth, type HealthOptions } from './health/target-health.js';

export interface PoolOptions {
  connections: number;
  keepAliveMs: number;
  connectTimeoutMs: number;
}

export class TargetSet {
  private list: readonly Target[] = Object.freeze([]);
  private released = false;

  /**
   * Where a new target's health may come from: the previous config's same target (same upstream,
   * same URL, same health settings), so a reload does not forget a dead target or an open circuit.
   * Set for the compile-time targets only (then cleared: it holds the previous state).
   */
  inherit: ((url: string) => TargetHealth | undefined) | null = null;

  constructor(
    private readonly upstream: string,
    private readonly pools: PoolRegistry,
    private readonly poolOptions: PoolOptions,
    /** Read by the next config's compile: health is inherited only under the same settings. */
    readonly healthOptions: HealthOptions,
  ) {}

  get targets(): readonly Target[] {
    return this.list;
  }

  /** Swaps in `specs`; returns true when the list changed. Specs must have valid http(s) URLs. */
  replace(specs: readonly TargetSpec[]): boolean {
    if (this.released) return false;
    const byUrl = new Map<string, Target>();
    for (const t of this.list) byUrl.set(t.url, t);
    const next: Target[] = [];
    const seen = new Set<string>();
    let changed = specs.length !== this.list.length;
    for (const spec of specs) {
      const url = new URL(spec.url);
      const normalized = url.origin + url.pathname.replace(/\/+$/, '');
      if (seen.has(normalized)) continue;
      seen.add(normalized);
      const kept = byUrl.get(normalized);
      if (kept !== undefined && kept.weight === spec.weight) {
        next.push(kept);
        continue;
      }
      changed = true;
      next.push(kept !== undefined ? Object.freeze({ ...kept, weight: spec.weight }) : this.make(url, spec.weight));
    }
    if (!changed && next.every((t, i) => t === this.list[i])) return false;
    // One pool reference per url: a target whose weight changed keeps its predecessor's.
    const gone = this.list.filter((t) => !seen.has(t.url));
    this.list = Object.freeze(next);
    this.pools.release(gone.map((t) => t.poolKey));
    return true;
  }

  /** Releases every pool (when the runtime state that owns this upstream is retired). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pools.release(this.list.map((t) => t.poolKey));
  }

  private make(url: URL, weight: number): Target {
    const { key, pool, load } = this.pools.acquire({ origin: url.origin, ...this.poolOptions });
    const basePath = url.pathname.replace(/\/+$/, '');
    return Object.freeze({
      id: `${this.upstream}/${url.host}`,
      label: url.host,
      url: url.origin + basePath,
      basePath,
      hostHeader: url.host,
      weight,
      pool,
      poolKey: key,
      load,
      health: this.inherit?.(url.origin + basePath) ?? new TargetHealth(this.healthOptions),
    });
  }
}
