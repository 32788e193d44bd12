/**
 * Header filtering in both directions. Hop-by-hop fields (RFC 9110 §7.6.1) and any field named
 * in `Connection` are never forwarded. Filtering happens before the gateway adds its own fields,
 * so `Connection: X-Forwarded-For` can delete only the client's copy, never the gateway's.
 */

/** Hop-by-hop fields, dropped in both directions. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/**
 * Request fields the gateway owns: it sets them itself (or, for identity headers, only from a
 * verified identity), so a client's copy is always removed. `expect` is answered by the gateway.
 */
export const GATEWAY_OWNED_REQUEST = new Set([
  'host',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'x-real-ip',
  'x-user-id',
  'x-user-email',
  'x-user-role',
  'x-consumer',
]);

/** Lower-case names listed in Connection header values, e.g. `close, X-Foo` → {close, x-foo}. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  // The common case, a plain `keep-alive` or `close`, names no header.
  if (typeof value === 'string' && value.length <= 10) {
    const v = value.toLowerCase();
    if (v === 'keep-alive' || v === 'close') return null;
  }
  const text = Array.isArray(value) ? value.join(',') : value;
  let tokens: Set<string> | null = null;
  for (const part of text.split(',')) {
    const token = part.trim().toLowerCase();
    if (token === '' || token === 'close' || token === 'keep-alive') continue;
    (tokens ??= new Set()).add(token);
  }
  return tokens;
}

/**
 * Copies `rawHeaders` ([name, value, …] as received) into `out`, dropping hop-by-hop fields,
 * gateway-owned fields and those the Connection header names.
 */
export function filterRequestHeaders(rawHeaders: readonly string[], connection: Set<string> | null, out: string[], hidden: ReadonlySet<string> | null = null): void {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || GATEWAY_OWNED_REQUEST.has(lower) || (connection !== null && connection.has(lower)) || (hidden !== null && hidden.has(lower))) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
}

/**
 * The response headers to send the client: undici's parsed upstream headers without hop-by-hop
 * fields (and those the upstream's Connection names), then the gateway's own on top. A new
 * object rather than `delete` on undici's, which would drop it into V8's slow dictionary mode.
 */
export function responseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  own: Record<string, string | string[]>,
  hidden: ReadonlySet<string> | null = null,
): Record<string, string | string[]> {
  const connection = connectionTokens(upstream['connection']);
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined || HOP_BY_HOP.has(name) || (connection !== null && connection.has(name)) || (hidden !== null && hidden.has(name))) continue;
    out[name] = value;
  }
  for (const name in own) out[name] = name === 'vary' && out['vary'] !== undefined ? mergeVary(out['vary'], own[name]!) : own[name]!;
  return out;
}

/**
 * The upstream's Vary with the gateway's fields appended (CORS adds Origin): replacing it would
 * let a cache serve one representation for another. `*` already covers everything.
 */
export function mergeVary(upstream: string | string[], own: string | string[]): string {
  const theirs = Array.isArray(upstream) ? upstream.join(', ') : upstream;
  if (theirs.trim() === '*') return '*';
  const listed = new Set(theirs.split(',').map((t) => t.trim().toLowerCase()));
  let out = theirs;
  for (const field of (Array.isArray(own) ? own.join(',') : own).split(',')) {
    const name = field.trim();
    if (name !== '' && !listed.has(name.toLowerCase())) out = out.trim() === '' ? name : `${out}, ${name}`;
  }
  return out;
}
