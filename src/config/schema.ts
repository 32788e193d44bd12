/**
 * The core config schema (TypeBox → JSON Schema, checked by Ajv). Plugins add their own
 * per-route keys through the registry (see src/plugins/registry.ts); this file holds only what
 * the core itself reads. Every field has a description: it is the one-line documentation.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js';
import { BALANCER_NAMES } from '../upstream/balancers/create-balancer.js';
import { HASH_ON_PATTERN } from '../upstream/hash-key.js';

const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description, 'x-message': 'must be a duration such as 250ms, 30s, 5m or 1h' });
const Size = (description: string) => Type.String({ pattern: SIZE_PATTERN, description, 'x-message': 'must be a size such as 512b, 64kb or 10mb' });
const Strict = { additionalProperties: false } as const;

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

export const LimitsSchema = Type.Object(
  {
    maxBodySize: Type.Optional(Size('Largest request body accepted, counted while streaming (413 beyond). Default 10mb.')),
    maxHeaderSize: Type.Optional(Size('Largest request head (request line and headers) accepted (431 beyond). Default 16kb.')),
    maxHeaders: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Most request header fields accepted (431 beyond, never silently dropped). Default 100.' })),
    requestTimeout: Type.Optional(Duration('Time allowed to receive a whole request from the client (408 beyond). Default 30s.')),
    headersTimeout: Type.Optional(Duration('Time allowed to receive the request head; short to defeat slowloris. Default 10s.')),
    keepAliveTimeout: Type.Optional(Duration('How long an idle client connection is kept open. Default 5s.')),
    drainTimeout: Type.Optional(Duration('On SIGTERM/SIGINT, how long in-flight requests may finish before exit. Default 10s.')),
  },
  { ...Strict, description: 'Server limits and timeouts.' },
);

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

export const UpstreamSchema = Type.Object(
  {
    targets: Type.Array(TargetSchema, { minItems: 1, description: 'The servers of this upstream.' }),
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
  },
  { ...Strict, description: 'A named group of targets that routes send traffic to.' },
);

const HostSchema = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], {
  description: 'Host name(s) the request must name (port ignored); `*.example.com` takes any subdomain. Default any.',
  'x-message': 'must be a host name or a list of host names',
});

export const MatchSchema = Type.Object(
  {
    path: Type.String({ description: 'Path prefix ending at a segment boundary; `:name` segments capture params.' }),
    exact: Type.Optional(Type.Boolean({ description: 'Match the path exactly instead of as a prefix. Default false.' })),
    methods: Type.Optional(Type.Array(Type.Union(METHODS.map((m) => Type.Literal(m))), { minItems: 1, uniqueItems: true, description: 'Allowed methods (HEAD follows GET). Default any.', 'x-message': `must list methods from ${METHODS.join(', ')}` })),
    host: Type.Optional(HostSchema),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Headers that must be present with exactly these values.' })),
  },
  { ...Strict, description: 'What requests this route takes.' },
);

export const RouteCoreProperties = {
  name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Unique name; labels metrics and logs.', 'x-message': 'must be letters, digits, _ . : -' }),
  match: MatchSchema,
  upstream: Type.String({ description: 'Name of the upstream to proxy to.' }),
  stripPrefix: Type.Optional(Type.Boolean({ description: 'Remove the matched path prefix before forwarding. Default false.' })),
  rewrite: Type.Optional(Type.String({ pattern: '^/', description: 'Replace the matched path prefix with this path before forwarding.', 'x-message': 'must be a path starting with /' })),
  preserveHost: Type.Optional(Type.Boolean({ description: "Forward the client's Host instead of the target's. Default false." })),
} satisfies Record<string, TSchema>;

/** Builds the whole document schema; `routeExtensions` are the plugins' per-route keys. */
export function buildConfigSchema(routeExtensions: Record<string, TSchema>, globalExtensions: Record<string, TSchema> = {}) {
  const Route = Type.Object({ ...RouteCoreProperties, ...mapOptional(routeExtensions) }, { ...Strict, description: 'A route: what it matches and where it goes.' });
  return Type.Object(
    {
      listen: Type.Optional(Type.String({ description: 'host:port of the proxy listener. Default 127.0.0.1:8080.' })),
      admin: Type.Optional(
        Type.Object(
          {
            listen: Type.Optional(Type.String({ description: 'host:port of the admin listener. Default 127.0.0.1:9901.' })),
            token: Type.Optional(Type.String({ description: 'Bearer token required by /admin/*; empty means loopback only.' })),
          },
          { ...Strict, description: 'The admin listener: health, readiness, metrics, admin API, dashboard.' },
        ),
      ),
      trustedProxies: Type.Optional(Type.Array(Type.String(), { description: 'CIDRs whose X-Forwarded-For is believed.' })),
      limits: Type.Optional(LimitsSchema),
      redis: Type.Optional(
        Type.String({ minLength: 1, description: 'URL of the Redis server that gateway instances share state through (redis:// or rediss://), e.g. redis://127.0.0.1:6379; needed by rateLimit scope: cluster.' }),
      ),
      log: Type.Optional(
        Type.Object(
          {
            level: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { description: 'Log level. Default info.', 'x-message': 'must be fatal, error, warn, info, debug, trace or silent' })),
            access: Type.Optional(Type.Boolean({ description: 'Write one access log line per request. Default true.' })),
          },
          { ...Strict, description: 'Logging (JSON lines on stdout).' },
        ),
      ),
      upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), UpstreamSchema, { description: 'Named upstreams.' }),
      routes: Type.Array(Route, { description: 'The routes; the most specific match wins, whatever their order.' }),
      ...mapOptional(globalExtensions),
    },
    { ...Strict, description: 'A Portcullis gateway configuration.' },
  );
}

function mapOptional(schemas: Record<string, TSchema>): Record<string, TSchema> {
  const out: Record<string, TSchema> = {};
  for (const [key, schema] of Object.entries(schemas)) out[key] = Type.Optional(schema);
  return out;
}

export type LimitsConfig = Static<typeof LimitsSchema>;
export type UpstreamConfig = Static<typeof UpstreamSchema>;
export type MatchConfig = Static<typeof MatchSchema>;

/** A route as the core reads it; plugin keys are read by their plugins. */
export interface RouteConfig {
  name: string;
  match: MatchConfig;
  upstream: string;
  stripPrefix?: boolean;
  rewrite?: string;
  preserveHost?: boolean;
  [pluginKey: string]: unknown;
}

export interface GatewayConfig {
  listen?: string;
  admin?: { listen?: string; token?: string };
  trustedProxies?: string[];
  limits?: LimitsConfig;
  /** Shared-state store URL (redis:// or rediss://). */
  redis?: string;
  log?: { level?: string; access?: boolean };
  upstreams: Record<string, UpstreamConfig>;
  routes: RouteConfig[];
  /** Plugins' top-level keys (auth providers, cors and securityHeaders defaults, …). */
  [pluginKey: string]: unknown;
}
