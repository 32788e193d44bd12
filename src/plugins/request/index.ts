/**
 * `request`: what a request body may be on a route — an allow-list of media types (415), a
 * lower body size cap (413, enforced by the proxy while streaming), and a JSON Schema (400
 * `validation_failed` naming the failing path). Only routes with `jsonSchema` buffer the body;
 * the others keep streaming.
 *
 * Header values with CR, LF or NUL are not this plugin's concern: node's strict parser
 * (insecureHTTPParser off, src/server/http-server.ts) refuses them in headers and trailers on
 * every route before any handler runs (test/integration/hostile-input.test.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { ValidateFunction } from 'ajv';
import { resolveLimits } from '../../config/compile.js';
import { parseSize } from '../../config/units.js';
import { GatewayError } from '../../errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import { definePlugin, type Problem } from '../define-plugin.js';
import { checkJsonBody } from './check-json.js';
import { loadSchemaFile, resolveSchemaPath, SchemaFileError } from './json-schema.js';
import { isJsonMediaType, mediaRangeProblem, MediaTypeMatcher, parseMediaType, type MediaType } from './media-type.js';
import { readBody } from '../../pipeline/read-body.js';
import { RequestSchema } from './schema.js';

/** Methods whose request body has a meaning; on a jsonSchema route they must carry one. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Charsets a JSON body may declare (RFC 8259 §8.1: JSON is UTF-8; ASCII is a subset). */
const JSON_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

/**
 * The body's media type: null when absent or unparseable. Node keeps only the first of repeated
 * Content-Type headers while the proxy forwards them all, so two of them are refused outright.
 */
function contentTypeOf(req: IncomingMessage): MediaType | null {
  const raw = req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 12 && name.toLowerCase() === 'content-type') count++;
  }
  if (count > 1) throw new GatewayError('invalid_header', { message: 'The request has more than one Content-Type header.' });
  const value = req.headers['content-type'];
  return value === undefined ? null : parseMediaType(value);
}

function notJson(): GatewayError {
  return new GatewayError('unsupported_media_type', { message: 'The request body must be JSON in UTF-8 (application/json or a +json type), without Content-Encoding.' });
}

export const requestPlugin = definePlugin({
  name: 'request',
  configKey: 'request',
  priority: 800,
  schema: RequestSchema,

  validate(value, _route, config, context) {
    const problems: Problem[] = [];
    value.contentTypes?.forEach((entry, i) => {
      const problem = mediaRangeProblem(entry);
      if (problem) problems.push({ path: ['contentTypes', i], message: problem });
    });
    if (value.jsonSchema !== undefined && value.contentTypes !== undefined && problems.length === 0 && !new MediaTypeMatcher(value.contentTypes).acceptsJson) {
      problems.push({ path: ['contentTypes'], message: 'lists no JSON media type, so no body could be checked against jsonSchema' });
    }
    if (value.maxBodySize !== undefined) {
      const global = resolveLimits(config).maxBodySize;
      if (parseSize(value.maxBodySize) > global) {
        problems.push({ path: ['maxBodySize'], message: `is above limits.maxBodySize (${global} bytes), which still applies: a route can only lower it`, severity: 'warning' });
      }
    }
    if (value.jsonSchema !== undefined) {
      try {
        loadSchemaFile(resolveSchemaPath(context?.configDir ?? process.cwd(), value.jsonSchema));
      } catch (err) {
        if (!(err instanceof SchemaFileError)) throw err;
        problems.push({ path: ['jsonSchema'], message: err.message });
      }
    }
    return problems;
  },

  /** Compiled validators of this config, by absolute file: routes naming one file share it. */
  prepare(): Map<string, ValidateFunction> {
    return new Map();
  },

  create(value, _route, deps) {
    const matcher = value.contentTypes === undefined ? null : new MediaTypeMatcher(value.contentTypes);
    // The allow-list is the route's public contract: telling the client costs nothing.
    const refused = new GatewayError('unsupported_media_type', { message: `The request content type is not accepted; send one of: ${(value.contentTypes ?? []).join(', ')}.` });
    const cap = value.maxBodySize === undefined ? Number.POSITIVE_INFINITY : parseSize(value.maxBodySize);
    let validator: ValidateFunction | null = null;
    if (value.jsonSchema !== undefined) {
      const file = resolveSchemaPath(deps.configDir ?? process.cwd(), value.jsonSchema);
      validator = deps.shared.get(file) ?? null;
      if (validator === null) {
        // Validated moments ago; a file changed or removed since is a compile failure (the
        // running config keeps serving on reload).
        validator = loadSchemaFile(file);
        deps.shared.set(file, validator);
      }
    }
    const schema = validator;

    return (next) =>
      async function requestValidation(ctx: RequestContext): Promise<void> {
        if (cap < ctx.maxBodySize) ctx.maxBodySize = cap;
        const req = ctx.req;
        if (!hasBody(req)) {
          if (schema !== null && BODY_METHODS.has(req.method ?? '')) throw new GatewayError('validation_failed', { message: 'body: a JSON body is required' });
          return next(ctx);
        }
        const type = contentTypeOf(req);
        if (matcher !== null && (type === null || !matcher.matches(type))) throw refused;
        const declared = req.headers['content-length'];
        if (declared !== undefined && Number(declared) > ctx.maxBodySize) throw new GatewayError('payload_too_large');
        if (schema === null) return next(ctx);

        if (type === null || !isJsonMediaType(type)) throw notJson();
        const charset = type.params['charset'];
        if (charset !== undefined && !JSON_CHARSETS.has(charset.toLowerCase())) throw notJson();
        const encoding = req.headers['content-encoding'];
        if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') throw notJson();

        const body = await readBody(ctx, ctx.maxBodySize);
        if (body === null) {
          // The client left (or node's parser refused the rest and answered): nobody to answer.
          ctx.errorCode = 'client_closed';
          return;
        }
        const problem = checkJsonBody(body, schema);
        if (problem !== null) throw new GatewayError('validation_failed', { message: problem });
        ctx.requestBody = body;
        return next(ctx);
      };
  },
});
