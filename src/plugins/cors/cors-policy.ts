/**
 * A route's CORS config checked and compiled once into the header values it answers with. No
 * HTTP types: the middleware in index.ts only copies these strings.
 */
import type { Problem } from '../define-plugin.js';
import type { RouteConfig } from '../../config/schema.js';
import { parseDuration } from '../../config/units.js';
import { OriginMatcher, parseOriginEntry } from './origin-matcher.js';
import type { CorsConfig } from './schema.js';

/** Preflight methods when neither `methods` nor the route's match.methods say otherwise. */
export const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Above this, browsers cap Access-Control-Max-Age anyway (Firefox 24h, Chromium 2h). */
const MAX_USEFUL_MAX_AGE_S = 86_400;

export interface CorsPolicy {
  readonly matcher: OriginMatcher;
  /** `*` configured (never with credentials): answer `Access-Control-Allow-Origin: *`. */
  readonly anyOrigin: boolean;
  readonly credentials: boolean;
  /** Header values, or null when the header is not sent. */
  readonly allowMethods: string;
  readonly allowHeaders: string | null;
  readonly exposeHeaders: string | null;
  readonly maxAge: string | null;
}

/** Problems of one cors object; paths are relative to it. */
export function corsProblems(value: CorsConfig): Problem[] {
  const problems: Problem[] = [];
  const credentials = value.credentials === true;
  value.origins.forEach((entry, i) => {
    const parsed = parseOriginEntry(entry);
    if ('error' in parsed) problems.push({ path: ['origins', i], message: parsed.error });
  });
  if (value.origins.includes('*')) {
    if (credentials) problems.push({ path: ['origins'], message: 'never "*" with credentials: list the origins (the exact one is echoed back)' });
    if (value.origins.length > 1) problems.push({ path: ['origins'], message: '"*" allows every origin, so it must be the only entry' });
  }
  // Fetch: with credentials, `*` in these lists is a literal name, not a wildcard.
  for (const key of ['methods', 'headers', 'exposeHeaders'] as const) {
    const list: readonly string[] = value[key] ?? [];
    const star = list.indexOf('*');
    if (star !== -1 && credentials) problems.push({ path: [key, star], message: '"*" is no wildcard with credentials (browsers take it literally): list the names' });
  }
  if (value.maxAge !== undefined && parseDuration(value.maxAge) / 1000 > MAX_USEFUL_MAX_AGE_S) {
    problems.push({ path: ['maxAge'], message: 'browsers cap the preflight cache at 24h (Chromium at 2h); a longer maxAge has no effect', severity: 'warning' });
  }
  return problems;
}

/** Compiles a valid cors object for `route`. */
export function compileCors(value: CorsConfig, route: RouteConfig): CorsPolicy {
  const matcher = new OriginMatcher(value.origins);
  const methods = value.methods ?? route.match.methods ?? DEFAULT_METHODS;
  const list = (names: readonly string[] | undefined) => (names === undefined || names.length === 0 ? null : names.join(', '));
  return Object.freeze({
    matcher,
    anyOrigin: matcher.any,
    credentials: value.credentials === true,
    allowMethods: methods.join(', '),
    allowHeaders: list(value.headers),
    exposeHeaders: list(value.exposeHeaders),
    maxAge: value.maxAge === undefined ? null : String(Math.floor(parseDuration(value.maxAge) / 1000)),
  });
}
