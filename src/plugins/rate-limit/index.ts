/**
 * Rate limits per route (and as a top-level default), counted in this process (`scope: local`)
 * or shared by every gateway instance through Redis (`scope: cluster`, top-level `redis`).
 * Runs after auth (priority 900 < 1000) so `key: consumer` sees the verified identity, and
 * before the body is read or the upstream called: a refused request costs the upstream nothing.
 * Every answer of a limited route carries `RateLimit-Policy` and `RateLimit`; a refusal is 429
 * `rate_limited` with `Retry-After` (counted in portcullis_rate_limited_total by the core from
 * the error code). Local buckets live in bounded maps made per route per compiled config, so a
 * reload starts them afresh and two gateways in one process never share them; the Redis client
 * is made once per compiled config (`prepare`), only when some route uses cluster scope.
 */
import { GatewayError } from '../../errors.js';
import { definePlugin } from '../define-plugin.js';
import { ClusterLimiter, STORE_DOWN } from './cluster-limiter.js';
import { ClusterStore } from './cluster-store.js';
import { RouteLimiter } from './route-limiter.js';
import { RateLimitRouteSchema, RateLimitValueSchema, type RateLimitRouteValue, type RateLimitValue } from './schema.js';
import { asList, rateLimitProblems, usesCluster } from './validate.js';

const STORE_UNAVAILABLE = 'The rate-limit store is unavailable.';

export const rateLimitPlugin = definePlugin({
  name: 'rate-limit',
  configKey: 'rateLimit',
  priority: 900,
  schema: RateLimitRouteSchema,
  globalSchema: RateLimitValueSchema,
  validate: (value, route, config) =>
    value === false ? [] : rateLimitProblems(value, route['auth'] !== undefined && route['auth'] !== false, typeof config?.redis === 'string'),
  validateGlobal: (value, config) => rateLimitProblems(value, undefined, typeof config?.redis === 'string'),
  defaultFor: (_route, global) => global,
  prepare(global, config, { logger, metrics }): { store: ClusterStore | null } {
    const cluster = config.routes.some((r) => usesCluster((r['rateLimit'] as RateLimitRouteValue | undefined) ?? global));
    return { store: cluster && config.redis !== undefined ? new ClusterStore(config.redis, logger, metrics) : null };
  },
  dispose(shared) {
    shared.store?.close();
  },
  create(value, route, { clock, shared }) {
    // The core skips a plugin whose route value is false; kept total for direct callers.
    if (value === false) return (next) => next;
    const list = asList(value as RateLimitValue);
    const local = new RouteLimiter(list);
    const policy = local.policy;
    if (usesCluster(value) && shared.store !== null) {
      const cluster = new ClusterLimiter(route.name, list, policy, shared.store);
      return (next) =>
        async function clusterRateLimit(ctx) {
          const verdict = await cluster.check(ctx, clock.now());
          const headers = ctx.responseHeaders;
          headers['ratelimit-policy'] = policy;
          if (verdict === STORE_DOWN) throw new GatewayError('service_unavailable', { message: STORE_UNAVAILABLE, headers: { 'retry-after': '1' } });
          if (verdict !== null) {
            headers['ratelimit'] = verdict.rateLimit;
            if (!verdict.allowed) throw new GatewayError('rate_limited', { headers: { 'retry-after': String(verdict.retryAfter) } });
          }
          return next(ctx);
        };
    }
    return (next) =>
      async function rateLimit(ctx) {
        const verdict = local.check(ctx, clock.now());
        const headers = ctx.responseHeaders;
        headers['ratelimit-policy'] = policy;
        headers['ratelimit'] = verdict.rateLimit;
        if (!verdict.allowed) throw new GatewayError('rate_limited', { headers: { 'retry-after': String(verdict.retryAfter) } });
        return next(ctx);
      };
  },
});
