/**
 * Compile: a validated, frozen config → one RuntimeState. Upstreams are compiled in
 * compile-upstream.ts (pools from the registry, reused when unchanged), every route's chain is
 * composed here, and nothing on the request path builds anything. A failure releases what was acquired and leaves the running state alone.
 */
import type { Logger } from 'pino';
import { compose, type Middleware } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { RouteTable, type RouteMatch } from '../router/route-table.js';
import { PoolRegistry } from '../upstream/pool-registry.js';
import { compileRetryPolicy } from '../upstream/retry/retry-policy.js';
import type { CompiledUpstream } from '../upstream/compiled-upstream.js';
import { compileUpstream } from './compile-upstream.js';
import { createProxyHandler } from '../upstream/proxy.js';
import { countSegments } from '../upstream/forward-path.js';
import { CidrSet } from '../util/cidr.js';
import type { Clock } from '../util/clock.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { parseListen } from '../util/listen.js';
import { RuntimeState, type CompiledRoute, type ResolvedLimits } from './runtime-state.js';
import type { GatewayConfig, RouteConfig } from './schema.js';
import { parseDuration, parseSize } from './units.js';

export interface CompileDeps {
  pools: PoolRegistry;
  plugins: PluginRegistry;
  logger: Logger;
  clock: Clock;
  /** Where relative file paths in the config resolve (PluginDeps.configDir). Default: the process cwd. */
  configDir?: string;
  /** The gateway's metrics, handed to plugins (PluginDeps.metrics). */
  metrics?: GatewayMetrics;
  /** The state being replaced (on reload): targets' health and discovered targets carry over (see compile-upstream.ts). */
  previous?: RuntimeState;
}

export const DEFAULTS = {
  listen: '127.0.0.1:8080',
  adminListen: '127.0.0.1:9901',
  maxBodySize: '10mb',
  maxHeaderSize: '16kb',
  maxHeaders: 100,
  requestTimeout: '30s',
  headersTimeout: '10s',
  keepAliveTimeout: '5s',
  drainTimeout: '10s',
} as const;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function resolveLimits(config: GatewayConfig): ResolvedLimits {
  const l = config.limits ?? {};
  return {
    maxBodySize: parseSize(l.maxBodySize ?? DEFAULTS.maxBodySize),
    maxHeaderSize: parseSize(l.maxHeaderSize ?? DEFAULTS.maxHeaderSize),
    maxHeaders: l.maxHeaders ?? DEFAULTS.maxHeaders,
    requestTimeoutMs: parseDuration(l.requestTimeout ?? DEFAULTS.requestTimeout),
    headersTimeoutMs: parseDuration(l.headersTimeout ?? DEFAULTS.headersTimeout),
    keepAliveTimeoutMs: parseDuration(l.keepAliveTimeout ?? DEFAULTS.keepAliveTimeout),
    drainTimeoutMs: parseDuration(l.drainTimeout ?? DEFAULTS.drainTimeout),
  };
}

