/**
 * Requests node's parser refuses (malformed request line or headers, CL+TE, obs-fold, oversized
 * head, slow head) never reach a route; they still get a JSON error from the catalogue, and the
 * connection is closed.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
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

export function createClientErrorListener(logger: Logger): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return function onClientError(err, socket) {
    const busy = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const gatewayError = new GatewayError(codeFor(err));
    const requestId = randomUUID();
    const body = errorBody(gatewayError, requestId);
    logger.debug({ requestId, code: err.code, status: gatewayError.status }, 'client error');
    socket.end(
      `HTTP/1.1 ${gatewayError.status} ${STATUS_CODES[gatewayError.status]}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-ID: ${requestId}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
