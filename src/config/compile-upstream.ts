/**
 * Compile, the upstream half: one upstream's targets (configured, or from a discovery provider),
 * their health (probes, passive ejection, circuit breaker; inherited from the previous config
 * when the settings are unchanged), its balancer and its retry budget.
 */
import { createDiscovery } from '../discovery/create-discovery.js';
import { createBalancer } from '../upstream/balancers/create-balancer.js';
import { CompiledUpstream, type Target } from '../upstream/compiled-upstream.js';
import { compileHashKey } from '../upstream/hash-key.js';
import { ActiveHealthChecker } from '../upstream/health/active-health-checker.js';
import type { HealthOptions } from '../upstream/health/target-health.js';
import { RetryBudget } from '../upstream/retry/retry-budget.js';
import { RETRY_DEFAULTS } from '../upstream/retry/retry-policy.js';
import { TargetSet } from '../upstream/target-set.js';
import type { Logger } from 'pino';
import type { Clock } from '../util/clock.js';
import type { PoolRegistry } from '../upstream/pool-registry.js';
import type { RuntimeState } from './runtime-state.js';
import type { UpstreamConfig } from './schema.js';
import { parseDuration } from './units.js';

/** What compiling an upstream needs (a part of CompileDeps). */
export interface UpstreamCompileDeps {
  pools: PoolRegistry;
  logger: Logger;
  clock: Clock;
  /** The state being replaced (on reload): its targets' health and discovered targets carry over. */
  previous?: RuntimeState;
}

export const UPSTREAM_DEFAULTS = { connectTimeout: '2s', responseTimeout: '30s', poolConnections: 128, poolKeepAlive: '4s' } as const;
export const HEALTH_DEFAULTS = { interval: '5s', timeout: '1s', healthy: 2, unhealthy: 3, passiveFailures: 5, ejectTime: '30s', maxEjectTime: '5m' } as const;
export const BREAKER_DEFAULTS = { failures: 5, window: '10s', cooldown: '30s', halfOpenRequests: 1 } as const;

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
export function compileUpstream(name: string, config: UpstreamConfig, deps: UpstreamCompileDeps): CompiledUpstream {
  const connectTimeoutMs = parseDuration(config.timeouts?.connect ?? UPSTREAM_DEFAULTS.connectTimeout);
  const responseTimeoutMs = parseDuration(config.timeouts?.response ?? UPSTREAM_DEFAULTS.responseTimeout);
  const hc = config.healthCheck;
  const healthOptions = healthOptionsOf(config);
  const targets = new TargetSet(
    name,
    deps.pools,
    { connections: config.pool?.connections ?? UPSTREAM_DEFAULTS.poolConnections, keepAliveMs: parseDuration(config.pool?.keepAlive ?? UPSTREAM_DEFAULTS.poolKeepAlive), connectTimeoutMs },
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