function routeMatch(route: RouteConfig): RouteMatch {
  const m = route.match;
  let methods: string[] | null = m.methods ? [...m.methods] : null;
  if (methods && methods.includes('GET') && !methods.includes('HEAD')) methods = [...methods, 'HEAD'];
  const hosts = m.host === undefined ? null : (Array.isArray(m.host) ? m.host : [m.host]).map((h) => h.toLowerCase());
  const headers = Object.entries(m.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  return Object.freeze({ path: m.path, exact: m.exact ?? false, methods, hosts, headers });
}

/**
 * The end of a preflight chain no plugin answered: 204 without CORS headers, so the browser
 * refuses the cross-origin call (the CORS plugin answers allowed origins itself).
 */
async function answerPreflight(ctx: RequestContext): Promise<void> {
  ctx.res.writeHead(204, { ...ctx.responseHeaders, 'content-length': '0' });
  ctx.res.end();
}

export function compileConfig(config: GatewayConfig, generation: number, deps: CompileDeps): RuntimeState {
  const frozen = deepFreeze(structuredClone(config));
  const disposers: (() => void)[] = [];
  try {
    const upstreams = new Map<string, CompiledUpstream>();
    for (const [name, config] of Object.entries(frozen.upstreams)) {
      const upstream = compileUpstream(name, config, deps);
      upstreams.set(name, upstream);
      disposers.push(() => upstream.dispose());
    }

    const plugins = deps.plugins.ordered();
    const pluginDeps = { logger: deps.logger, clock: deps.clock, configDir: deps.configDir ?? process.cwd(), metrics: deps.metrics };
    // Shared plugin state (auth providers, key caches) is made once per config, before routes.
    const shared = new Map<string, unknown>();
    for (const p of plugins) {
      if (!p.prepare) continue;
      const value = p.prepare(frozen[p.configKey] as never, frozen, pluginDeps);
      shared.set(p.name, value);
      if (p.dispose) disposers.push(() => p.dispose!(value as never));
    }
    const unrouted: ((ctx: RequestContext) => void)[] = [];
    for (const p of plugins) {
      const fn = p.unrouted?.(frozen[p.configKey] as never, frozen, { ...pluginDeps, shared: shared.get(p.name) as never });
      if (fn) unrouted.push(fn);
    }
    const routes: CompiledRoute[] = frozen.routes.map((route) => {
      const upstream = upstreams.get(route.upstream)!;
      const terminal = createProxyHandler({
        upstream,
        retry: compileRetryPolicy(frozen.upstreams[route.upstream]!.retries, route.retries),
        onRetry: deps.metrics ? (name) => deps.metrics!.observeRetry(name) : undefined,
        preserveHost: route.preserveHost ?? false,
        path: {
          prefixSegments: countSegments(route.match.path),
          replacement: route.rewrite !== undefined ? route.rewrite.replace(/\/+$/, '') : route.stripPrefix ? '' : null,
        },
      });
      const logger = deps.logger.child({ route: route.name });
      const chain: { plugin: (typeof plugins)[number]; middleware: Middleware }[] = [];
      for (const p of plugins) {
        const global = frozen[p.configKey];
        const value = route[p.configKey] ?? p.defaultFor?.(route, global as never);
        // `key: false` on a route turns the plugin off there, global default included.
        if (value === undefined || value === false) continue;
        chain.push({ plugin: p, middleware: p.create(value as never, route, { logger, clock: deps.clock, configDir: pluginDeps.configDir, metrics: deps.metrics, shared: shared.get(p.name) as never, global: global as never }) });
      }
      const preflightChain = chain.some((c) => c.plugin.answersPreflight) ? chain.filter((c) => c.plugin.runsOnPreflight || c.plugin.answersPreflight) : [];
      return Object.freeze({
        name: route.name,
        match: routeMatch(route),
        config: route,
        upstream,
        handler: compose(chain.map((c) => c.middleware), terminal),
        preflight: preflightChain.length === 0 ? null : compose(preflightChain.map((c) => c.middleware), answerPreflight),
        plugins: chain.map((c) => c.plugin.name),
      });
    });

    const admin = frozen.admin ?? {};
    return new RuntimeState(
      generation,
      frozen,
      new RouteTable(routes),
      upstreams,
      new CidrSet(frozen.trustedProxies ?? []),
      Object.freeze(resolveLimits(frozen)),
      parseListen(frozen.listen ?? DEFAULTS.listen)!,
      { listen: parseListen(admin.listen ?? DEFAULTS.adminListen)!, token: admin.token ?? '' },
      { level: frozen.log?.level ?? 'info', access: frozen.log?.access ?? true },
      disposers,
      unrouted.length === 0 ? null : unrouted.length === 1 ? unrouted[0]! : (ctx: RequestContext) => unrouted.forEach((fn) => fn(ctx)),
    );
  } catch (err) {
    for (const dispose of disposers) dispose();
    throw err;
  }
}
