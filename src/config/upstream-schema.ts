/**
 * The schema of `upstreams.<name>`: targets (or discovery), balancing, timeouts, the pool, and
 * resilience — health checks, the circuit breaker, retries. Split from schema.ts, which holds the
 * rest of the core document.
 */
import { Type } from '@sinclair/typebox';
import { DISCOVERY_TYPES } from '../discovery/schema.js';
import { Duration, Size, Strict } from './schema-helpers.js';
import { BALANCER_NAMES } from '../upstream/balancers/create-balancer.js';
import { HASH_ON_PATTERN } from '../upstream/hash-key.js';


export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
/** RFC 9110 §9.2.2: repeating these has the same effect as sending them once. */
export const IDEMPOTENT_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'] as const;
export const RETRY_CONDITIONS = ['connect-error', 'reset', 'timeout'] as const;

export const TargetSchema = Type.Union(
  [
    Type.String({ description: 'Target base URL, e.g. http://127.0.0.1:8002 (a path is prefixed to forwarded paths).' }),
    Type.Object(
      {
        url: Type.String({ description: 'Target base URL.' }),
        weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Relative share of traffic with the weighted, random and consistent-hash balancers (least-request breaks ties by it). Default 1.' })),
      },
      Strict,
    ),
  ],
  { 'x-message': 'must be a URL string or { url, weight }' },
);

const PassiveSchema = Type.Object(
  {
    failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Consecutive failures (5xx answers, connect errors, resets, timeouts) that eject a target. Default 5.' })),
    ejectTime: Type.Optional(Duration('How long the first ejection lasts; each further one lasts this much longer (2×, 3×, …). Default 30s.')),
    maxEjectTime: Type.Optional(Duration('Longest ejection; also how long after an ejection the count starts again at 1. Default 5m.')),
  },
  { ...Strict, description: 'Passive outlier ejection: targets that keep failing real requests are taken out of rotation for a growing time, then tried again.' },
);

export const HealthCheckSchema = Type.Object(
  {
    path: Type.Optional(Type.String({ pattern: '^/', description: 'Path probed with GET on each target; without it there are no active checks (passive ejection only).', 'x-message': 'must be a path starting with /' })),
    interval: Type.Optional(Duration('Time between two probes of a target. Default 5s.')),
    timeout: Type.Optional(Duration('Time a probe may take before it counts as failed. Default 1s.')),
    healthy: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Consecutive passing probes that make an unhealthy target healthy again. Default 2.' })),
    unhealthy: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Consecutive failing probes that make a target unhealthy. Default 3.' })),
    statuses: Type.Optional(
      Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { minItems: 1, description: 'Probe statuses that pass. Default any 2xx or 3xx.', 'x-message': 'must be a list of HTTP status codes' }),
    ),
    passive: Type.Optional(
      Type.Union([Type.Literal(false), PassiveSchema], { description: 'Passive outlier ejection (on by default when healthCheck is set; false turns it off).', 'x-message': 'must be false or { failures, ejectTime, maxEjectTime }' }),
    ),
  },
  { ...Strict, description: 'Health of each target: active probes and passive ejection. /ready, /admin/upstreams and portcullis_upstream_health show it.' },
);

export const CircuitBreakerSchema = Type.Object(
  {
    failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'Failures (5xx answers, connect errors, resets, timeouts) within `window` that open a target\'s circuit. Default 5.' })),
    window: Type.Optional(Duration('The window failures are counted in. Default 10s.')),
    cooldown: Type.Optional(Duration('How long an open circuit refuses requests before letting trial requests through. Default 30s.')),
    halfOpenRequests: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Trial requests let through at once after the cooldown; a success closes the circuit, a failure opens it again. Default 1.' })),
  },
  { ...Strict, description: 'A circuit breaker per target: an open circuit answers 503 circuit_open at once (with Retry-After) instead of calling the target.' },
);

const RetryOn = Type.Union([...RETRY_CONDITIONS.map((c) => Type.Literal(c)), Type.Integer({ minimum: 500, maximum: 599 })], {
  'x-message': `must be ${RETRY_CONDITIONS.join(', ')} or a 5xx status`,
});

