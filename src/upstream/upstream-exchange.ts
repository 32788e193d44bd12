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

/** The client went away: the upstream request is aborted with this. */
export class ClientClosedError extends Error {
  readonly code = 'PORTCULLIS_CLIENT_CLOSED';
}

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private onDrain: (() => void) | null = null;
  private readonly ctx: RequestContext;
  private readonly resolve: () => void;
  private readonly reject: (err: Error) => void;
  /** The client left before we had a controller: abort as soon as we get one. */
  private abortPending = false;

  constructor(ctx: RequestContext, resolve: () => void, reject: (err: Error) => void) {
    this.ctx = ctx;
    this.resolve = resolve;
    this.reject = reject;
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

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational: not forwarded
    const ctx = this.ctx;
    ctx.upstreamSeconds = Number(process.hrtime.bigint() - ctx.start) / 1e9;
    ctx.res.writeHead(statusCode, responseHeaders(headers as Record<string, string | string[] | undefined>, ctx.responseHeaders, ctx.hiddenResponseHeaders));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
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
    this.ctx.res.end();
    this.resolve();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.onDrain) this.ctx.res.off('drain', this.onDrain);
    this.reject(error);
  }
}
