/**
 * Serve: for each request, read the runtime state once, check the request's shape, match a
 * route, run its pre-composed chain, and answer any failure from the error catalogue. Logging
 * and metrics happen once, when the response closes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RuntimeState } from '../config/runtime-state.js';
import { ERRORS, GatewayError, sendError, toGatewayError } from '../errors.js';
import { clientErrorOf } from './client-error.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { NO_ROUTE } from '../observability/metrics.js';
import type { AccessLog } from '../observability/access-log.js';
import { RequestContext } from '../pipeline/context.js';
import { PathError, splitTarget } from '../router/normalize-path.js';
import { unmapIPv4 } from '../util/cidr.js';
import { resolveClientIp } from './client-address.js';
import { countHeader } from '../util/http-syntax.js';

export interface ServeDeps {
  /** The current runtime state (read once per request). */
  current(): RuntimeState;
  logger: Logger;
  metrics: GatewayMetrics;
  accessLog: AccessLog;
  /** True once shutdown began: answers close their connections. */
  draining(): boolean;
}

/** A client-chosen X-Request-ID is kept only when it is short and plain. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** RFC 9110 §7.2 Host: uri-host [":" port] — an IP-literal or a reg-name (RFC 3986 §3.2.2). */
const VALID_HOST = /^(?:\[[0-9A-Za-z:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]*)(?::[0-9]*)?$/;

/** `Host` value → lower-case host without port (`[::1]:8080` → `::1`). */
export function hostWithoutPort(host: string): string {
  if (host.charCodeAt(0) === 0x5b) {
    const end = host.indexOf(']');
    return (end === -1 ? host : host.slice(1, end)).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}


async function handle(ctx: RequestContext, deps: ServeDeps): Promise<void> {
  const { req, state } = ctx;
  const incomingId = req.headers['x-request-id'];
  ctx.requestId = typeof incomingId === 'string' && VALID_REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  ctx.responseHeaders['x-request-id'] = ctx.requestId;
  ctx.peerIp = unmapIPv4(req.socket.remoteAddress ?? '');
  const resolved = resolveClientIp(ctx.peerIp, state.trusted, req.headers['x-forwarded-for']);
  ctx.clientIp = resolved.clientIp;
  ctx.peerTrusted = resolved.peerTrusted;
  if (deps.draining()) ctx.res.shouldKeepAlive = false;

  if (req.rawHeaders.length > state.limits.maxHeaders * 2) throw new GatewayError('headers_too_large');
  // llhttp takes a request line without a version as HTTP/0.9 and also accepts HTTP/2.0 text
  // framing; neither is a request this gateway serves (RFC 9112 §3, §2.3).
  if (req.httpVersionMajor !== 1) throw new GatewayError('bad_request', { message: 'The HTTP version is not supported.' });
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400.
  if (req.httpVersionMinor === 1 && req.headers.host === undefined) throw new GatewayError('bad_request', { message: 'The request has no Host header.' });
  if (countHeader(req.rawHeaders, 'host') > 1) throw new GatewayError('bad_request', { message: 'The request has more than one Host header.' });
  // RFC 9112 §3.2: a Host with an invalid value is answered 400 (it is forwarded as X-Forwarded-Host).
  if (req.headers.host !== undefined && !VALID_HOST.test(req.headers.host)) throw new GatewayError('bad_request', { message: 'The Host header is not valid.' });

  let target;
  try {
    target = splitTarget(req.url ?? '');
  } catch (err) {
    if (err instanceof PathError) throw new GatewayError('invalid_path');
    throw err;
  }
  ctx.path = target.path;
  ctx.query = target.query;
  if (target.authority !== null && !VALID_HOST.test(target.authority)) throw new GatewayError('invalid_path');
  ctx.rawHost = target.authority ?? req.headers.host ?? '';
  ctx.host = hostWithoutPort(ctx.rawHost);

  const method = req.method ?? 'GET';
  // A CORS preflight is routed by the method it announces, and answered by the route's
  // preflight chain (CORS) before any auth; a route without one sees a plain OPTIONS.
  const announced = method === 'OPTIONS' ? req.headers['access-control-request-method'] : undefined;
  if (announced !== undefined && req.headers.origin !== undefined) {
    const pre = state.table.lookup(announced.toUpperCase(), ctx.host, ctx.path, req.headers);
    if (pre.kind === 'found' && pre.route.preflight !== null) {
      ctx.route = pre.route;
      ctx.params = pre.params;
      ctx.preflight = true;
      return pre.route.preflight(ctx);
    }
  }
  const found = state.table.lookup(method, ctx.host, ctx.path, req.headers);
  if (found.kind === 'not_found') throw new GatewayError('not_found');
  if (found.kind === 'method_not_allowed') throw new GatewayError('method_not_allowed', { headers: { allow: found.allow.join(', ') } });
  ctx.route = found.route;
  ctx.params = found.params;
  await found.route.handler(ctx);
}

function fail(ctx: RequestContext, deps: ServeDeps, thrown: unknown): void {
  const err = toGatewayError(thrown);
  ctx.errorCode = err.code;
  if (err.status >= 500 && err.code === 'internal_error') {
    deps.logger.error({ err: err.cause ?? err, requestId: ctx.requestId, route: ctx.route?.name }, 'request failed inside the gateway');
  } else if (err.status >= 502 && err.cause !== undefined) {
    deps.logger.warn({ requestId: ctx.requestId, route: ctx.route?.name, upstream: ctx.upstreamTarget, code: err.code, cause: String((err.cause as Error).message ?? err.cause) }, 'upstream failure');
  }
  // An unread request body is not worth draining for an error: close the connection instead.
  if (!ctx.req.complete) ctx.res.shouldKeepAlive = false;
  if (ctx.route === null && ctx.state.unrouted !== null) {
    try {
      ctx.state.unrouted(ctx);
    } catch (err) {
      deps.logger.error({ err, requestId: ctx.requestId }, 'a plugin failed to decorate an unrouted answer');
    }
  }
  sendError(ctx.res, err, ctx.requestId || randomUUID(), ctx.responseHeaders);
}

function finish(ctx: RequestContext, deps: ServeDeps): void {
  const { res, req, state } = ctx;
  if (ctx.onClientClose !== null && !res.writableFinished) ctx.onClientClose.abort();
  state.leave();
  deps.metrics.requestEnded();
  const seconds = Number(process.hrtime.bigint() - ctx.start) / 1e9;
  // 499 (as nginx logs it): the client left before an answer was sent — unless node's own
  // timeout or parser answered on the socket (client-error.ts).
  let status = res.headersSent ? res.statusCode : 499;
  if (!res.headersSent) {
    const answered = clientErrorOf(res);
    if (answered !== undefined) {
      status = ERRORS[answered].status;
      ctx.errorCode = answered;
    }
  }
  const route = ctx.route?.name ?? NO_ROUTE;
  deps.metrics.observeRequest(route, req.method ?? 'GET', status, seconds);
  if (ctx.errorCode === 'rate_limited') deps.metrics.observeRateLimited(route);
  if (ctx.upstreamSeconds >= 0 && ctx.route) deps.metrics.observeUpstream(ctx.route.upstream.name, ctx.upstreamSeconds);
  if (state.log.access) {
    const socket = ctx.socket;
    deps.accessLog.write({
      requestId: ctx.requestId,
      method: req.method ?? '',
      path: ctx.path,
      route: ctx.route?.name ?? null,
      status,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      upstream: ctx.upstreamTarget,
      bytesIn: ctx.bytesIn,
      bytesOut: socket ? socket.bytesWritten - ctx.bytesWrittenAtStart : 0,
      clientIp: ctx.clientIp,
      error: ctx.errorCode,
    });
  }
}

/** The node:http 'request' (and 'checkContinue') listener. */
export function createRequestListener(deps: ServeDeps, expectContinue = false): (req: IncomingMessage, res: ServerResponse) => void {
  return function onRequest(req, res) {
    const state = deps.current();
    state.enter();
    deps.metrics.requestStarted();
    const ctx = new RequestContext(req, res, state);
    ctx.expectContinue = expectContinue;
    res.once('close', () => finish(ctx, deps));
    handle(ctx, deps).catch((err: unknown) => fail(ctx, deps, err));
  };
}
