/**
 * The terminal handler: forwards the request to a target of the route's upstream and streams
 * the answer back, both ways with backpressure (see upstream-exchange.ts), retrying on another
 * target when the route's retry policy allows (see retry/retry-policy.ts). Made once per route at
 * compile time.
 */
import type { Dispatcher } from 'undici';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import type { Handler } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import { readBody } from '../pipeline/read-body.js';
import { backoffDelay } from './retry/backoff.js';
import { connectionTokens, filterRequestHeaders } from './hop-by-hop.js';
import { forwardPath, type PathPlan } from './forward-path.js';
import { classifyFailure, retriesOn, type RetryPolicy } from './retry/retry-policy.js';
import { isAbort, upstreamFailure } from './upstream-errors.js';
import { ClientClosedError, RetryableStatus, UpstreamExchange } from './upstream-exchange.js';
import type { CompiledUpstream } from './compiled-upstream.js';
import type { Target } from './target.js';

export interface ProxyPlan {
  upstream: CompiledUpstream;
  path: PathPlan;
  preserveHost: boolean;
  /** Null when the route does not retry. */
  retry: RetryPolicy | null;
  /** Told about each retry (for the metric), with the upstream's name. */
  onRetry?: (upstream: string) => void;
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

/** Request headers not forwarded with a buffered body (undici frames what it sends). */
const BUFFERED_BODY_HIDDEN: ReadonlySet<string> = new Set(['content-length']);

type Body = IncomingMessage | AsyncGenerator<Buffer> | Buffer | null;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createProxyHandler(plan: ProxyPlan): Handler {
  const { upstream, preserveHost } = plan;
  const pathPlan = plan.path;
  const policy = plan.retry;
  const onRetry = plan.onRetry;

  return async function proxy(ctx: RequestContext): Promise<void> {
    const req = ctx.req;
    const res = ctx.res;
    const incoming = req.headers;
    let retry = policy !== null && policy.methods.has(req.method!) ? policy : null;
    const headers: string[] = [];
    let buffered = ctx.requestBody;
    const declared = incoming['content-length'];
    const chunked = incoming['transfer-encoding'] !== undefined;
    if (!chunked && declared !== undefined && Number(declared) > ctx.maxBodySize) throw new GatewayError('payload_too_large');
    // Picked before anything is read or `100 Continue` is sent, so a refused request never uploads
    // its body; a half-open circuit's trial slot is taken here (released if the client leaves).
    let target = upstream.pick(ctx);
    if (retry !== null && buffered === null && (chunked || (declared !== undefined && declared !== '0'))) {
      // A retry must send the body again: read it now when its declared length is small enough;
      // a larger or chunked body is streamed and this request is not retried.
      if (!chunked && Number(declared) <= retry.bufferBody) {
        try {
          buffered = await readBody(ctx, Math.min(retry.bufferBody, ctx.maxBodySize));
        } catch (err) {
          upstream.release(target);
          throw err;
        }
        if (buffered === null) {
          upstream.release(target);
          ctx.errorCode = 'client_closed';
          return;
        }
        ctx.requestBody = buffered;
      } else {
        retry = null;
      }
    }
    // A buffered body is re-framed by undici (Content-Length of what is sent), never the client's.
    // (Transfer-Encoding is hop-by-hop: never forwarded anyway.)
    const hidden = buffered === null ? ctx.hiddenRequestHeaders : ctx.hiddenRequestHeaders === null ? BUFFERED_BODY_HIDDEN : new Set([...ctx.hiddenRequestHeaders, 'content-length']);
    filterRequestHeaders(req.rawHeaders, connectionTokens(incoming.connection), headers, hidden);
    const xff = incoming['x-forwarded-for'];
    const xfp = incoming['x-forwarded-proto'];
    const xfh = incoming['x-forwarded-host'];
    headers.push(
      'x-request-id', ctx.requestId,
      'x-forwarded-for', ctx.peerTrusted && xff !== undefined ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${ctx.peerIp}` : ctx.peerIp,
      'x-forwarded-proto', ctx.peerTrusted && typeof xfp === 'string' ? xfp : 'http',
      'x-forwarded-host', ctx.peerTrusted && typeof xfh === 'string' ? xfh : ctx.rawHost,
    );
    if (ctx.upstreamHeaders !== null) headers.push(...ctx.upstreamHeaders);
    const common = headers.length;

    let body: Body = null;
    if (buffered !== null) {
      body = buffered;
    } else if (chunked) {
      if (ctx.expectContinue) res.writeContinue();
      body = limitedBody(req, ctx.maxBodySize, ctx);
    } else if (declared !== undefined && declared !== '0') {
      if (ctx.expectContinue) res.writeContinue();
      ctx.bytesIn = Number(declared);
      body = req;
    }
    if (retry !== null) upstream.budget?.onRequest(upstream.clock.now());

    let tried: Target[] | null = null;
    for (let attempt = 0; ; attempt++) {
      ctx.upstreamTarget = target.id;
      // A fresh array on retries: the previous try's belongs to undici.
      const tryHeaders = attempt === 0 ? headers : headers.slice(0, common);
      tryHeaders.push('host', preserveHost ? ctx.rawHost : target.hostHeader);
      const dispatch: Dispatcher.DispatchOptions = {
        method: req.method as Dispatcher.HttpMethod,
        path: forwardPath(pathPlan, target.basePath, ctx.path, ctx.query),
        headers: tryHeaders,
        // undici streams async iterables too (its typings list only Readable).
        body: body as Dispatcher.DispatchOptions['body'],
        headersTimeout: upstream.responseTimeoutMs,
        bodyTimeout: upstream.responseTimeoutMs,
      };
      if (res.destroyed) {
        // The client left while earlier stages ran: nobody to answer, nothing to send upstream.
        upstream.release(target);
        ctx.errorCode = 'client_closed';
        return;
      }
      const mayRetry = retry !== null && attempt < retry.attempts && (upstream.budget === null || upstream.budget.canRetry(upstream.clock.now()));
      // In flight from dispatch until the exchange settles (end, upstream error, timeout or client
      // abort all settle it, and a throwing dispatch rejects it).
      target.load.inflight++;
      const exchange = new UpstreamExchange(ctx, upstream, target, mayRetry ? retry!.statuses : null);
      ctx.onClientClose = exchange;
      try {
        await exchange.run(target.pool, dispatch);
        return;
      } catch (err) {
        // Connect errors, resets and timeouts count against the target, as 5xx answers do; a try the client abandoned counts neither way.
        if (!exchange.reported) {
          if (err instanceof ClientClosedError || isAbort(err) || err instanceof BodyTooLarge || (err as { cause?: unknown }).cause instanceof BodyTooLarge) upstream.release(target);
          else upstream.report(target, true);
        }
        if (err instanceof BodyTooLarge || (err as { cause?: unknown }).cause instanceof BodyTooLarge) {
          res.shouldKeepAlive = false;
          throw new GatewayError('payload_too_large');
        }
        if (err instanceof ClientClosedError || isAbort(err) || res.destroyed) {
          ctx.errorCode = 'client_closed';
          res.destroy();
          return;
        }
        // A held status already took its retry from the budget (see UpstreamExchange); other failures take it now.
        const again = err instanceof RetryableStatus || (mayRetry && !res.headersSent && retriesOn(retry!, classifyFailure(err)) && upstream.withdrawRetry());
        if (!again) throw upstreamFailure(err);
        (tried ??= []).push(target);
      } finally {
        target.load.inflight--;
        ctx.onClientClose = null;
      }
      onRetry?.(upstream.name);
      await sleep(backoffDelay(attempt + 1, retry!.backoffMs, retry!.maxBackoffMs));
      target = upstream.pick(ctx, tried);
    }
  };
}
