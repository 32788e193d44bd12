/**
 * One route's authentication and authorisation, planned at compile time from `auth.use`:
 *
 * 1. Find credentials in the places the route's providers read (Authorization for JWT
 *    providers, each API key header and query parameter). None: 401 (or pass, when optional).
 *    Credentials in two places, or a place twice (two Authorization headers, `access_token` in
 *    the query beside an Authorization header): 401 — never guess which one counts.
 * 2. The providers reading that place verify, in `use` order; the first that accepts wins.
 *    (Several JWT providers: only those whose algorithms and issuer fit the token try.)
 *    All refuse: 401; a JWKS never fetched: 503 auth_unavailable.
 * 3. Roles/scopes against the route's requirement: 403 insufficient_scope.
 * 4. ctx.identity, identity headers for the upstream, hidden credentials.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../../errors.js';
import type { Middleware } from '../../pipeline/compose.js';
import type { RequestContext } from '../../pipeline/context.js';
import { ApiKeyProvider } from './api-key-provider.js';
import { isAuthorized, type Requirement } from './authorize.js';
import { countHeader, parseBearer, queryValues, withoutQueryParam } from './credentials.js';
import { clientCopiesToHide } from './identity-headers.js';
import { AuthFailure, JwtProvider, KeysUnavailable, type Verified } from './jwt-provider.js';
import type { AuthShared } from './providers.js';
import type { RouteAuthConfig } from './schema.js';

export const REALM = 'portcullis';
const MISSING = `Bearer realm="${REALM}"`;
const INVALID = `Bearer realm="${REALM}", error="invalid_token"`;
/** RFC 6750 §3: the `scope` attribute lists what the resource needs (only NQSCHAR allowed). */
const NQSCHAR_LIST = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

interface ApiKeyPlace {
  kind: 'header' | 'query';
  /** Lower-case header name, or query parameter name. */
  name: string;
  providers: ApiKeyProvider[];
}

type Found = { kind: 'bearer'; token: string } | { kind: 'apiKey'; place: ApiKeyPlace; key: string };

function invalid(): GatewayError {
  return new GatewayError('invalid_token', { headers: { 'www-authenticate': INVALID } });
}

