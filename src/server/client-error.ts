/**
 * Requests node's parser refuses (malformed request line or headers, CL+TE, obs-fold, oversized
 * head, slow head, CONNECT) never reach a route; they still get a JSON error from the catalogue, and the
 * connection is closed.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { errorBody, GatewayError, type ErrorCode } from '../errors.js';

function codeFor(err: NodeJS.ErrnoException): ErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'headers_too_large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'request_timeout';
    default:
      return 'bad_request';
  }
}

/** Errors answered on the socket for a response the handler was still working on. */
const CLIENT_ERRORS = new WeakMap<ServerResponse, ErrorCode>();

/** The error code node's parser or timeouts answered for this response instead of the handler, if any. */
export function clientErrorOf(res: ServerResponse): ErrorCode | undefined {
  return CLIENT_ERRORS.get(res);
}

/** Writes a catalogue error straight onto the socket and closes it (no ServerResponse exists). */
function endWithError(socket: Duplex, code: ErrorCode, logger: Logger, cause: string | undefined): void {
  const gatewayError = new GatewayError(code);
  const requestId = randomUUID();
  const body = errorBody(gatewayError, requestId);
  logger.debug({ requestId, code: cause, status: gatewayError.status }, 'client error');
  socket.end(
    `HTTP/1.1 ${gatewayError.status} ${STATUS_CODES[gatewayError.status]}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-ID: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createClientErrorListener(logger: Logger): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return function onClientError(err, socket) {
    const current = (socket as Duplex & { _httpMessage?: ServerResponse & { headersSent?: boolean } })._httpMessage;
    const busy = current?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const code = codeFor(err);
    // A request already being handled (a body too slow for requestTimeout) is logged with this answer.
    if (current) CLIENT_ERRORS.set(current, code);
    endWithError(socket, code, logger, err.code);
  };
}

/**
 * The gateway is not a forward proxy: a CONNECT (authority-form target) is refused like any other
 * target it cannot route, as JSON, instead of node's default of dropping the socket unanswered.
 */
export function createConnectListener(logger: Logger): (req: IncomingMessage, socket: Duplex) => void {
  return function onConnect(_req, socket) {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    endWithError(socket, 'invalid_path', logger, 'CONNECT');
  };
}
