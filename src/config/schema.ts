/**
 * The core config schema (TypeBox → JSON Schema, checked by Ajv). Plugins add their own
 * per-route keys through the registry (see src/plugins/registry.ts); this file holds only what
 * the core itself reads. Every field has a description: it is the one-line documentation.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Duration, Size, Strict } from './schema-helpers.js';
import { buildUpstreamSchema, METHODS, RetriesSchema } from './upstream-schema.js';
import type { DiscoveryConfig } from '../discovery/schema.js';


export { METHODS } from './upstream-schema.js';

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
  retries: Type.Optional(
    Type.Union([Type.Literal(false), RetriesSchema], {
      description: "This route's retries, merged over its upstream's (false: none); `methods` here may name non-idempotent methods such as POST to opt in.",
      'x-message': 'must be false or a retries object',
    }),
  ),
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
export const UpstreamSchema = buildUpstreamSchema();
export type RetriesConfig = Static<typeof RetriesSchema>;
/** `discovery` is typed by the providers (src/discovery/schema.ts) and checked by validateDiscovery. */
export type UpstreamConfig = Omit<Static<typeof UpstreamSchema>, 'discovery'> & { discovery?: DiscoveryConfig };
export type MatchConfig = Static<typeof MatchSchema>;

/** A route as the core reads it; plugin keys are read by their plugins. */
export interface RouteConfig {
  name: string;
  match: MatchConfig;
  upstream: string;
  stripPrefix?: boolean;
  rewrite?: string;
  preserveHost?: boolean;
  retries?: false | RetriesConfig;
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
