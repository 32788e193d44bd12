/**
 * undici failures → the gateway's answers (CONTRACT "Errors"): a timeout is 504, a refused,
 * reset or malformed upstream is 502. The original error stays in the log, never in the body.
 */
import { GatewayError } from '../errors.js';

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function upstreamFailure(err: unknown): GatewayError {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUTS.has(code)) return new GatewayError('gateway_timeout', { cause: err });
  return new GatewayError('bad_gateway', { cause: err });
}

/** The request was aborted because the client went away: nobody is left to answer. */
export function isAbort(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown } | null;
  return e?.code === 'UND_ERR_ABORTED' || e?.name === 'AbortError';
}
