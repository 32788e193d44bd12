/**
 * One undici Pool per target origin (and pool settings), made at compile time and shared by
 * every runtime state that names it. A reload reuses unchanged pools; a pool no state references
 * any more is closed gracefully (undici lets its in-flight requests finish).
 */
import { Pool } from 'undici';

export interface PoolSettings {
  origin: string;
  connections: number;
  keepAliveMs: number;
  connectTimeoutMs: number;
}

interface Entry {
  pool: Pool;
  refs: number;
  /**
   * Requests in flight through this pool, kept with it so that the count survives reloads (the
   * old state's requests still finish through the same pool) and covers every upstream naming
   * the same origin. Maintained by the proxy, read by least-request.
   */
  load: { inflight: number };
}

export class PoolRegistry {
  private readonly entries = new Map<string, Entry>();

  static keyOf(s: PoolSettings): string {
    return `${s.origin}|${s.connections}|${s.keepAliveMs}|${s.connectTimeoutMs}`;
  }

  /** Returns the pool for these settings, creating it if needed; each acquire needs a release. */
  acquire(settings: PoolSettings): { key: string; pool: Pool; load: { inflight: number } } {
    const key = PoolRegistry.keyOf(settings);
    let entry = this.entries.get(key);
    if (!entry) {
      const pool = new Pool(settings.origin, {
        connections: settings.connections,
        pipelining: 1,
        keepAliveTimeout: settings.keepAliveMs,
        keepAliveMaxTimeout: Math.max(settings.keepAliveMs, 600_000),
        connect: { timeout: settings.connectTimeoutMs },
      });
      entry = { pool, refs: 0, load: { inflight: 0 } };
      this.entries.set(key, entry);
    }
    entry.refs++;
    return { key, pool: entry.pool, load: entry.load };
  }

  /** Drops one reference per key; pools left with none are closed (gracefully). */
  release(keys: Iterable<string>): void {
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      if (--entry.refs <= 0) {
        this.entries.delete(key);
        entry.pool.close().catch(() => undefined);
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  async closeAll(): Promise<void> {
    const pools = [...this.entries.values()].map((e) => e.pool);
    this.entries.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }

  /** For shutdown past the drain timeout: abort whatever is still running. */
  async destroyAll(): Promise<void> {
    const pools = [...this.entries.values()].map((e) => e.pool);
    this.entries.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
