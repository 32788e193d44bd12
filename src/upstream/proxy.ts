/**
 * The terminal handler: forwards the request to one target of the route's upstream and streams
 * the answer back, both ways with backpressure (see upstream-exchange.ts). Made once per route at
 * compile time.
 */
import type { Dispatcher } from 'undici';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import type { Handler } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import { connectionTokens, filterRequestHeaders } from './hop-by-hop.js';
import { forwardPath, type PathPlan } from './forward-path.js';
import { isAbort, upstreamFailure } from './upstream-errors.js';
import { ClientClosedError, UpstreamExchange } from './upstream-exchange.js';
import type { CompiledUpstream } from './compiled-upstream.js';

export interface ProxyPlan {
  upstream: CompiledUpstream;
  path: PathPlan;
  preserveHost: boolean;
}

/** Thrown inside the body stream when the client sends more than the limit. */
class BodyTooLarge extends Error {
  readonly code = 'PORTCULLIS_BODY_TOO_LARGE';
}

/** Streams a body of unknown length (chunked), counting bytes; fails past `max`. */
async function* limitedBody(req: IncomingMessage, max: number, ctx: RequestContext): AsyncGenerator<Buffer> {
  for await (const chunk of req as AsyncIterable<Buffer>) {
    ctx.bytesIn += chunk.length;
    if (ctx.bytesIn > max) throw new BodyTooLarge();
    yield chunk;
  }
}

export function createProxyHandler(plan: ProxyPlan): Handler {
  const { upstream, preserveHost } = plan;
  const pathPlan = plan.path;

  return async function proxy(ctx: RequestContext): Promise<void> {
    const target = upstream.pick(ctx);
    if (target === undefined) throw new GatewayError('no_healthy_upstream');
    ctx.upstreamTarget = target.id;
    const req = ctx.req;
    const res = ctx.res;
    const incoming = req.headers;

    const headers: string[] = [];
    const buffered = ctx.requestBody;
    // A buffered body is re-framed by undici (Content-Length of what is sent), never the client's.
    const hidden = buffered === null ? ctx.hiddenRequestHeaders : new Set([...(ctx.hiddenRequestHeaders ?? []), 'content-length']);
    filterRequestHeaders(req.rawHeaders, connectionTokens(incoming.connection), headers, hidden);
    const xff = incoming['x-forwarded-for'];
    const xfp = incoming['x-forwarded-proto'];
    const xfh = incoming['x-forwarded-host'];
    headers.push(
      'host', preserveHost ? ctx.rawHost : target.hostHeader,
      'x-request-id', ctx.requestId,
      'x-forwarded-for', ctx.peerTrusted && xff !== undefined ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${ctx.peerIp}` : ctx.peerIp,
      'x-forwarded-proto', ctx.peerTrusted && typeof xfp === 'string' ? xfp : 'http',
      'x-forwarded-host', ctx.peerTrusted && typeof xfh === 'string' ? xfh : ctx.rawHost,
    );
    if (ctx.upstreamHeaders !== null) headers.push(...ctx.upstreamHeaders);

    let body: IncomingMessage | AsyncGenerator<Buffer> | Buffer | null = null;
    const declared = incoming['content-length'];
    if (buffered !== null) {
      body = buffered;
    } else if (incoming['transfer-encoding'] !== undefined) {
      if (ctx.expectContinue) res.writeContinue();
      body = limitedBody(req, ctx.maxBodySize, ctx);
    } else if (declared !== undefined && declared !== '0') {
      const length = Number(declared);
      if (length > ctx.maxBodySize) throw new GatewayError('payload_too_large');
      if (ctx.expectContinue) res.writeContinue();
      ctx.bytesIn = length;
      body = req;
    }

    const dispatch: Dispatcher.DispatchOptions = {
      method: req.method as Dispatcher.HttpMethod,
      path: forwardPath(pathPlan, target.basePath, ctx.path, ctx.query),
      headers,
      // undici streams async iterables too (its typings list only Readable).
      body: body as Dispatcher.DispatchOptions['body'],
      headersTimeout: upstream.responseTimeoutMs,
      bodyTimeout: upstream.responseTimeoutMs,
    };
    if (res.destroyed) {
      // The client left while earlier stages ran: nobody to answer, nothing to send upstream.
      ctx.errorCode = 'client_closed';
      return;
    }
    // In flight from dispatch until the exchange settles (end, upstream error, timeout or client
    // abort all settle it, and a throwing dispatch rejects it): one decrement in `finally`.
    target.load.inflight++;
    try {
      await new Promise<void>((resolve, reject) => {
        const exchange = new UpstreamExchange(ctx, resolve, reject);
        ctx.onClientClose = exchange;
        target.pool.dispatch(dispatch, exchange);
      });
    } catch (err) {
      if (err instanceof BodyTooLarge || (err as { cause?: unknown }).cause instanceof BodyTooLarge) {
        res.shouldKeepAlive = false;
        throw new GatewayError('payload_too_large');
      }
      if (err instanceof ClientClosedError || isAbort(err) || res.destroyed) {
        ctx.errorCode = 'client_closed';
        res.destroy();
        return;
      }
      throw upstreamFailure(err);
    } finally {
      target.load.inflight--;
      ctx.onClientClose = null;
    }
  };
}
