/**
 * Finding credentials in a request: the bearer token, API keys in headers or the query string.
 * Pure helpers over raw header lists and raw query strings. Node keeps only the first of
 * repeated Authorization headers in `req.headers`, so repetition is counted in `rawHeaders`:
 * two of them are refused rather than letting a proxy in front and the gateway disagree on
 * which one counts.
 */

/** RFC 6750 §2.1: `Bearer` (any case), spaces, a b64token. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer …` value, or null when the value is not one. */
export function parseBearer(value: string): string | null {
  const m = BEARER.exec(value);
  return m ? m[1]! : null;
}

export { countHeader } from '../../util/http-syntax.js';

function decodeComponent(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** Values of the query parameter `name` in a raw query (`?a=1&b=2`, or ''), decoded. */
export function queryValues(query: string, name: string): string[] {
  const out: string[] = [];
  // Fast path: a name without spaces appears literally unless some of it is percent-encoded.
  if (query.length <= 1 || (!query.includes(name) && !query.includes('%'))) return out;
  for (const pair of query.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    if (decodeComponent(rawName) !== name) continue;
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    out.push(decodeComponent(rawValue) ?? rawValue);
  }
  return out;
}

/** The raw query without the parameter `name`; other pairs are kept byte for byte. */
export function withoutQueryParam(query: string, name: string): string {
  if (query.length <= 1) return query;
  const kept = query
    .slice(1)
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return decodeComponent(eq === -1 ? pair : pair.slice(0, eq)) !== name;
    });
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}
