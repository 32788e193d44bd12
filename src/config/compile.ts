/**
 * Compile: a validated, frozen config → one RuntimeState. Pools come from the registry (reused
 * when unchanged), every route's chain is composed here, and nothing on the request path builds
 * anything. A failure releases what was acquired and leaves the running state alone.
 */
import type { Logger } from 'pino';
import { compose, type Middleware } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { RouteTable, type RouteMatch } from '../router/route-table.js';
import { CompiledUpstream, type Target } from '../upstream/compiled-upstream.js';
import { createDiscovery } from '../discovery/create-discovery.js';
import { ActiveHealthChecker } from '../upstream/health/active-health-checker.js';
import { PoolRegistry } from '../upstream/pool-registry.js';
import { RetryBudget } from '../upstream/retry/retry-budget.js';
import { compileRetryPolicy, RETRY_DEFAULTS } from '../upstream/retry/retry-policy.js';
import { TargetSet } from '../upstream/target-set.js';
import type { HealthOptions } from '../upstream/health/target-health.js';
import { createProxyHandler } from '../upstream/proxy.js';
import { countSegments } from '../upstream/forward-path.js';
import { createBalancer } from '../upstream/balancers/create-balancer.js';
import { compileHashKey } from '../upstream/hash-key.js';
import { CidrSet } from '../util/cidr.js';
import type { Clock } from '../util/clock.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { parseListen } from '../util/listen.js';
import { RuntimeState, type CompiledRoute, type ResolvedLimits } from './runtime-state.js';
import type { GatewayConfig, RouteConfig, UpstreamConfig } from './schema.js';
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
  /** The state being replaced (on reload): discovered targets carry over to an unchanged discovery block. */
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
  connectTimeout: '2s',
  responseTimeout: '30s',
  poolConnections: 128,
  poolKeepAlive: '4s',
} as const;

export const HEALTH_DEFAULTS = { interval: '5s', timeout: '1s', healthy: 2, unhealthy: 3, passiveFailures: 5, ejectTime: '30s', maxEjectTime: '5m' } as const;
export const BREAKER_DEFAULTS = { failures: 5, window: '10s', cooldown: '30s', halfOpenRequests: 1 } as const;

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

/** Equal as config values: the same keys and values, whatever the key order. */
function sameJson(a: unknown, b: unknown): boolean {
  const sorted = (_key: string, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))) : v);
  return JSON.stringify(a, sorted) === JSON.stringify(b, sorted);
}

/** What the upstream's health checks, passive ejection and circuit breaker are set to. */
function healthOptionsOf(config: UpstreamConfig): HealthOptions {
  const hc = config.healthCheck;
  const cb = config.circuitBreaker;
  const passive = hc === undefined || hc.passive === false ? null : (hc.passive ?? {});
  return {
    active: hc?.path === undefined ? null : { healthy: hc.healthy ?? HEALTH_DEFAULTS.healthy, unhealthy: hc.unhealthy ?? HEALTH_DEFAULTS.unhealthy },
    outlier:
      passive === null
        ? null
        : {
            consecutiveFailures: passive.failures ?? HEALTH_DEFAULTS.passiveFailures,
            baseEjectionMs: parseDuration(passive.ejectTime ?? HEALTH_DEFAULTS.ejectTime),
            maxEjectionMs: parseDuration(passive.maxEjectTime ?? HEALTH_DEFAULTS.maxEjectTime),
          },
    breaker:
      cb === undefined
        ? null
        : {
            failures: cb.failures ?? BREAKER_DEFAULTS.failures,
            windowMs: parseDuration(cb.window ?? BREAKER_DEFAULTS.window),
            cooldownMs: parseDuration(cb.cooldown ?? BREAKER_DEFAULTS.cooldown),
            halfOpenRequests: cb.halfOpenRequests ?? BREAKER_DEFAULTS.halfOpenRequests,
          },
  };
}

