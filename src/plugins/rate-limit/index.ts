/**
 * Rate limits per route (and as a top-level default), counted in this process (`scope: local`).
 * Runs after auth (priority 900 < 1000) so `key: consumer` sees the verified identity, and
 * before the body is read or the upstream called: a refused request costs the upstream nothing.
 * Every answer of a limited route carries `RateLimit-Policy` and `RateLimit`; a refusal is 429
 * `rate_limited` with `Retry-After` (counted in portcullis_rate_limited_total by the core from
 * the error code). Buckets live in bounded maps made per route per compiled config, so a reload
 * starts them afresh and two gateways in one process never share them.
 */
import { GatewayError } from '../../errors.js';
import { definePlugin } from '../define-plugin.js';
import { RouteLimiter } from './route-limiter.js';
import { RateLimitRouteSchema, RateLimitValueSchema, type RateLimitValue } from './schema.js';
import { asList, rateLimitProblems } from './validate.js';

export const rateLimitPlugin = definePlugin({
  name: 'rate-limit',
  configKey: 'rateLimit',
  priority: 900,
  schema: RateLimitRouteSchema,
  globalSchema: RateLimitValueSchema,
  validate: (value, route) => (value === false ? [] : rateLimitProblems(value, route['auth'] !== undefined && route['auth'] !== false)),
  validateGlobal: (value) => rateLimitProblems(value),
  defaultFor: (_route, global) => global,
  create(value, _route, { clock }) {
    // The core skips a plugin whose route value is false; kept total for direct callers.
    if (value === false) return (next) => next;
    const limiter = new RouteLimiter(asList(value as RateLimitValue));
    const policy = limiter.policy;
    return (next) =>
      async function rateLimit(ctx) {
        const verdict = limiter.check(ctx, clock.now());
        const headers = ctx.responseHeaders;
        headers['ratelimit-policy'] = policy;
        headers['ratelimit'] = verdict.rateLimit;
        if (!verdict.allowed) throw new GatewayError('rate_limited', { headers: { 'retry-after': String(verdict.retryAfter) } });
        return next(ctx);
      };
  },
});
