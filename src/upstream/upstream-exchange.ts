/**
 * One request/response exchange with an upstream, as an undici dispatch handler: the response
 * head is written to the client as it arrives (filtered, plus the gateway's own headers) and the
 * body is streamed with backpressure (the upstream socket pauses while the client is slow).
 *
 * Why not `Pool.stream`: it needs an AbortSignal per request for client disconnects, and
 * AbortController/EventTarget cost ≈ 5 µs a request in a micro-benchmark, more under load
 * (see docs/benchmarks.md).
 * The dispatch controller gives the same abort without them.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../pipeline/context.js';
import { responseHeaders } from './hop-by-hop.js';
import type { CompiledUpstream } from './compiled-upstream.js';
import type { Target } from './target.js';

const noop = () => undefined;
/** Largest body of a held (retried) answer read to keep its connection; bytes. */
const HELD_BODY_LIMIT = 64 * 1024;

/** The client went away: the upstream request is aborted with this. */
export class ClientClosedError extends Error {
  readonly code = 'PORTCULLIS_CLIENT_CLOSED';
}

/** The upstream answered with a status the route retries: the answer was dropped, not forwarded. */
export class RetryableStatus extends Error {
  readonly code = 'PORTCULLIS_RETRYABLE_STATUS';
  constructor(readonly status: number) {
    super(`upstream answered ${status}`);
  }
}

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private onDrain: (() => void) | null = null;
  private readonly ctx: RequestContext;
  private resolve: () => void = noop;
  private reject: (err: Error) => void = noop;
  private readonly upstream: CompiledUpstream;
  private readonly target: Target;
  /** Statuses to drop and retry instead of forwarding (null on the last try or without retries). */
  private readonly holdStatuses: ReadonlySet<number> | null;
  /** The client left before we had a controller: abort as soon as we get one. */
  private abortPending = false;
  /** The response head arrived and its outcome went to the target's health. */
  reported = false;
  /** The answer is a status to retry: not forwarded (see onResponseStart). */
  private held: RetryableStatus | null = null;
  private heldBytes = 0;

  constructor(ctx: RequestContext, upstream: CompiledUpstream, target: Target, holdStatuses: ReadonlySet<number> | null) {
    this.ctx = ctx;
    this.upstream = upstream;
    this.target = target;
    this.holdStatuses = holdStatuses;
  }

  /** Dispatches the request through `pool`; settles when the answer was streamed or failed. */
  run(pool: Dispatcher, options: Dispatcher.DispatchOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      pool.dispatch(options, this);
    });
  }

  /** Called when the client response closes before it finished. */
  abort(): void {
    if (this.controller) this.controller.abort(new ClientClosedError());
    else this.abortPending = true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortPending) controller.abort(new ClientClosedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational: not forwarded
    // 5xx answers count against the target (circuit breaker, passive ejection); others for it.
    this.reported = true;
    this.upstream.report(this.target, statusCode >= 500);
    // Held only when the retry budget allows the retry now, so a held answer is always retried
    // (never replaced by a 502 when the budget ran out in the meantime).
    if (this.holdStatuses !== null && this.holdStatuses.has(statusCode) && this.upstream.withdrawRetry()) {
      // Dropped, not forwarded: its body is read and discarded so the connection stays reusable
      // (up to HELD_BODY_LIMIT; past it the exchange is aborted, closing the connection).
      this.held = new RetryableStatus(statusCode);
      return;
    }
    const ctx = this.ctx;
    ctx.upstreamSeconds = Number(process.hrtime.bigint() - ctx.start) / 1e9;
    ctx.res.writeHead(statusCode, responseHeaders(headers as Record<string, string | string[] | undefined>, ctx.responseHeaders, ctx.hiddenResponseHeaders));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.held !== null) {
      this.heldBytes += chunk.length;
      if (this.heldBytes > HELD_BODY_LIMIT) controller.abort(this.held);
      return;
    }
    const res = this.ctx.res;
    if (res.destroyed) {
      controller.abort(new ClientClosedError());
      return;
    }
    if (!res.write(chunk)) {
      controller.pause();
      this.onDrain ??= () => this.controller?.resume();
      res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    if (this.held !== null) {
      this.reject(this.held);
      return;
    }
    this.ctx.res.end();
    this.resolve();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.onDrain) this.ctx.res.off('drain', this.onDrain);
    // A held answer is retried whatever happens to its discarded body, unless the client left.
    this.reject(this.held !== null && !(error instanceof ClientClosedError) ? this.held : error);
  }
}
