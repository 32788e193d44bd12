/**
 * `securityHeaders`, top level (defaults for every route) and per route (merged over them):
 * a map of response header → value, where `null` removes a header, plus `hideUpstream`, the
 * upstream response headers to drop.
 */
import { Type } from '@sinclair/typebox';

export const HIDE_UPSTREAM = 'hideUpstream';

const HeaderValue = Type.Union([Type.String(), Type.Null()], {
  description: 'A response header value, or null to remove that header from the defaults.',
  'x-message': 'must be a header value (a string), or null to remove the header',
});

export const SecurityHeadersSchema = Type.Object(
  {
    [HIDE_UPSTREAM]: Type.Optional(
      Type.Array(Type.String(), {
        uniqueItems: true,
        description: 'Upstream response headers removed before the answer reaches the client; replaces the inherited list. Default [Server, X-Powered-By]; [] keeps them.',
      }),
    ),
  },
  {
    additionalProperties: HeaderValue,
    description:
      'Response headers added to every answer (errors included), as `Header-Name: value`, merged over the built-in defaults ' +
      "(X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: no-referrer, Content-Security-Policy: default-src 'none'; frame-ancestors 'none', " +
      'Strict-Transport-Security: max-age=31536000; includeSubDomains — sent only for HTTPS requests); null removes one. ' +
      'Top level: defaults for all routes; per route: merged over the top level.',
  },
);

/** What the schema admits: header names to a value or null, and the `hideUpstream` list. */
export interface SecurityHeadersConfig {
  hideUpstream?: string[];
  [header: string]: string | null | string[] | undefined;
}
