/**
 * The one error catalogue. Every response the gateway itself produces is rendered from here,
 * so codes and statuses stay stable (tests assert on `code`, never on message text).
 * Messages are fixed strings: no exception text, stack or upstream address ever reaches a client.
 */
import type { ServerResponse } from 'node:http';

export const ERRORS = {
  bad_request: { status: 400, message: 'The request is malformed.' },
  invalid_path: { status: 400, message: 'The request path is not acceptable.' },
  invalid_header: { status: 400, message: 'A request header value is not acceptable.' },
  validation_failed: { status: 400, message: 'The request body does not match the expected schema.' },
  unauthorized: { status: 401, message: 'Authentication is required.' },
  invalid_token: { status: 401, message: 'The credentials are missing or invalid.' },
  forbidden: { status: 403, message: 'Access to this resource is forbidden.' },
  insufficient_scope: { status: 403, message: 'The credentials lack the required role or scope.' },
  not_found: { status: 404, message: 'No route matches this request.' },
  method_not_allowed: { status: 405, message: 'The method is not allowed on this route.' },
  request_timeout: { status: 408, message: 'The request was not received in time.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request content type is not accepted.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  headers_too_large: { status: 431, message: 'The request headers are too large or too many.' },
  internal_error: { status: 500, message: 'The gateway failed to handle the request.' },
  bad_gateway: { status: 502, message: 'The upstream service failed to answer.' },
  service_unavailable: { status: 503, message: 'The service is unavailable.' },
  no_healthy_upstream: { status: 503, message: 'No healthy upstream target is available.' },
  circuit_open: { status: 503, message: 'The upstream is temporarily unavailable.' },
  auth_unavailable: { status: 503, message: 'The identity provider is unavailable.' },
  shutting_down: { status: 503, message: 'The gateway is shutting down.' },
  gateway_timeout: { status: 504, message: 'The upstream service did not answer in time.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** A failure the gateway answers itself. `headers` are added to the error response (Allow, Retry-After, …). */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string> | undefined;
  readonly publicMessage: string;

  constructor(code: ErrorCode, options: { message?: string; headers?: Record<string, string>; cause?: unknown } = {}) {
    const entry = ERRORS[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = entry.status;
    this.headers = options.headers;
    this.publicMessage = options.message ?? entry.message;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** Any thrown value becomes a GatewayError; unknown ones are internal errors (their text stays in the log). */
export function toGatewayError(err: unknown): GatewayError {
  return isGatewayError(err) ? err : new GatewayError('internal_error', { cause: err });
}

/**
 * Default Retry-After for statuses that RFC 9110 / CONTRACT ask it for, when the thrower gave none.
 * Seconds, as a string.
 */
const DEFAULT_RETRY_AFTER: Partial<Record<number, string>> = { 429: '1', 503: '5' };

/** The JSON body of CONTRACT: {"error": {status, code, message, requestId}}. */
export function errorBody(err: GatewayError, requestId: string): string {
  return JSON.stringify({ error: { status: err.status, code: err.code, message: err.publicMessage, requestId } });
}

/**
 * Writes `err` as the response. `extraHeaders` are the gateway's own response headers
 * (X-Request-ID, CORS, security headers) which every answer carries. If the response has
 * already started, the connection is destroyed instead: a clean-looking partial body would lie.
 */
export function sendError(
  res: ServerResponse,
  err: GatewayError,
  requestId: string,
  extraHeaders?: Record<string, string | string[]>,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(err, requestId);
  const headers: Record<string, string | string[]> = { ...extraHeaders };
  if (err.headers) Object.assign(headers, err.headers);
  const retryAfter = DEFAULT_RETRY_AFTER[err.status];
  if (retryAfter !== undefined && headers['retry-after'] === undefined && headers['Retry-After'] === undefined) {
    headers['retry-after'] = retryAfter;
  }
  if (err.status === 401 && headers['www-authenticate'] === undefined && headers['WWW-Authenticate'] === undefined) {
    headers['www-authenticate'] = 'Bearer realm="portcullis"';
  }
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(body));
  headers['cache-control'] = 'no-store';
  res.writeHead(err.status, headers);
  res.end(body);
}
