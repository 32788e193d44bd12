/**
 * The immutable runtime state one config compiles to. The gateway swaps it with one assignment;
 * a request reads it once at its start (`enter`) and finishes on it (`leave`). A retired state
 * releases its pools and stops its checkers once its last request has left.
 */
import type { Handler } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import type { RouteTable, RouteMatch, Routable } from '../router/route-table.js';
import type { CompiledUpstream } from '../upstream/compiled-upstream.js';
import type { CidrSet } from '../util/cidr.js';
import type { ListenAddress } from '../util/listen.js';
import type { GatewayConfig, RouteConfig } from './schema.js';

export interface ResolvedLimits {
  maxBodySize: number;
  maxHeaderSize: number;
  maxHeaders: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  drainTimeoutMs: number;
}

export interface CompiledRoute extends Routable {
  readonly name: string;
  readonly match: RouteMatch;
  readonly config: Readonly<RouteConfig>;
  readonly upstream: CompiledUpstream;
  /** The route's pre-composed chain: plugins by priority, then the proxy. */
  readonly handler: Handler;
  /** The chain for CORS preflights: only plugins that run on them; null when none does. */
  readonly preflight: Handler | null;
  /** Names of the plugins in the chain, outermost first (for /admin/routes). */
  readonly plugins: readonly string[];
}

export class RuntimeState {
  inflight = 0;
  private retired = false;
  private onDrained: (() => void) | null = null;

  constructor(
    readonly generation: number,
    readonly config: Readonly<GatewayConfig>,
    readonly table: RouteTable<CompiledRoute>,
    readonly upstreams: ReadonlyMap<string, CompiledUpstream>,
    readonly trusted: CidrSet,
    readonly limits: Readonly<ResolvedLimits>,
    readonly listen: ListenAddress,
    readonly admin: { listen: ListenAddress; token: string },
    readonly log: { level: string; access: boolean },
    /** Release what this state holds: upstreams (pools, health checkers, discovery) and plugin resources. */
    private readonly disposers: (() => void)[] = [],
    /** Plugins' additions to answers no route handled (404, 405, malformed requests); null when none. */
    readonly unrouted: ((ctx: RequestContext) => void) | null = null,
  ) {}

  /** Runs the plugin disposers once (on retirement after the last request, or at shutdown). */
  dispose(): void {
    for (const d of this.disposers.splice(0)) {
      try {
        d();
      } catch {
        // A failing disposer must not stop the others.
      }
    }
  }

  get routes(): readonly CompiledRoute[] {
    return this.table.routes;
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    if (--this.inflight === 0 && this.retired) this.drained();
  }

  /** Marks the state replaced; `onDrained` runs once no request uses it any more. */
  retire(onDrained: () => void): void {
    this.retired = true;
    this.onDrained = onDrained;
    if (this.inflight === 0) this.drained();
  }

  private drained(): void {
    const cb = this.onDrained;
    this.onDrained = null;
    cb?.();
  }
}
