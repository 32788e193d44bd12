import { Type, type Static } from '@sinclair/typebox';
import { HTTP_TOKEN_PATTERN } from '../../util/http-syntax.js';

/** Largest fallback body (bytes): it is held in memory per route and sent as is. */
export const MAX_FALLBACK_BODY = 64 * 1024;

export const FallbackSchema = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, description: 'Status of the fallback answer. Default 200.' })),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: HTTP_TOKEN_PATTERN }), Type.String(), {
        description: 'Headers of the fallback answer, e.g. Content-Type (default application/json).',
        'x-message': 'must map header names to string values',
      }),
    ),
    body: Type.Optional(Type.String({ maxLength: MAX_FALLBACK_BODY, description: "Body of the fallback answer, sent as is (at most 64 KiB). Default ''." })),
  },
  {
    additionalProperties: false,
    description: "A canned answer served when the route's upstream cannot take the request: its circuit is open or no target is healthy (instead of 503).",
  },
);

export type FallbackConfig = Static<typeof FallbackSchema>;
