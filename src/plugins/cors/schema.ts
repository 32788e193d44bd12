/**
 * `cors` config: the same object at the top level (the default for every route) and per route,
 * where `false` turns the default off. A route's object replaces the default as a whole.
 */
import { Type, type Static } from '@sinclair/typebox';
import { METHODS } from '../../config/schema.js';
import { DURATION_PATTERN } from '../../config/units.js';
import { HTTP_TOKEN_PATTERN as HEADER_NAME_PATTERN } from '../../util/http-syntax.js';

/** RFC 9110 §5.1 field-name (a token); `*` is a token too, checked semantically. */
const HeaderName = Type.String({ pattern: HEADER_NAME_PATTERN, 'x-message': 'must be a header name' });

export const CorsSchema = Type.Object(
  {
    origins: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description:
        'Allowed origins: exact (`https://app.example.com`, scheme and port included), subdomain patterns (`https://*.example.com`: one or more labels, never example.com itself), or `*` alone (any origin, answered `*`; not with credentials). `null` is never allowed.',
    }),
    methods: Type.Optional(
      Type.Array(Type.Union([...METHODS.map((m) => Type.Literal(m)), Type.Literal('*')], { 'x-message': `must be one of ${METHODS.join(', ')} (or *)` }), {
        minItems: 1,
        uniqueItems: true,
        description: "Methods a preflight allows (Access-Control-Allow-Methods). Default: the route's match.methods, else GET, HEAD, POST, PUT, PATCH, DELETE. `*` only without credentials.",
      }),
    ),
    headers: Type.Optional(
      Type.Array(HeaderName, {
        uniqueItems: true,
        description: 'Request headers a preflight allows (Access-Control-Allow-Headers); only these, whatever the browser asks. Default none (CORS-safelisted headers only). `*` only without credentials, and it never covers Authorization.',
      }),
    ),
    exposeHeaders: Type.Optional(
      Type.Array(HeaderName, {
        uniqueItems: true,
        description: 'Response headers the page may read beyond the safelisted ones (Access-Control-Expose-Headers), e.g. X-Request-ID. Default none. `*` only without credentials.',
      }),
    ),
    credentials: Type.Optional(Type.Boolean({ description: 'Allow cookies and HTTP auth (Access-Control-Allow-Credentials: true); the exact origin is echoed, never `*`. Default false.' })),
    maxAge: Type.Optional(
      Type.String({
        pattern: DURATION_PATTERN,
        description: 'How long a browser may cache a preflight answer (Access-Control-Max-Age, whole seconds; browsers cap it, Chromium at 2h). Default: not sent (browsers use 5s).',
        'x-message': 'must be a duration such as 30s, 10m or 1h',
      }),
    ),
  },
  { additionalProperties: false, description: 'Cross-origin resource sharing: which browser origins may call the route.' },
);

export const CorsRouteSchema = Type.Union([Type.Literal(false), CorsSchema], {
  description: 'CORS for this route, replacing the top-level `cors` default as a whole; `false` turns CORS off here.',
  'x-message': 'must be false or { origins: [...], methods?, headers?, exposeHeaders?, credentials?, maxAge? } (see docs/plugins/cors.md)',
});

export const CorsGlobalSchema = Type.Object(CorsSchema.properties, {
  additionalProperties: false,
  description: 'Default CORS policy for every route without its own `cors` (a route sets `cors: false` to opt out).',
});

export type CorsConfig = Static<typeof CorsSchema>;
export type CorsRouteConfig = Static<typeof CorsRouteSchema>;
