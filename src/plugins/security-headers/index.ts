/**
 * Security headers on every answer: built-in defaults, merged with the top-level
 * `securityHeaders` and then the route's; `null` removes one. They go in ctx.responseHeaders
 * (so error answers carry them too, and they replace the upstream's values) and the upstream's
 * Server / X-Powered-By are dropped. HSTS only when the request came over HTTPS.
 */
import type { TLSSocket } from 'node:tls';
import type { RequestContext } from '../../pipeline/context.js';
import { definePlugin } from '../define-plugin.js';
import { isHttpsRequest, resolveSecurityHeaders, securityHeadersProblems, HSTS, type SecurityHeaderSet } from './headers.js';
import { SecurityHeadersSchema, type SecurityHeadersConfig } from './schema.js';

/** Adds the set to one request's answer; the per-request work is a few property writes. */
function apply(set: SecurityHeaderSet, ctx: RequestContext): void {
  const out = ctx.responseHeaders;
  const { names, values } = set;
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i]!;
  if (set.hsts !== null && isHttpsRequest((ctx.socket as TLSSocket | null)?.encrypted === true, ctx.peerTrusted, ctx.req.headers['x-forwarded-proto'])) {
    out[HSTS] = set.hsts;
  }
}

export const securityHeadersPlugin = definePlugin({
  name: 'security-headers',
  configKey: 'securityHeaders',
  priority: 1900,
  runsOnPreflight: true,
  schema: SecurityHeadersSchema,
  globalSchema: SecurityHeadersSchema,
  validate: (value) => securityHeadersProblems(value as SecurityHeadersConfig),
  validateGlobal: (value) => securityHeadersProblems(value as SecurityHeadersConfig),
  // Every route gets the defaults, configured or not.
  defaultFor: () => ({}),
  create(value, _route, { global }) {
    const set = resolveSecurityHeaders(global as SecurityHeadersConfig | undefined, value as SecurityHeadersConfig);
    const hidden = set.hidden;
    if (set.names.length === 0 && set.hsts === null && hidden === null) return (next) => next;
    return (next) =>
      async function securityHeaders(ctx) {
        apply(set, ctx);
        // Shared with the request until another plugin hides more (then the context copies it).
        if (hidden !== null) ctx.hideResponseHeaders(hidden);
        return next(ctx);
      };
  },
  // 404, 405 and malformed requests get the top-level set too (no upstream answer to hide from).
  unrouted(global) {
    const set = resolveSecurityHeaders(global as SecurityHeadersConfig | undefined);
    if (set.names.length === 0 && set.hsts === null) return undefined;
    return (ctx) => apply(set, ctx);
  },
});
