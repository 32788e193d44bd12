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
export function filterRequestHeaders(rawHeaders: readonly string[], connection: Set<string> | null, out: string[]): void {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || GATEWAY_OWNED_REQUEST.has(lower) || (connection !== null && connection.has(lower))) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
}

/** Removes hop-by-hop fields (and those the upstream's Connection names) from undici's response headers, in place. */
export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>): void {
  const connection = connectionTokens(headers['connection']);
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  if (connection) for (const name of connection) delete headers[name];
}
