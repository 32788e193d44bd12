/**
 * The scenarios, in the order they appear in the table. Adding one is adding an entry: a
 * gateway scenario gives its config (the runner adds the listeners, the log and the upstream's
 * address) and the request it sends, e.g. for a later "JWT + CORS" scenario:
 *
 *   {
 *     name: 'portcullis-jwt-cors',
 *     description: 'JWT (HS256) + CORS on one route',
 *     server: 'gateway',
 *     config: ({ upstream }) => `auth: { users: { type: jwt, secret: bench-secret } }\n` + ...,
 *     request: { ...BENCH_REQUEST, headers: { ...BENCH_REQUEST.headers, authorization: `Bearer ${token}`, origin: 'https://app.example.com' } },
 *   }
 */
import type { BenchRequest } from './load.js';
import { BENCH_ROUTE, routesConfig } from './route-set.js';
import { BENCH_HS_SECRET, BENCH_ORIGIN, type BenchCredentials } from './tokens.js';

export function requestOf(s: Scenario, ctx: ScenarioContext): BenchRequest {
  return typeof s.request === 'function' ? s.request(ctx) : s.request;
}

/** The 1-route config with an auth provider, the route's auth and CORS. */
function authConfig(ctx: ScenarioContext, provider: string): string {
  const base = routesConfig(1, ctx.upstream, ctx.deadTarget);
  return `auth: { bench: ${provider} }\ncors: { origins: ["${BENCH_ORIGIN}"], exposeHeaders: [X-Request-ID] }\n` + base.replace(/(upstream: bench,)/, '$1 auth: { use: [bench] },');
}

export interface ScenarioContext {
  /** Origin of the bench upstream, e.g. http://127.0.0.1:40001 */
  upstream: string;
  /** An origin nothing listens on, for upstreams that must never be reached. */
  deadTarget: string;
  /** Tokens for the auth scenarios; the upstream serves the RS256 JWKS at /jwks.json. */
  credentials: BenchCredentials;
  /** A redis-server the run started (redis://127.0.0.1:N), or null when none is on PATH. */
  redisUrl: string | null;
}

export interface Scenario {
  /** Unique; also how BENCH_ONLY selects it. */
  name: string;
  /** One line for the table. */
  description: string;
  /** `direct` hits the upstream; `bare-proxy` is the baseline; `gateway` runs Portcullis with `config`. */
  server: 'direct' | 'bare-proxy' | 'gateway';
  /** Gateway config YAML without `listen`/`admin`/`log` (the runner sets those). */
  config?: (ctx: ScenarioContext) => string;
  /** The request sent, or a function of the run's context (for tokens made at start). */
  request: BenchRequest | ((ctx: ScenarioContext) => BenchRequest);
  /** Status every response must have (checked once before measuring). Default 200. */
  expectStatus?: number;
  /** Whether the body must be the upstream's (default true for 2xx). */
  expectUpstreamBody?: boolean;
  /** Gateway scenarios: write the access log (default true). */
  accessLog?: boolean;
  /** Needs a redis-server (the run starts one; the scenario is skipped when none is installed). */
  requiresRedis?: boolean;
}

/** The name of the baseline scenario all ratios are against. */
export const BASELINE = 'bare-proxy';

/** What every scenario sends unless it says otherwise: a plain API GET. */
export const BENCH_REQUEST: BenchRequest = {
  method: 'GET',
  path: BENCH_ROUTE.request,
  headers: { accept: 'application/json', 'user-agent': 'portcullis-bench/1', 'accept-language': 'en' },
};

export const SCENARIOS: Scenario[] = [
  { name: 'direct', description: 'autocannon straight at the upstream (no proxy)', server: 'direct', request: BENCH_REQUEST },
  { name: BASELINE, description: 'node:http + one undici Pool, pass-through (baseline)', server: 'bare-proxy', request: BENCH_REQUEST },
  {
    name: 'portcullis-1-route',
    description: 'gateway, 1 route, access log on',
    server: 'gateway',
    config: ({ upstream, deadTarget }) => routesConfig(1, upstream, deadTarget),
    request: BENCH_REQUEST,
  },
  {
    name: 'portcullis-no-access-log',
    description: 'gateway, 1 route, access log off (what the access log costs)',
    server: 'gateway',
    config: ({ upstream, deadTarget }) => routesConfig(1, upstream, deadTarget),
    request: BENCH_REQUEST,
    accessLog: false,
  },
  {
    name: 'portcullis-jwt-cors',
    description: 'gateway, 1 route, HS256 JWT + CORS (Origin sent), access log on',
    server: 'gateway',
    config: (ctx) => authConfig(ctx, `{ type: jwt, algorithms: [HS256], secret: "${BENCH_HS_SECRET}" }`),
    request: (ctx) => ({ ...BENCH_REQUEST, headers: { ...BENCH_REQUEST.headers, authorization: `Bearer ${ctx.credentials.hsToken}`, origin: BENCH_ORIGIN } }),
  },
  {
    name: 'portcullis-rs256-jwks',
    description: 'gateway, 1 route, RS256 JWT with keys from a JWKS URL, warm token cache, access log on',
    server: 'gateway',
    config: (ctx) => authConfig(ctx, `{ type: jwt, algorithms: [RS256], jwksUri: "${ctx.upstream}/jwks.json" }`),
    request: (ctx) => ({ ...BENCH_REQUEST, headers: { ...BENCH_REQUEST.headers, authorization: `Bearer ${ctx.credentials.rsToken}` } }),
  },
  {
    name: 'portcullis-rate-limit-local',
    description: 'gateway, 1 route, local token-bucket rate limit keyed by IP (never reached), access log on',
    server: 'gateway',
    config: ({ upstream, deadTarget }) => routesConfig(1, upstream, deadTarget).replace(/(upstream: bench,)/, '$1 rateLimit: { limit: 100000000, window: 1s, key: ip },'),
    request: BENCH_REQUEST,
  },
  {
    name: 'portcullis-rate-limit-cluster',
    description: 'gateway, 1 route, Redis (scope: cluster) rate limit keyed by IP (never reached), access log on',
    server: 'gateway',
    requiresRedis: true,
    config: ({ upstream, deadTarget, redisUrl }) =>
      `redis: ${redisUrl}\n` + routesConfig(1, upstream, deadTarget).replace(/(upstream: bench,)/, '$1 rateLimit: { limit: 100000000, window: 1s, key: ip, scope: cluster },'),
    request: BENCH_REQUEST,
  },
  {
    name: 'portcullis-resilience',
    description: 'gateway, 1 route, upstream with active + passive health checks, a circuit breaker and retries (never triggered), access log on',
    server: 'gateway',
    config: ({ upstream, deadTarget }) =>
      routesConfig(1, upstream, deadTarget).replace(
        `  bench: { targets: [${upstream}] }`,
        `  bench: { targets: [${upstream}], healthCheck: { path: /health, interval: 1s, timeout: 500ms }, circuitBreaker: { failures: 5, window: 10s, cooldown: 30s }, retries: { attempts: 2 } }`,
      ),
    request: BENCH_REQUEST,
  },
  {
    name: 'portcullis-1000-routes',
    description: 'gateway, 1,000 routes (params, hosts, methods), hits #701, access log on',
    server: 'gateway',
    config: ({ upstream, deadTarget }) => routesConfig(1000, upstream, deadTarget),
    request: BENCH_REQUEST,
  },
];