/** One upstream: its targets (configured, or from discovery), health, breaker, balancer and retry budget. */
function compileUpstream(name: string, config: UpstreamConfig, deps: CompileDeps): CompiledUpstream {
  const connectTimeoutMs = parseDuration(config.timeouts?.connect ?? DEFAULTS.connectTimeout);
  const responseTimeoutMs = parseDuration(config.timeouts?.response ?? DEFAULTS.responseTimeout);
  const hc = config.healthCheck;
  const healthOptions = healthOptionsOf(config);
  const targets = new TargetSet(
    name,
    deps.pools,
    { connections: config.pool?.connections ?? DEFAULTS.poolConnections, keepAliveMs: parseDuration(config.pool?.keepAlive ?? DEFAULTS.poolKeepAlive), connectTimeoutMs },
    healthOptions,
  );
  const before = deps.previous?.upstreams.get(name);
  if (before !== undefined && sameJson(before.healthOptions, healthOptions)) {
    // A target that stays keeps its health across the reload: a dead one stays out, an open circuit open.
    const healthOf = new Map(before.targets.map((t) => [t.url, t.health]));
    targets.inherit = (url) => healthOf.get(url);
  }
  const discovery = config.discovery;
  if (discovery === undefined) {
    targets.replace((config.targets ?? []).map((t) => (typeof t === 'string' ? { url: t, weight: 1 } : { url: t.url, weight: t.weight ?? 1 })));
  } else if (before !== undefined && sameJson(before.discovery, discovery)) {
    // A reload that keeps this discovery block starts from the targets found so far, so the new
    // config serves at once instead of waiting for its first registry answer.
    targets.replace(before.targets.map((t) => ({ url: t.url, weight: t.weight })));
  }
  targets.inherit = null;
  const balancerName = config.balancer ?? 'round-robin';
  const balancer = createBalancer<Target>(balancerName, targets.targets);
  // validate.ts guarantees hashOn with consistent-hash (and only there).
  const hashKey = balancer.usesKey ? compileHashKey(config.hashOn ?? 'ip') : null;
  const retries = config.retries;
  // One budget per upstream: it caps the extra load retries put on these targets, whichever route sends them.
  const budget = new RetryBudget({ ratio: retries?.budget ?? RETRY_DEFAULTS.budget, minPerSecond: retries?.minRetriesPerSecond ?? RETRY_DEFAULTS.minRetriesPerSecond, windowMs: RETRY_DEFAULTS.budgetWindowMs });
  const provider = discovery === undefined ? null : createDiscovery(discovery, { logger: deps.logger.child({ upstream: name }) });
  const upstream = new CompiledUpstream({
    name,
    targets,
    balancer,
    balancerName,
    responseTimeoutMs,
    connectTimeoutMs,
    hashKey,
    budget,
    clock: deps.clock,
    logger: deps.logger,
    discovery: discovery ?? null,
    source: provider?.description ?? 'static',
  });
  if (provider !== null) {
    upstream.own(provider);
    provider.start({
      onTargets: (found) => {
        if (upstream.setTargets(found)) deps.logger.info({ upstream: name, discovery: provider.description, targets: found.map((t) => t.url) }, 'upstream targets changed');
      },
      // The provider logs outages and recoveries itself; the last known targets stay meanwhile.
      onError: () => undefined,
    });
  }
  if (hc?.path !== undefined) {
    const checker = new ActiveHealthChecker(
      {
        path: hc.path,
        intervalMs: parseDuration(hc.interval ?? HEALTH_DEFAULTS.interval),
        timeoutMs: parseDuration(hc.timeout ?? HEALTH_DEFAULTS.timeout),
        statuses: hc.statuses ? new Set(hc.statuses) : null,
      },
      () => upstream.targets,
      (target, passed) => upstream.probed(target, passed),
      deps.logger,
    );
    upstream.own(checker);
    checker.start();
  }
  return upstream;
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
