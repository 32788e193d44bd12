/**
 * The key a consistent-hash upstream hashes, compiled once from `hashOn`:
 * `ip` (the client IP resolved through trustedProxies), `header:NAME` (the header's value;
 * repeated fields joined by ", "), `cookie:NAME` (that cookie's value). A request without the
 * header or cookie falls back to its client IP, so it is still sticky per client rather than
 * spread at random (Kong's `hash_fallback: ip`, chosen as the fixed behaviour here).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What a key extractor reads from the request context (RequestContext has both). */
export interface HashSource {
  readonly clientIp: string;
  readonly req: { readonly headers: IncomingHttpHeaders };
}

export type HashKeyFn = (ctx: HashSource) => string;

/** `ip`, `header:<token>` or `cookie:<token>`; the config schema enforces the same shape. */
export const HASH_ON_PATTERN = "^(ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|cookie:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$";

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4 pairs, `; `-separated), or undefined. */
export function cookieValue(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}

function ipKey(ctx: HashSource): string {
  return ctx.clientIp;
}

export function compileHashKey(hashOn: string): HashKeyFn {
  if (hashOn === 'ip') return ipKey;
  const colon = hashOn.indexOf(':');
  const kind = hashOn.slice(0, colon);
  const name = hashOn.slice(colon + 1);
  if (kind === 'header') {
    const lower = name.toLowerCase();
    return function headerKey(ctx) {
      const value = ctx.req.headers[lower];
      if (value === undefined || value === '') return ctx.clientIp;
      return Array.isArray(value) ? value.join(', ') : value;
    };
  }
  if (kind === 'cookie') {
    return function cookieKey(ctx) {
      const header = ctx.req.headers.cookie;
      const value = header === undefined ? undefined : cookieValue(header, name);
      return value === undefined || value === '' ? ctx.clientIp : value;
    };
  }
  throw new Error(`hashOn "${hashOn}" must be ip, header:NAME or cookie:NAME`);
}