export function createRouteAuth(value: RouteAuthConfig, shared: AuthShared, logger: Logger): Middleware {
  const providers = value.use.map((name) => {
    const p = shared.providers.get(name);
    if (!p) throw new Error(`auth provider "${name}" is not defined`);
    return p;
  });
  const jwt = providers.filter((p): p is JwtProvider => p instanceof JwtProvider);
  const places: ApiKeyPlace[] = [];
  for (const p of providers) {
    if (!(p instanceof ApiKeyProvider)) continue;
    const at = [{ kind: 'header' as const, name: p.header }, ...(p.query !== null ? [{ kind: 'query' as const, name: p.query }] : [])];
    for (const { kind, name } of at) {
      const existing = places.find((pl) => pl.kind === kind && pl.name === name);
      if (existing) existing.providers.push(p);
      else places.push({ kind, name, providers: [p] });
    }
  }
  const headerPlaces = places.filter((p) => p.kind === 'header');
  const queryPlaces = places.filter((p) => p.kind === 'query');
  const optional = value.optional ?? false;
  const requirement: Requirement | null =
    value.roles === undefined && value.scopes === undefined ? null : { roles: value.roles ?? null, scopes: value.scopes ?? null, all: value.match === 'all' };
  const insufficient =
    `Bearer realm="${REALM}", error="insufficient_scope"` + (value.scopes !== undefined && NQSCHAR_LIST.test(value.scopes.join(' ')) ? `, scope="${value.scopes.join(' ')}"` : '');

  // Request headers never forwarded on this route: the client's copies of custom identity
  // headers always; the credentials themselves with hideCredentials.
  const hide = new Set<string>();
  for (const p of jwt) for (const h of clientCopiesToHide(p.mapping)) hide.add(h);
  if (value.hideCredentials) {
    if (jwt.length > 0) hide.add('authorization');
    for (const pl of headerPlaces) hide.add(pl.name);
  }
  const hidden = [...hide];
  const stripQuery = value.hideCredentials ? queryPlaces.map((pl) => pl.name) : [];

  /** The one credential of the request, null when there is none; throws on ambiguity. */
  function findCredential(ctx: RequestContext): Found | null {
    const req = ctx.req;
    let found: Found | null = null;
    if (jwt.length > 0) {
      const authorization = req.headers.authorization;
      if (authorization !== undefined) {
        if (countHeader(req.rawHeaders, 'authorization') > 1) throw fail('two Authorization headers');
        if (queryValues(ctx.query, 'access_token').length > 0) throw fail('token in both Authorization and access_token');
        const token = parseBearer(authorization);
        if (token === null) throw fail('Authorization is not a Bearer token');
        found = { kind: 'bearer', token };
      }
    }
    for (const place of headerPlaces) {
      const v = req.headers[place.name];
      if (v === undefined) continue;
      if (found !== null) throw fail('credentials in more than one place');
      if (Array.isArray(v) || countHeader(req.rawHeaders, place.name) > 1) throw fail(`${place.name} sent twice`);
      found = { kind: 'apiKey', place, key: v };
    }
    for (const place of queryPlaces) {
      const values = queryValues(ctx.query, place.name);
      if (values.length === 0) continue;
      if (found !== null) throw fail('credentials in more than one place');
      if (values.length > 1) throw fail(`query parameter ${place.name} sent twice`);
      found = { kind: 'apiKey', place, key: values[0]! };
    }
    return found;
  }

  function fail(reason: string, provider?: string): GatewayError {
    logger.debug({ provider, reason }, 'credentials refused');
    return invalid();
  }

  async function verifyBearer(token: string): Promise<Verified> {
    const candidates = jwt.length === 1 ? jwt : jwt.filter((p) => p.mightAccept(token));
    if (candidates.length === 0) throw fail('no provider accepts this token (alg/iss)');
    let unavailable = false;
    let reason = '';
    for (const p of candidates) {
      try {
        return await p.authenticate(token);
      } catch (err) {
        if (err instanceof KeysUnavailable) unavailable = true;
        else if (err instanceof AuthFailure) reason = `${p.name}: ${err.reason}`;
        else throw err;
      }
    }
    // Some provider could not tell: the token may be good, so not 401.
    if (unavailable) throw new GatewayError('auth_unavailable', { headers: { 'retry-after': '5' } });
    throw fail(reason);
  }

  function verifyApiKey(place: ApiKeyPlace, key: string): Verified {
    for (const p of place.providers) {
      const result = p.authenticate(key);
      if (result !== null) return result;
    }
    throw fail('unknown API key', place.providers.map((p) => p.name).join(','));
  }

  return (next) =>
    async function auth(ctx: RequestContext): Promise<void> {
      if (hidden.length > 0) {
        // A copy per request: later plugins may add to it.
        if (ctx.hiddenRequestHeaders === null) ctx.hiddenRequestHeaders = new Set(hidden);
        else for (const h of hidden) ctx.hiddenRequestHeaders.add(h);
      }
      const found = findCredential(ctx);
      if (found === null) {
        if (optional) return next(ctx);
        throw new GatewayError('invalid_token', { headers: { 'www-authenticate': MISSING } });
      }
      const verified = found.kind === 'bearer' ? await verifyBearer(found.token) : verifyApiKey(found.place, found.key);
      const identity = verified.identity;
      if (requirement !== null && !isAuthorized(requirement, identity.roles, identity.scopes)) throw new GatewayError('insufficient_scope', { headers: { 'www-authenticate': insufficient } });
      ctx.identity = identity;
      if (verified.headers.length > 0) ctx.upstreamHeaders = ctx.upstreamHeaders === null ? verified.headers.slice() : [...ctx.upstreamHeaders, ...verified.headers];
      for (const name of stripQuery) ctx.query = withoutQueryParam(ctx.query, name);
      return next(ctx);
    };
}
