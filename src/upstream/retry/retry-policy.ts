/**
 * A route's retry policy, compiled from its upstream's `retries` with the route's own merged
 * over it, and the classification of a failed try. What is retried:
 *  - only methods in `methods` (default the idempotent ones; an upstream may list only those,
 *    a route may opt other methods in);
 *  - only before the response head reached the client (afterwards the answer has begun);
 *  - only with a body that can be sent again: none, or one read under `bufferBody`.
 */
import { IDEMPOTENT_METHODS } from '../../config/upstream-schema.js';
import type { RetriesConfig } from '../../config/schema.js';
import { parseDuration, parseSize } from '../../config/units.js';

export interface RetryPolicy {
  /** Retries after the first try. */
  readonly attempts: number;
  readonly methods: ReadonlySet<string>;
  readonly onConnectError: boolean;
  readonly onReset: boolean;
  readonly onTimeout: boolean;
  /** Upstream answers retried instead of returned. */
  readonly statuses: ReadonlySet<number> | null;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly bufferBody: number;
}

export const RETRY_DEFAULTS = {
  attempts: 2,
  on: ['connect-error', 'reset', 502, 503] as const,
  backoff: '25ms',
  maxBackoff: '250ms',
  budget: 0.2,
  minRetriesPerSecond: 10,
  bufferBody: '64kb',
  /** The budget's window (Finagle's RetryBudget ttl). */
  budgetWindowMs: 10_000,
} as const;

/** The route's policy, or null when it does not retry. */
export function compileRetryPolicy(upstream: RetriesConfig | undefined, route: false | RetriesConfig | undefined): RetryPolicy | null {
  if (route === false || (upstream === undefined && route === undefined)) return null;
  const c: RetriesConfig = { ...upstream, ...route };
  const attempts = c.attempts ?? RETRY_DEFAULTS.attempts;
  if (attempts === 0) return null;
  const on: readonly (string | number)[] = c.on ?? RETRY_DEFAULTS.on;
  const statuses = on.filter((x): x is number => typeof x === 'number');
  return Object.freeze({
    attempts,
    methods: new Set<string>(c.methods ?? IDEMPOTENT_METHODS),
    onConnectError: on.includes('connect-error'),
    onReset: on.includes('reset'),
    onTimeout: on.includes('timeout'),
    statuses: statuses.length === 0 ? null : new Set(statuses),
    backoffMs: parseDuration(c.backoff ?? RETRY_DEFAULTS.backoff),
    maxBackoffMs: parseDuration(c.maxBackoff ?? RETRY_DEFAULTS.maxBackoff),
    bufferBody: parseSize(c.bufferBody ?? RETRY_DEFAULTS.bufferBody),
  });
}

/** No connection could be made: the request never reached the target. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT']);
/** The connection broke before the response head: the target may or may not have acted. */
const RESET_ERRORS = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

export type TryFailure = 'connect-error' | 'reset' | 'timeout' | 'other';

export function classifyFailure(err: unknown): TryFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'other';
  if (CONNECT_ERRORS.has(code)) return 'connect-error';
  if (RESET_ERRORS.has(code)) return 'reset';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'timeout';
  return 'other';
}

/** Whether this policy retries that failure. */
export function retriesOn(policy: RetryPolicy, failure: TryFailure): boolean {
  switch (failure) {
    case 'connect-error':
      return policy.onConnectError;
    case 'reset':
      return policy.onReset;
    case 'timeout':
      return policy.onTimeout;
    default:
      return false;
  }
}
