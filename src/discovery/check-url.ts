/**
 * Checks for the addresses a discovery config holds: registry and target URLs (http/https only,
 * no credentials — a token or password belongs in its own field, never in a URL that gets
 * logged), and the DNS resolver `host:port`.
 */
import { isIP } from 'node:net';

/** Why `value` is not an acceptable http(s) URL, or null when it is. */
export function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, not ${url.protocol}`;
  if (url.username !== '' || url.password !== '') return 'must not hold credentials (use the token/username/password fields)';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  return null;
}

export interface ResolverAddress {
  host: string;
  port: number;
  /** The form `dns.Resolver#setServers` takes: `1.2.3.4:53`, `[::1]:5353`. */
  server: string;
}

/** `127.0.0.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353` (port defaults to 53). Throws on anything else. */
export function parseResolver(value: string): ResolverAddress {
  const v = value.trim();
  let host: string;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(v) === 6) {
    host = v;
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(v);
    if (!m) throw new Error(`resolver "${value}" must be host:port, e.g. 127.0.0.1:53 or [::1]:5353`);
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  }
  // c-ares wants an address: a resolver named by hostname would need a resolver to find it.
  if (isIP(host) === 0) throw new Error(`resolver "${value}" must be an IP address (with an optional :port), not a hostname`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`resolver "${value}" has an invalid port`);
  return { host, port, server: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}
