/**
 * `rateLimit`: per route (and as a top-level default) one limit or a list of limits, all of
 * which must pass, e.g. `[{ limit: 10, window: 1s }, { limit: 1000, window: 1h }]`. A route's own
 * value replaces the default as a whole; `rateLimit: false` turns it off there.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../../config/units.js';

export const DEFAULT_MAX_KEYS = 100_000;

export const LimitSchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, description: 'Requests allowed per window (the token bucket refill, or the sliding window count).' }),
    window: Type.String({ pattern: DURATION_PATTERN, description: 'Length of the window, e.g. 1s, 1m, 1h.', 'x-message': 'must be a duration such as 1s, 1m or 1h' }),
    burst: Type.Optional(Type.Integer({ minimum: 0, description: 'Token bucket only: extra requests a client may take at once above `limit` (bucket capacity = limit + burst). Default 0.' })),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'What a bucket is per: ip, consumer, route, header:NAME, or several joined by + (e.g. ip+header:X-Tenant). consumer and a missing header fall back to the client IP. Default ip.',
      }),
    ),
    scope: Type.Optional(
      Type.Union([Type.Literal('local'), Type.Literal('cluster')], {
        description: 'local: counted in this process (each worker and instance has its own buckets); cluster: shared by all instances through top-level `redis` (exact across instances and workers). Default local.',
        'x-message': 'must be local or cluster',
      }),
    ),
    algorithm: Type.Optional(
      Type.Union([Type.Literal('token-bucket'), Type.Literal('sliding-window')], {
        description: 'token-bucket (continuous refill, allows `burst`) or sliding-window (weighted counter over the last window). Default token-bucket.',
        'x-message': 'must be token-bucket or sliding-window',
      }),
    ),
    onStoreError: Type.Optional(
      Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('local')], {
        description: 'scope: cluster only: what to do while the shared store is unreachable (allow, deny with 503, or count locally at the full limit or its `localShare`). Default local.',
        'x-message': 'must be allow, deny or local',
      }),
    ),
    localShare: Type.Optional(
      // The range (0, 1] is checked in validate.ts: in a list of limits (the union's array branch)
      // a schema range error would collapse into the union's message and lose the path.
      Type.Number({
        description:
          'scope: cluster with onStoreError: local only: the share, greater than 0 and at most 1, of `limit` (and `burst`) each process counts while the shared store is down, rounded up; set it to 1/N for N gateway processes (instances × workers). Default 1 (the full limit in each).',
      }),
    ),
    maxKeys: Type.Optional(
      Type.Integer({ minimum: 1, description: `Most distinct keys kept in memory for this limit on one route; beyond it the least recently used key is forgotten. Default ${DEFAULT_MAX_KEYS}.` }),
    ),
  },
  { additionalProperties: false, description: 'One rate limit: `limit` requests per `window` per key.' },
);

const LIMIT_HINT = '{ limit, window, burst?, key?, scope?, algorithm?, onStoreError?, localShare?, maxKeys? }';

export const RateLimitValueSchema = Type.Union([LimitSchema, Type.Array(LimitSchema, { minItems: 1 })], {
  description: 'Rate limits for every route without its own `rateLimit`: one limit or a list, all of which must pass (each route counts separately).',
  'x-message': `must be a limit ${LIMIT_HINT} or a non-empty list of them (see docs/plugins/rate-limit.md)`,
});

export const RateLimitRouteSchema = Type.Union([Type.Literal(false), LimitSchema, Type.Array(LimitSchema, { minItems: 1 })], {
  description: 'Rate limits for this route: one limit or a list, all of which must pass; replaces the top-level `rateLimit` default; `false` turns rate limiting off here.',
  'x-message': `must be false, a limit ${LIMIT_HINT} or a non-empty list of them (see docs/plugins/rate-limit.md)`,
});

export type LimitConfig = Static<typeof LimitSchema>;
export type RateLimitValue = Static<typeof RateLimitValueSchema>;
export type RateLimitRouteValue = Static<typeof RateLimitRouteSchema>;
