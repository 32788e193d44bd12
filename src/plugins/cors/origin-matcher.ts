/**
 * Origin allow-lists: configured entries are parsed and normalised once, at load; a request's
 * `Origin` is then checked with one Set lookup and at most one pre-compiled regex. No HTTP types.
 *
 * An entry is `*`, an exact origin (`https://app.example.com`, `http://127.0.0.1:5173`), or a
 * subdomain pattern (`https://*.example.com`) that takes one or more labels in front of the
 * domain and never the domain itself. Scheme and port always take part: browsers serialise an
 * origin as lower-case `scheme://host[:port]` without the default port, and a request's Origin
 * is compared byte for byte with that form, so look-alikes (`https://evil-example.com`,
 * `https://example.com.evil.net`, `https://app.example.com@evil.net`, upper case, trailing dots)
 * simply do not match. `null` is never allowed, not even by `*`.
 */
import { isIP } from 'node:net';

export type OriginEntry =
  | { kind: 'any' }
  | { kind: 'exact'; origin: string }
  | { kind: 'subdomains'; scheme: 'http' | 'https'; domain: string; port: string };

/** Longest Origin worth checking: scheme, a 253-character host, a port. Longer never matches. */
export const MAX_ORIGIN_LENGTH = 300;

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** One DNS label as matched in front of a pattern's domain (same rule as LABEL). */
const LABEL_SOURCE = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';

function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => LABEL.test(label));
}

/**
 * Parses one configured entry into its normalised form, or returns a message saying why it is
 * not an origin. Hosts are lower-cased, internationalised names turned into punycode and default
 * ports dropped, exactly as a browser serialises the Origin it sends.
 */
export function parseOriginEntry(entry: string): OriginEntry | { error: string } {
  if (entry === '*') return { kind: 'any' };
  if (entry.toLowerCase() === 'null') return { error: 'the "null" origin is never allowed (sandboxed frames, file: pages and redirects all send it)' };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(entry);
  if (!m) return { error: `"${entry}" is not an origin; write scheme://host[:port], e.g. https://app.example.com` };
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return { error: `"${entry}": the scheme must be http or https` };
  const rest = m[2]!;
  if (/[/?#]/.test(rest)) return { error: `"${entry}": an origin has no path, query or fragment (write ${scheme}://${rest.split(/[/?#]/)[0]})` };
  if (rest.includes('@')) return { error: `"${entry}": an origin has no user info` };
  if (/[\s\\%]/.test(rest)) return { error: `"${entry}" is not an origin` };

  let host: string;
  let port = '';
  const portMatch = rest.startsWith('[') ? /^(\[[^\]]*\])(?::(.*))?$/.exec(rest) : /^([^:]*)(?::(.*))?$/.exec(rest);
  if (!portMatch) return { error: `"${entry}" is not an origin` };
  host = portMatch[1]!;
  if (portMatch[2] !== undefined) {
    if (!/^\d{1,5}$/.test(portMatch[2]) || Number(portMatch[2]) < 1 || Number(portMatch[2]) > 65535) return { error: `"${entry}": the port must be 1-65535` };
    port = String(Number(portMatch[2]));
    if (port === DEFAULT_PORT[scheme]) port = '';
  }
  if (host.endsWith('.')) return { error: `"${entry}": write the host without a trailing dot` };

  if (host.startsWith('*.')) {
    const domain = hostnameOf(scheme, host.slice(2));
    if (domain === null || !isDnsName(domain) || isIP(domain) !== 0) return { error: `"${entry}": after "*." must come a domain name, e.g. https://*.example.com` };
    if (!domain.includes('.')) return { error: `"${entry}": "*." needs a domain of at least two labels (it would take every site under .${domain})` };
    return { kind: 'subdomains', scheme, domain, port };
  }
  if (host.includes('*')) return { error: `"${entry}": "*" may only stand for the leftmost labels, as in https://*.example.com` };
  const hostname = hostnameOf(scheme, host);
  if (hostname === null) return { error: `"${entry}" is not an origin` };
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare) === 0 && !isDnsName(hostname)) return { error: `"${entry}": "${host}" is not a host name or IP address` };
  return { kind: 'exact', origin: `${scheme}://${hostname}${port === '' ? '' : `:${port}`}` };
}

/** The WHATWG host serialisation (lower case, punycode, compressed IPv6), or null. */
function hostnameOf(scheme: string, host: string): string | null {
  if (host === '') return null;
  try {
    const url = new URL(`${scheme}://${host}/`);
    return url.hostname === '' ? null : url.hostname;
  } catch {
    return null;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A compiled allow-list. `allows` reads frozen data only: one Set lookup, at most one regex test. */
export class OriginMatcher {
  /** `*` was configured: every Origin is allowed and answered with `*`. */
  readonly any: boolean;
  private readonly exact: ReadonlySet<string>;
  private readonly subdomains: RegExp | null;

  /** `entries` must be valid (see parseOriginEntry); an invalid one throws. */
  constructor(entries: readonly string[]) {
    let any = false;
    const exact = new Set<string>();
    const patterns: string[] = [];
    for (const entry of entries) {
      const parsed = parseOriginEntry(entry);
      if ('error' in parsed) throw new Error(parsed.error);
      if (parsed.kind === 'any') any = true;
      else if (parsed.kind === 'exact') exact.add(parsed.origin);
      else patterns.push(`${parsed.scheme}://(?:${LABEL_SOURCE}\\.)+${escapeRegex(parsed.domain)}${parsed.port === '' ? '' : `:${parsed.port}`}`);
    }
    this.any = any;
    this.exact = exact;
    // One alternation for all patterns, anchored; labels cannot contain dots, so the match is linear.
    this.subdomains = patterns.length === 0 ? null : new RegExp(`^(?:${patterns.join('|')})$`);
  }

  /** True when `origin` (a request's Origin header, as sent) is on the list. */
  allows(origin: string): boolean {
    // `null` (opaque origins) is refused even under `*`: it names no one.
    if (origin === 'null') return false;
    if (this.any) return true;
    if (origin.length > MAX_ORIGIN_LENGTH) return false;
    if (this.exact.has(origin)) return true;
    return this.subdomains !== null && this.subdomains.test(origin);
  }
}
