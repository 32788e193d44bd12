/**
 * CORS (Fetch standard §3.2): the gateway answers for the routes it fronts.
 *
 * - Every answer of a CORS-enabled route carries `Vary: Origin` (appended to the upstream's Vary).
 * - An allowed Origin gets `Access-Control-Allow-Origin` (the exact origin, or `*` for `origins:
 *   ["*"]`), `Access-Control-Allow-Credentials: true` with credentials, and
 *   `Access-Control-Expose-Headers`; they sit in ctx.responseHeaders, so the gateway's own error
 *   answers (401, 429, 502, …) carry them too and the page can read them.
 * - A disallowed Origin gets no CORS header at all; a simple request still proceeds (the browser
 *   withholds the answer), a preflight gets a bare 204, so the browser never sends the call.
 * - A preflight (routed by the core by its announced method, running only runsOnPreflight
 *   plugins, before any auth) is answered 204 by the core's preflight terminal with the route's
 *   full allow-lists (methods, headers, max-age). Like Envoy and per Fetch, the gateway does not
 *   refuse a preflight asking for a method or header off the list: the browser checks the lists
 *   and fails the call, and one answer per origin stays cacheable.
 * - Access-Control-* headers an upstream sends are dropped on these routes: the gateway's policy
 *   is the only one a browser sees.
 */
import type { RequestContext } from '../../pipeline/context.js';
import { definePlugin } from '../define-plugin.js';
import { compileCors, corsProblems } from './cors-policy.js';
import { CorsGlobalSchema, CorsRouteSchema } from './schema.js';

/** Upstream response headers hidden on CORS-enabled routes (lower case). */
const UPSTREAM_CORS_HEADERS: ReadonlySet<string> = new Set([
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
]);

/** The gateway's CORS policy is the only one a browser sees: the upstream's CORS headers are dropped. */
function hideUpstreamCors(ctx: RequestContext): void {
  ctx.hideResponseHeaders(UPSTREAM_CORS_HEADERS);
}

export const corsPlugin = definePlugin({
  name: 'cors',
  configKey: 'cors',
  priority: 2000,
  runsOnPreflight: true,
  answersPreflight: true,
  schema: CorsRouteSchema,
  globalSchema: CorsGlobalSchema,
  validate: (value) => (value === false ? [] : corsProblems(value)),
  validateGlobal: (value) => corsProblems(value),
  defaultFor: (_route, global) => global,
  create(value, route) {
    // The core skips a plugin whose route value is false; kept total for direct callers.
    if (value === false) return (next) => next;
    const policy = compileCors(value, route);
    const { matcher, anyOrigin, credentials, allowMethods, allowHeaders, exposeHeaders, maxAge } = policy;
    return (next) =>
      async function cors(ctx) {
        const headers = ctx.responseHeaders;
        const vary = headers['vary'];
        headers['vary'] = vary === undefined ? 'Origin' : `${String(vary)}, Origin`;
        hideUpstreamCors(ctx);
        const origin = ctx.req.headers.origin;
        if (origin !== undefined && matcher.allows(origin)) {
          headers['access-control-allow-origin'] = anyOrigin ? '*' : origin;
          if (credentials) headers['access-control-allow-credentials'] = 'true';
          if (ctx.preflight) {
            headers['access-control-allow-methods'] = allowMethods;
            if (allowHeaders !== null) headers['access-control-allow-headers'] = allowHeaders;
            if (maxAge !== null) headers['access-control-max-age'] = maxAge;
          } else if (exposeHeaders !== null) {
            headers['access-control-expose-headers'] = exposeHeaders;
          }
        }
        return next(ctx);
      };
  },
});