export const RetriesSchema = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Retries after the first try (so at most 1 + attempts tries); 0 turns retries off. Default 2.' })),
    on: Type.Optional(
      Type.Array(RetryOn, {
        minItems: 1,
        uniqueItems: true,
        description: 'When to retry: connect-error (no connection could be made), reset (the connection closed before the response head), timeout (no response head in time), or a 5xx status of the answer. Default [connect-error, reset, 502, 503].',
      }),
    ),
    methods: Type.Optional(
      Type.Array(Type.Union(METHODS.map((m) => Type.Literal(m))), {
        minItems: 1,
        uniqueItems: true,
        description: 'Methods that may be retried. Default the idempotent ones (GET, HEAD, OPTIONS, TRACE, PUT, DELETE); on an upstream only those, a route may list others (e.g. POST) to opt in.',
        'x-message': `must list methods from ${METHODS.join(', ')}`,
      }),
    ),
    backoff: Type.Optional(Duration('Base delay before a retry; the n-th waits a random time up to backoff × 2^(n-1) (full jitter). Default 25ms.')),
    maxBackoff: Type.Optional(Duration('Longest delay before a retry. Default 250ms.')),
    budget: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Retries allowed as a fraction of first tries over the last 10s, on top of minRetriesPerSecond, so retries cannot amplify an outage. Default 0.2.' })),
    minRetriesPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, description: 'Retries always allowed per second whatever the traffic (over a 10s window). Default 10.' })),
    bufferBody: Type.Optional(Size('A request body of known length up to this size is read before the first try so a retry can send it again; larger or chunked bodies are streamed and never retried. Default 64kb.')),
  },
  { ...Strict, description: 'Retries: to another target when there is one, with backoff and a retry budget.' },
);

/**
 * `discovery` here only names its type: each provider's fields are checked by
 * validateDiscovery against that type's own schema (src/discovery/), which gives a message for
 * the misspelt field rather than Ajv's "matches no member of the union".
 */
const DiscoveryRef = Type.Object(
  { type: Type.Union(DISCOVERY_TYPES.map((t) => Type.Literal(t)), { description: 'dns, consul, etcd or static.', 'x-message': `must be one of ${DISCOVERY_TYPES.join(', ')}` }) },
  {
    additionalProperties: true,
    description:
      'Where the targets come from at run time, instead of `targets`: { type: dns, name, resolver, … }, { type: consul, url, service, token, … }, { type: etcd, endpoints, prefix, … } or { type: static, targets }; the fields of each are in docs/discovery.md. Targets change without a reload; the last known ones stay while the registry is unreachable.',
  },
);

export function buildUpstreamSchema() {
  return Type.Object(
    {
      targets: Type.Optional(Type.Array(TargetSchema, { minItems: 1, description: 'The servers of this upstream (or use discovery).' })),
      discovery: Type.Optional(DiscoveryRef),
      balancer: Type.Optional(
        Type.Union(BALANCER_NAMES.map((b) => Type.Literal(b)), {
          description: 'How a target is picked: round-robin, weighted (smooth, by weight), random (weight-proportional), least-request (power of two choices) or consistent-hash (on hashOn). Default round-robin.',
          'x-message': `must be one of ${BALANCER_NAMES.join(', ')}`,
        }),
      ),
      hashOn: Type.Optional(
        Type.String({
          pattern: HASH_ON_PATTERN,
          description: 'What consistent-hash keys on: ip (client IP), header:NAME or cookie:NAME (a request without it falls back to its client IP). Required with consistent-hash only.',
          'x-message': 'must be ip, header:NAME or cookie:NAME',
        }),
      ),
      timeouts: Type.Optional(
        Type.Object(
          {
            connect: Type.Optional(Duration('Time allowed to open a connection to a target (504 beyond). Default 2s.')),
            response: Type.Optional(Duration('Time allowed for the response head, and between body chunks (504 beyond). Default 30s.')),
          },
          { ...Strict, description: 'Upstream timeouts; a timeout aborts the upstream call.' },
        ),
      ),
      pool: Type.Optional(
        Type.Object(
          {
            connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'Most connections per target. Default 128.' })),
            keepAlive: Type.Optional(Duration('How long an idle upstream connection is kept. Default 4s.')),
          },
          { ...Strict, description: 'The connection pool kept to each target.' },
        ),
      ),
      healthCheck: Type.Optional(HealthCheckSchema),
      circuitBreaker: Type.Optional(CircuitBreakerSchema),
      retries: Type.Optional(RetriesSchema),
    },
    { ...Strict, description: 'A named group of targets that routes send traffic to.' },
  );
}
