/** An upstream as the runtime uses it: its targets with their pools, and how to pick one. */
import type { Pool } from 'undici';
import type { RequestContext } from '../pipeline/context.js';
import type { Balancer } from './balancers/balancer.js';
import type { HashKeyFn } from './hash-key.js';

export interface Target {
  /** `upstream/host:port`, for logs, metrics and admin. */
  readonly id: string;
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
}

export class CompiledUpstream {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly responseTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly balancerName: string;
  private readonly balancer: Balancer<Target>;
  /** The consistent-hash key of a request (from `hashOn`); null for balancers without a key. */
  private readonly hashKey: HashKeyFn | null;

  constructor(options: { name: string; targets: Target[]; balancer: Balancer<Target>; balancerName: string; responseTimeoutMs: number; connectTimeoutMs: number; hashKey?: HashKeyFn | null }) {
    this.name = options.name;
    this.hashKey = options.hashKey ?? null;
    this.targets = Object.freeze(options.targets);
    this.balancer = options.balancer;
    this.balancerName = options.balancerName;
    this.responseTimeoutMs = options.responseTimeoutMs;
    this.connectTimeoutMs = options.connectTimeoutMs;
  }

  /** The target for this request; undefined when none is available. */
  pick(ctx: RequestContext): Target | undefined {
    return this.hashKey === null ? this.balancer.pick(this.targets) : this.balancer.pick(this.targets, this.hashKey(ctx));
  }
}
