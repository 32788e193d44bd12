/** An upstream as the runtime uses it: its targets with their pools, and how to pick one. */
import type { Pool } from 'undici';
import type { RequestContext } from '../pipeline/context.js';
import type { Balancer } from './balancers/balancer.js';

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
}

export class CompiledUpstream {
  readonly name: string;
  readonly targets: readonly Target[];
  readonly responseTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly balancerName: string;
  private readonly balancer: Balancer<Target>;

  constructor(options: { name: string; targets: Target[]; balancer: Balancer<Target>; balancerName: string; responseTimeoutMs: number; connectTimeoutMs: number }) {
    this.name = options.name;
    this.targets = Object.freeze(options.targets);
    this.balancer = options.balancer;
    this.balancerName = options.balancerName;
    this.responseTimeoutMs = options.responseTimeoutMs;
    this.connectTimeoutMs = options.connectTimeoutMs;
  }

  /** The target for this request; undefined when none is available. */
  pick(_ctx: RequestContext): Target | undefined {
    return this.balancer.pick(this.targets);
  }
}
