/**
 * Security headers, pure parts: the built-in defaults, load-time checks of names and values,
 * the merge of defaults ⊕ top level ⊕ route into one frozen set, and the HTTPS test for HSTS.
 *
 * Defaults, chosen for JSON APIs (docs/plugins/security-headers.md says why):
 *   X-Content-Type-Options: nosniff            no MIME sniffing of API answers
 *   X-Frame-Options: DENY                      never framed (older browsers)
 *   Referrer-Policy: no-referrer               an API page has nothing to tell the next site
 *   Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
 *                                              an answer rendered as a document loads nothing
 *   Strict-Transport-Security: max-age=31536000; includeSubDomains   only on HTTPS requests
 * and the upstream's Server and X-Powered-By are removed.
 */
import type { Problem } from '../define-plugin.js';
import { HOP_BY_HOP } from '../../upstream/hop-by-hop.js';
import { HIDE_UPSTREAM, type SecurityHeadersConfig } from './schema.js';
import { HTTP_TOKEN } from '../../util/http-syntax.js';

/** RFC 9110 §5.1 field-name: a token. */
export const HEADER_NAME = HTTP_TOKEN;

/** RFC 9110 §5.5 field-value, visible ASCII only: no CR, LF, NUL or other controls, no edge whitespace. */
const HEADER_VALUE = /^[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?$/;
/** Longest value accepted (a long CSP fits; a pasted file does not). */
export const MAX_VALUE_LENGTH = 8192;

export const HSTS = 'strict-transport-security';

export const DEFAULT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
});

export const DEFAULT_HIDE_UPSTREAM: readonly string[] = Object.freeze(['Server', 'X-Powered-By']);

/**
 * Response headers that describe the message itself or belong to the gateway, the upstream or
 * another plugin (CORS); setting them here would break framing or another feature.
 */
const RESERVED = new Set([
  ...HOP_BY_HOP,
  'content-length',
  'content-type',
  'content-encoding',
  'content-range',
  'x-request-id',
  'set-cookie',
  'vary',
  'www-authenticate',
  'retry-after',
  'allow',
  'location',
  'date',
  'etag',
  'last-modified',
]);

/** Upstream headers that cannot be hidden without corrupting the body the client receives. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'content-encoding']);

function isReserved(lower: string): boolean {
  return RESERVED.has(lower) || lower.startsWith('access-control-');
}

/** Load-time checks of one `securityHeaders` value (top level or route); paths relative to it. */
export function securityHeadersProblems(value: SecurityHeadersConfig): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const [name, v] of Object.entries(value)) {
    if (name === HIDE_UPSTREAM) continue;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) {
      problems.push({ path: [name], message: 'is not a valid header name' });
      continue;
    }
    const first = seen.get(lower);
    if (first !== undefined) problems.push({ path: [name], message: `is the same header as "${first}" (names are case-insensitive)` });
    seen.set(lower, name);
    if (isReserved(lower)) problems.push({ path: [name], message: 'is set by the gateway, the upstream or another plugin, not by securityHeaders' });
    if (typeof v !== 'string') continue;
    if (v.length > MAX_VALUE_LENGTH) problems.push({ path: [name], message: `is longer than ${MAX_VALUE_LENGTH} characters` });
    else if (!HEADER_VALUE.test(v)) problems.push({ path: [name], message: 'must be visible ASCII without CR, LF, NUL or other control characters, and not empty (null removes a header)' });
  }
  (value.hideUpstream ?? []).forEach((name, i) => {
    if (!HEADER_NAME.test(name)) problems.push({ path: [HIDE_UPSTREAM, i], message: 'is not a valid header name' });
    else if (FRAMING.has(name.toLowerCase())) problems.push({ path: [HIDE_UPSTREAM, i], message: 'frames the response body and cannot be hidden' });
  });
  return problems;
}

/** One route's resolved headers, frozen at compile time. */
export interface SecurityHeaderSet {
  /** Lower-case names (so they replace the upstream's values) and their values, sent on every answer. */
  readonly names: readonly string[];
  readonly values: readonly string[];
  /** The Strict-Transport-Security value, sent on HTTPS requests only; null when removed. */
  readonly hsts: string | null;
  /** Lower-case upstream response headers to drop; null when none. */
  readonly hidden: ReadonlySet<string> | null;
}

/** Built-in defaults, then each layer in turn (top level, route): a value replaces, null removes. */
export function resolveSecurityHeaders(...layers: (SecurityHeadersConfig | undefined)[]): SecurityHeaderSet {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(DEFAULT_HEADERS)) headers.set(name.toLowerCase(), value);
  let hide: readonly string[] = DEFAULT_HIDE_UPSTREAM;
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [name, value] of Object.entries(layer)) {
      if (name === HIDE_UPSTREAM) hide = value as string[];
      else if (value === null) headers.delete(name.toLowerCase());
      else if (typeof value === 'string') headers.set(name.toLowerCase(), value);
    }
  }
  const hsts = headers.get(HSTS) ?? null;
  headers.delete(HSTS);
  return Object.freeze({
    names: Object.freeze([...headers.keys()]),
    values: Object.freeze([...headers.values()]),
    hsts,
    hidden: hide.length === 0 ? null : new Set(hide.map((h) => h.toLowerCase())),
  });
}

/**
 * Whether the client reached us over HTTPS: a TLS socket, or a trusted proxy saying so in
 * X-Forwarded-Proto (the last entry of a list: the one the nearest proxy added). From any other
 * peer the header is the client's own word and proves nothing.
 */
export function isHttpsRequest(encrypted: boolean, peerTrusted: boolean, forwardedProto: string | string[] | undefined): boolean {
  if (encrypted) return true;
  if (!peerTrusted || forwardedProto === undefined) return false;
  const text = Array.isArray(forwardedProto) ? forwardedProto[forwardedProto.length - 1] ?? '' : forwardedProto;
  const comma = text.lastIndexOf(',');
  return (comma === -1 ? text : text.slice(comma + 1)).trim().toLowerCase() === 'https';
}
