/**
 * Reads a whole request body under a cap, for validation or to keep it for a retry; the proxy then forwards the bytes read
 * (ctx.requestBody) with their own Content-Length.
 *
 * Events, not `for await`: leaving an async iterator early destroys the request, and with it the
 * socket, so the 413 could not be written. Past the cap the request is left paused; node discards
 * the rest after the answer and closes the connection (fail() turns keep-alive off).
 */
import { GatewayError } from '../errors.js';
import type { RequestContext } from './context.js';

/** The bytes, or null when the client went away before sending them all (nothing to answer). */
export function readBody(ctx: RequestContext, max: number): Promise<Buffer | null> {
  const { req } = ctx;
  const declared = req.headers['content-length'];
  const length = declared === undefined ? -1 : Number(declared);
  if (length > max) return Promise.reject(new GatewayError('payload_too_large'));
  if (ctx.expectContinue) {
    ctx.res.writeContinue();
    ctx.expectContinue = false;
  }
  return new Promise((resolve, reject) => {
    // Known length: one allocation; chunked: chunks joined at the end.
    const whole = length >= 0 ? Buffer.allocUnsafe(length) : null;
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    function onData(chunk: Buffer) {
      received += chunk.length;
      ctx.bytesIn = received;
      if (received > max || (whole !== null && received > whole.length)) {
        cleanup();
        req.pause();
        reject(new GatewayError('payload_too_large'));
        return;
      }
      if (whole !== null) chunk.copy(whole, received - chunk.length);
      else chunks.push(chunk);
    }
    function onEnd() {
      cleanup();
      resolve(whole !== null ? whole.subarray(0, received) : Buffer.concat(chunks, received));
    }
    function onGone() {
      // 'close' before 'end', or a parser/socket error: node already answered or the client left.
      cleanup();
      resolve(null);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}
