/**
 * Fallback: a route's canned answer when its upstream cannot take the request — every target's
 * circuit is open or no target is healthy — instead of the 503 (Kong's and KrakenD's "static
 * response" for degraded upstreams). It wraps only the proxy (lowest priority), so every check
 * before it (auth, rate limits, validation) still applies, and any other failure (502, 504, a
 * 429) stays what it is. The answer is built once at compile time.
 */
import { isGatewayError } from '../../errors.js';
import { definePlugin, type Problem } from '../define-plugin.js';
import { FallbackSchema, type FallbackConfig } from './schema.js';

/** The upstream errors a fallback stands in for. */
const REPLACES = new Set(['circuit_open', 'no_healthy_upstream']);
/** Framing is the gateway's: a configured value could only desynchronise the connection. */
const FORBIDDEN = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection']);
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function fallbackProblems(value: FallbackConfig): Problem[] {
  const problems: Problem[] = [];
  for (const [name, v] of Object.entries(value.headers ?? {})) {
    if (FORBIDDEN.has(name.toLowerCase())) problems.push({ path: ['headers', name], message: 'is set by the gateway, not by a fallback' });
    else if (!FIELD_VALUE.test(v)) problems.push({ path: ['headers', name], message: 'must not contain control characters' });
  }
  const status = value.status ?? 200;
  if ((status === 204 || status === 304) && (value.body ?? '') !== '') problems.push({ path: ['body'], message: `must be empty with status ${status}` });
  return problems;
}

export const fallbackPlugin = definePlugin({
  name: 'fallback',
  configKey: 'fallback',
  // Innermost: runs after every check, right around the proxy.
  priority: 100,
  schema: FallbackSchema,
  validate: (value) => fallbackProblems(value),
  create(value) {
    const status = value.status ?? 200;
    const body = Buffer.from(value.body ?? '');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, v] of Object.entries(value.headers ?? {})) headers[name.toLowerCase()] = v;
    headers['content-length'] = String(body.length);
    return (next) =>
      async function fallback(ctx) {
        try {
          await next(ctx);
        } catch (err) {
          if (!isGatewayError(err) || !REPLACES.has(err.code) || ctx.res.headersSent) throw err;
          // Logged with why the fallback answered; the status is the fallback's.
          ctx.errorCode = `fallback:${err.code}`;
          ctx.res.writeHead(status, { ...ctx.responseHeaders, ...headers });
          ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
        }
      };
  },
});
