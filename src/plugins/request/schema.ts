/** `request` config (per route): what a request body may be. */
import { Type, type Static } from '@sinclair/typebox';
import { Size } from '../../config/schema-helpers.js';

export const RequestSchema = Type.Object(
  {
    contentTypes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'Media types a request body may have (415 otherwise, also when Content-Type is missing): `type/subtype`, `type/*`, or `type/*+suffix` such as `application/*+json`. Case-insensitive; parameters (`; charset=utf-8`) are ignored. Requests without a body pass. Default any type, or JSON types only when jsonSchema is set.',
      }),
    ),
    maxBodySize: Type.Optional(
      Size('Largest request body on this route (413 beyond, from Content-Length or counted while streaming). Only lowers limits.maxBodySize, never raises it. Default limits.maxBodySize.'),
    ),
    jsonSchema: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'JSON Schema file (draft-07, 2019-09 or 2020-12) that JSON bodies must match (400 validation_failed naming the failing path); relative to the config file\'s directory. Read and compiled at load; edit it, then reload. Bodies are read whole under maxBodySize and forwarded byte for byte.',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    'x-message': 'must be an object setting contentTypes, maxBodySize or jsonSchema',
    description: 'Request validation: content-type allow-list (415), body size (413), JSON Schema (400).',
  },
);

export type RequestConfig = Static<typeof RequestSchema>;
