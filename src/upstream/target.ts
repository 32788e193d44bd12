/** One server of an upstream, as the runtime uses it: where it is, its pool, its load and health. */
import type { Pool } from 'undici';
import type { TargetHealth } from './health/target-health.js';

/** A target as configured or discovered. */
export interface TargetSpec {
  url: string;
  /** Integer ≥ 1. */
  weight: number;
}

export interface Target {
  /** `upstream/host:port`, for logs and admin. */
  readonly id: string;
  /** `host:port`, the `target` label of the per-target metrics. */
  readonly label: string;
  readonly url: string;
  /** Path of the target URL without trailing slash, prefixed to forwarded paths ('' for none). */
  readonly basePath: string;
  /** Host header sent to this target (host[:port]). */
  readonly hostHeader: string;
  readonly weight: number;
  readonly pool: Pool;
  readonly poolKey: string;
  /**
   * Requests in flight through this target's pool (shared with the pool across reloads and
   * with other upstreams naming the same origin): the proxy adds 1 when it dispatches and takes
   * 1 when the exchange ends, however it ends. Read by least-request.
   */
  readonly load: { inflight: number };
  /** Active and passive health and the circuit breaker; mutable, kept while the target stays. */
  readonly health: TargetHealth;
}
