/**
 * Rate-limit keys: which bucket a request is charged to. Syntax: one or more parts joined by
 * `+`, each `ip`, `consumer`, `route` or `header:NAME` (e.g. `ip+header:X-Tenant`).
 *  - `ip`: the client address resolved through trustedProxies; IPv6 addresses are keyed per /64
 *    (one host usually owns a whole /64, so per-address keys would be trivial to rotate).
 *  - `consumer`: the verified identity's consumer; without one (no auth, or optional auth and no
 *    credentials) it falls back to the client address, so nobody escapes by sending nothing.
 *  - `header:NAME`: the header's value; when absent it falls back to the client address too.
 *  - `route`: one bucket for every client of the route.
 * Keys are built once per request from extractors compiled at start-up; no HTTP types here.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { unmapIPv4 } from '../../util/cidr.js';
import { HTTP_TOKEN as HEADER_NAME } from '../../util/http-syntax.js';

/** What a key is read from (a structural slice of the request context). */
export interface KeySource {
  clientIp: string;
  identity: { consumer: string | null } | null;
  req: { headers: Record<string, string | string[] | undefined> };
}

export type KeyPart = { kind: 'ip' } | { kind: 'consumer' } | { kind: 'route' } | { kind: 'header'; name: string };

/** Longer header values are hashed, so a key costs a bounded number of bytes. */
const MAX_VALUE_LENGTH = 64;

/** Parses a key spec; a string is the reason it is invalid. */
export function parseKeySpec(text: string): KeyPart[] | string {
  const parts: KeyPart[] = [];
  const seen = new Set<string>();
  for (const raw of text.split('+')) {
    const part = raw.trim();
    let parsed: KeyPart;
    if (part === 'ip' || part === 'consumer' || part === 'route') parsed = { kind: part };
    else if (part.toLowerCase().startsWith('header:')) {
      const name = part.slice('header:'.length).trim();
      if (!HEADER_NAME.test(name)) return `"${raw}": header: needs a header name, e.g. header:X-Tenant`;
      parsed = { kind: 'header', name: name.toLowerCase() };
    } else return `"${raw}" is not a key part (use ip, consumer, route, header:NAME, joined by +)`;
    const id = parsed.kind === 'header' ? `header:${parsed.name}` : parsed.kind;
    if (seen.has(id)) return `"${part}" appears twice`;
    seen.add(id);
    parts.push(parsed);
  }
  if (seen.has('route') && parts.length > 1) return '"route" is one bucket for all clients and cannot be combined with other parts';
  return parts;
}

/**
 * The key for an address: IPv4 as is (IPv4-mapped IPv6 unmapped), IPv6 reduced to its /64 in a
 * canonical spelling, so `2001:db8::1` and `2001:0db8:0:0::2` share one key.
 */
export function ipKey(ip: string): string {
  const addr = unmapIPv4(ip);
  const zone = addr.indexOf('%');
  const bare = zone === -1 ? addr : addr.slice(0, zone);
  if (isIP(bare) !== 6) return bare;
  const [head = '', tail] = bare.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:… is unmapped above; others are rare) takes two groups.
  const count = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? 0 : 8 - count(headGroups) - count(tailGroups);
  const groups = [...headGroups, ...Array<string>(Math.max(0, zeros)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text === '') return undefined;
  return text.length > MAX_VALUE_LENGTH ? `#${createHash('sha256').update(text).digest('base64url')}` : text;
}

function partValue(part: KeyPart, source: KeySource): string {
  switch (part.kind) {
    case 'ip':
      return `ip=${ipKey(source.clientIp)}`;
    case 'consumer': {
      const consumer = source.identity?.consumer;
      return consumer ? `consumer=${consumer}` : `ip=${ipKey(source.clientIp)}`;
    }
    case 'route':
      return 'route';
    case 'header': {
      const value = headerValue(source.req.headers[part.name]);
      return value === undefined ? `ip=${ipKey(source.clientIp)}` : `${part.name}=${value}`;
    }
  }
}

/** Compiles a parsed spec into the function that keys a request (parts joined by a newline, which no header value holds). */
export function keyExtractor(parts: readonly KeyPart[]): (source: KeySource) => string {
  if (parts.length === 1) {
    const only = parts[0]!;
    if (only.kind === 'route') return () => 'route';
    return (source) => partValue(only, source);
  }
  return (source) => parts.map((p) => partValue(p, source)).join('\n');
}
