/**
 * Per-request state, one object with a fixed shape. A request reads the runtime state once at
 * its start (`ctx.state`) and finishes on it, whatever reloads happen meanwhile.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RuntimeState, CompiledRoute } from '../config/runtime-state.js';

export type HeaderValue = string | string[];

/** A verified identity, set by the auth plugin; the only source of identity headers upstream. */
export interface Identity {
  /** The auth provider that verified it (a key of the top-level `auth`). */
  provider: string;
  subject: string | null;
  email: string | null;
  roles: readonly string[];
  scopes: readonly string[];
  /** The API-key consumer, or the subject for tokens. */
  consumer: string | null;
  /** Verified token claims (empty for API keys). */
  claims: Readonly<Record<string, unknown>>;
}

export class RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly state: RuntimeState;
  /** process.hrtime.bigint() at arrival, for durations. */
  readonly start: bigint;
  requestId = '';
  /** Normalised path (matched and forwarded) and raw query (with its `?`, or ''). */
  path = '/';
  query = '';
  /** Lower-case host without port, as used for matching. */
  host = '';
  /** The Host header (or absolute-form authority) as received, for X-Forwarded-Host. */
  rawHost = '';
  /** Address of the TCP peer, and the client address resolved through trustedProxies. */
  peerIp = '';
  clientIp = '';
  peerTrusted = false;
  route: CompiledRoute | null = null;
  params: Record<string, string> = {};
  /** Headers the gateway adds to whatever answer this request gets (X-Request-ID, CORS, …). */
  readonly responseHeaders: Record<string, HeaderValue> = {};
  /** The client sent `Expect: 100-continue`: answer it only once the route's checks passed. */
  expectContinue = false;
  /** Target chosen by the proxy (for the access log), e.g. `orders/127.0.0.1:8002`. */
  upstreamTarget: string | null = null;
  /** Largest request body accepted; the server limit, which a route's plugins may lower. */
  maxBodySize: number;
  /** Request body bytes received from the client. */
  bytesIn = 0;
  /** Error code the gateway answered with, if any (for logs). */
  errorCode: string | null = null;
  /** Set by auth once credentials are verified. */
  identity: Identity | null = null;
  /** Extra request headers for the upstream, [name, value, …], added after filtering. */
  upstreamHeaders: string[] | null = null;
  /** Lower-case request headers not to forward (e.g. credentials with hideCredentials). */
  hiddenRequestHeaders: Set<string> | null = null;
  /**
   * Lower-case upstream response headers not to return (e.g. Server, X-Powered-By). Read it;
   * add to it with hideResponseHeaders, which shares a route's set until a second one arrives.
   */
  hiddenResponseHeaders: ReadonlySet<string> | null = null;
  private hiddenIsShared = false;
  /** A request body a plugin already read (under a cap); forwarded instead of the stream. */
  requestBody: Buffer | null = null;
  /** A CORS preflight, routed by the method it announces. */
  preflight = false;
  /** Told when the client response closes before it finished (aborts the upstream call). */
  onClientClose: { abort(): void } | null = null;
  /** Seconds spent waiting for the upstream's response head. */
  upstreamSeconds = -1;

  /**
   * The client socket, kept from the start: when the response closes, `req.socket` may be null
   * (undici nulls it on a request body it streamed) and `res.socket` is detached.
   */
  readonly socket: Socket | null;
  /** socket.bytesWritten when this request arrived (keep-alive sockets carry several). */
  readonly bytesWrittenAtStart: number;

  /** Hides these upstream response headers; `names` is a route's compiled set and is never modified. */
  hideResponseHeaders(names: ReadonlySet<string>): void {
    const current = this.hiddenResponseHeaders;
    if (current === null) {
      this.hiddenResponseHeaders = names;
      this.hiddenIsShared = true;
      return;
    }
    const own = this.hiddenIsShared ? new Set(current) : (current as Set<string>);
    for (const name of names) own.add(name);
    this.hiddenResponseHeaders = own;
    this.hiddenIsShared = false;
  }

  constructor(req: IncomingMessage, res: ServerResponse, state: RuntimeState) {
    this.req = req;
    this.res = res;
    this.state = state;
    this.socket = req.socket ?? null;
    this.bytesWrittenAtStart = this.socket?.bytesWritten ?? 0;
    this.start = process.hrtime.bigint();
    this.maxBodySize = state.limits.maxBodySize;
  }
}
