/**
 * `auth`: top level, a map of named providers (JWT or API keys); per route, which providers to
 * accept and what roles/scopes the identity needs.
 *
 * A provider is one object with a `type` discriminator rather than a schema union: inside a union
 * every problem collapses into one "must be …" message, while here each wrong field is reported
 * at its own path. Fields of the other type are refused by `validateGlobal` (validate.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Size } from '../../config/schema-helpers.js';
import { HTTP_TOKEN_PATTERN as HEADER_NAME_PATTERN } from '../../util/http-syntax.js';

/** Every JWS algorithm accepted in `algorithms`; `none` is not one of them. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'] as const;
export const ALGORITHMS = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const PROVIDER_NAME_PATTERN = '^[A-Za-z0-9_.-]+$';

const HeaderName = (description: string) => Type.String({ pattern: HEADER_NAME_PATTERN, description, 'x-message': 'must be a header name' });

export const ProviderSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('jwt'), Type.Literal('apiKey')], { description: 'jwt: bearer tokens verified with a key; apiKey: static keys naming consumers.', 'x-message': 'must be jwt or apiKey' }),
    // --- jwt ---
    algorithms: Type.Optional(
      Type.Array(Type.Union(ALGORITHMS.map((a) => Type.Literal(a)), { 'x-message': `must be one of ${ALGORITHMS.join(', ')} (never none)` }), {
        minItems: 1,
        uniqueItems: true,
        description: 'jwt, required: the accepted `alg` values (the allow-list; `none` never). HMAC (HS*) needs `secret`; RS*, PS*, ES256/384 and EdDSA need `publicKey`, `jwksUri` or `issuer`.',
      }),
    ),
    secret: Type.Optional(Type.String({ minLength: 1, description: 'jwt: the shared HMAC secret (HS* algorithms only); use ${ENV_VAR}.' })),
    publicKey: Type.Optional(Type.String({ minLength: 1, description: 'jwt: a PEM public key (SPKI, `-----BEGIN PUBLIC KEY-----`) for RS*, PS*, ES* or EdDSA.' })),
    jwksUri: Type.Optional(Type.String({ minLength: 1, description: 'jwt: URL of a JWKS; keys cached and refreshed in the background.' })),
    issuer: Type.Optional(Type.String({ minLength: 1, description: 'jwt: required `iss` of tokens; alone (without secret, publicKey or jwksUri) its OIDC discovery document gives the JWKS.' })),
    audience: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
        description: 'jwt: accepted `aud` value(s); the token must name one of them.',
        'x-message': 'must be a string or a list of strings',
      }),
    ),
    clockSkew: Type.Optional(Duration('jwt: tolerance on exp and nbf. Default 30s.')),
    requiredClaims: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { uniqueItems: true, description: 'jwt: claims every token must carry (e.g. [sub, exp]).' })),
    maxTokenSize: Type.Optional(Size('jwt: longest token accepted, checked before any parsing (401 beyond). Default 8kb.')),
    rolesClaim: Type.Optional(Type.String({ minLength: 1, description: 'jwt: claim holding the roles, a dotted path such as `roles` or `realm_access.roles` (a string or a list). Default: `role`, then `roles`.' })),
    scopesClaim: Type.Optional(Type.String({ minLength: 1, description: 'jwt: claim holding the scopes, a dotted path (a space-separated string or a list). Default `scope`, then `scp`.' })),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Union([HeaderName('Upstream header name.'), Type.Null()]), {
        description:
          'jwt: claim → upstream header, merged over the defaults {sub: X-User-ID, email: X-User-Email, roles: X-User-Role}; `roles` and `scopes` mean the resolved lists (comma-joined); a dotted path reads a nested claim; null drops a default. X-Consumer always carries `sub`.',
      }),
    ),
    tokenCache: Type.Optional(
      Type.Object(
        { maxEntries: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Most verified tokens kept (oldest evicted first); 0 disables the cache. Default 10000.' })) },
        { additionalProperties: false, description: 'jwt: cache of verified tokens, so a signature is checked once per token; an entry never outlives the token’s exp (and at most 5 min).' },
      ),
    ),
    // --- apiKey ---
    header: Type.Optional(HeaderName('apiKey: request header carrying the key. Default X-API-Key.')),
    query: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.~-]+$', description: 'apiKey: query parameter that may carry the key instead of the header (keys in URLs end up in logs: prefer the header).', 'x-message': 'must be a query parameter name (letters, digits, _ . ~ -)' })),
    keys: Type.Optional(
      Type.Record(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:@-]+$' }), Type.String({ minLength: 1 }), {
        description: 'apiKey, required: consumer name → key, stored as `sha256:<64 hex>` (`printf %s KEY | sha256sum`); a plain key works but is reported as a warning.',
      }),
    ),
  },
  { additionalProperties: false, description: 'An auth provider, named by its key; routes list the providers they accept in `auth.use`.' },
);

export const AuthGlobalSchema = Type.Record(Type.String({ pattern: PROVIDER_NAME_PATTERN }), ProviderSchema, {
  description: 'Named auth providers (type jwt or apiKey) that routes refer to in `auth.use`.',
});

export const RouteAuthSchema = Type.Object(
  {
    use: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      uniqueItems: true,
      description: 'Providers (keys of the top-level `auth`) accepted on this route; the credentials present choose the provider, tried in this order.',
    }),
    roles: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true, description: 'Roles the identity must have (see `match`); 403 insufficient_scope otherwise.' })),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true, description: 'Scopes the identity must have (see `match`); 403 insufficient_scope otherwise.' })),
    match: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')], { description: 'any: one of the listed roles (and one of the scopes) suffices; all: every one is needed. Default any.', 'x-message': 'must be any or all' })),
    optional: Type.Optional(Type.Boolean({ description: 'Let requests without credentials through, without identity; bad credentials are still refused. Default false.' })),
    hideCredentials: Type.Optional(Type.Boolean({ description: 'Do not forward the Authorization header / API key (header and query parameter) to the upstream. Default false.' })),
  },
  { additionalProperties: false, description: 'Authentication and authorisation for this route.' },
);

export type ProviderConfig = Static<typeof ProviderSchema>;
export type AuthGlobalConfig = Static<typeof AuthGlobalSchema>;
export type RouteAuthConfig = Static<typeof RouteAuthSchema>;
