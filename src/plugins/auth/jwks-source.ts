/**
 * Verification keys from a JWKS URL, or from an issuer through OIDC discovery, kept in memory and
 * refreshed in the background (what Envoy's jwt_authn remote_jwks and Kong's openid-connect do).
 *
 * - The first fetch starts at creation; compile never waits for it. A request that arrives while
 *   it is in flight waits for it (bounded by `timeoutMs`) instead of failing.
 * - Refreshed every `refreshIntervalMs` (default 5 min) on an unref'd timer; after a failure,
 *   retried with backoff (1 s doubling, at most 30 s or the refresh interval).
 * - A token whose `kid` is unknown triggers at most one refetch per cooldown (default 30 s, on
 *   the injected clock); concurrent misses share one fetch. Never more than one fetch at a time.
 * - While the IdP is down the last good keys keep working (one warning per outage). If no keys
 *   were ever fetched, `getKey` throws JwksUnavailableError (the auth plugin answers 503).
 * - Bounded: response size (256 KiB), keys kept (64), one fetch in flight, 2 sockets.
 *   Only public keys usable for signatures are kept (`use` absent or `sig`, no `oct`, no private).
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import type { Clock } from '../../util/clock.js';
import { checkFetchUrl, discoverJwksUri, fetchJson, IdpFetchError, type FetchJsonOptions } from './oidc-discovery.js';

const DEFAULT_REFRESH_INTERVAL_MS = 5 * 60_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_UNKNOWN_KID_COOLDOWN_MS = 30_000;
const DEFAULT_MAX_BYTES = 256 * 1024;
const DEFAULT_MAX_KEYS = 64;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** A `kid` longer than this is not kept (and cannot be in a sane JWKS). */
const MAX_KID_LENGTH = 256;

/** No keys were ever fetched: the IdP has not answered yet. Not the token's fault (503, not 401). */
export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

export interface JwksSource {
  getKey: JWTVerifyGetKey;
  /** Stops the refresh timer, aborts a fetch in flight and closes the sockets. Keys stay usable. */
  close(): void;
}

export interface JwksSourceOptions {
  /** The JWKS URL; or leave it out and give `issuer`. */
  jwksUri?: string;
  /** Discovered through `<issuer>/.well-known/openid-configuration` when `jwksUri` is absent. */
  issuer?: string;
  /** Background refresh period, ms (default 5 min). */
  refreshIntervalMs?: number;
  /** Deadline of one whole fetch, ms (default 5 s). */
  timeoutMs?: number;
  /** Least time between two refetches caused by unknown `kid`s, ms (default 30 s). */
  unknownKidCooldownMs?: number;
  /** First background retry after a failed fetch, ms (default 1 s; doubles up to 30 s). */
  retryBaseMs?: number;
  /** Response body cap, bytes (default 256 KiB). */
  maxBytes?: number;
  /** Keys kept from one JWKS (default 64); the rest are dropped with a warning. */
  maxKeys?: number;
  logger: Logger;
  clock: Clock;
}

interface ParsedJwks {
  jwks: JSONWebKeySet;
  kids: Set<string>;
  dropped: number;
}

/** The signature-verification keys of a JWKS document, at most `maxKeys`. Throws IdpFetchError. */
export function parseJwks(doc: Record<string, unknown>, maxKeys: number): ParsedJwks {
  if (!Array.isArray(doc.keys)) throw new IdpFetchError('JWKS has no "keys" array');
  const keys: JWK[] = [];
  const kids = new Set<string>();
  let dropped = 0;
  for (const candidate of doc.keys as unknown[]) {
    if (!isVerificationKey(candidate)) continue;
    if (keys.length >= maxKeys) {
      dropped++;
      continue;
    }
    keys.push(candidate);
    if (typeof candidate.kid === 'string') kids.add(candidate.kid);
  }
  if (keys.length === 0) throw new IdpFetchError('JWKS holds no usable signature key');
  return { jwks: { keys }, kids, dropped };
}

function isVerificationKey(value: unknown): value is JWK {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const key = value as Record<string, unknown>;
  if (typeof key.kty !== 'string' || key.kty === 'oct') return false; // symmetric keys never come from a JWKS
  if ('d' in key) return false; // a private key published by mistake is not used
  if (key.use !== undefined && key.use !== 'sig') return false;
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) return false;
  if (key.kid !== undefined && (typeof key.kid !== 'string' || key.kid.length > MAX_KID_LENGTH)) return false;
  return true;
}

export function createJwksSource(options: JwksSourceOptions): JwksSource {
  const { logger, clock, issuer } = options;
  if (options.jwksUri === undefined && issuer === undefined) throw new Error('createJwksSource needs jwksUri or issuer');
  const configuredUrl = options.jwksUri === undefined ? undefined : checkFetchUrl(options.jwksUri, 'jwksUri');
  if (issuer !== undefined) checkFetchUrl(issuer, 'issuer');
  const refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cooldownMs = options.unknownKidCooldownMs ?? DEFAULT_UNKNOWN_KID_COOLDOWN_MS;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const retryMaxMs = Math.min(RETRY_MAX_MS, refreshIntervalMs);
  const retryBaseMs = options.retryBaseMs ?? RETRY_BASE_MS;
  const source = configuredUrl ? redact(configuredUrl) : `${issuer} (discovery)`;
  const log = logger.child({ jwks: source });

  const agent = new Agent({ connections: 2, connect: { timeout: timeoutMs }, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 10_000 });
  const lifetime = new AbortController();
  const fetchOptions: FetchJsonOptions = { dispatcher: agent, timeoutMs, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES, signal: lifetime.signal, accept: 'application/jwk-set+json, application/json' };

  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let kids = new Set<string>();
  let jwksUrl = configuredUrl;
  let inflight: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let inOutage = false;
  let warnedDropped = false;
  let lastOnDemandAt = -Infinity;
  let closed = false;

  function schedule(delayMs: number): void {
    if (timer) clearTimeout(timer);
    if (closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void refresh();
    }, delayMs);
    timer.unref();
  }

  /** One fetch at a time; callers during a fetch share it. Never rejects. */
  function refresh(): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    inflight ??= fetchKeys().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function fetchKeys(): Promise<boolean> {
    try {
      jwksUrl ??= await discoverJwksUri(issuer!, fetchOptions);
      const parsed = parseJwks(await fetchJson(jwksUrl, fetchOptions), maxKeys);
      const local = createLocalJWKSet(parsed.jwks);
      if (closed) return false;
      keys = local;
      kids = parsed.kids;
      failures = 0;
      if (inOutage) log.info({ keys: parsed.jwks.keys.length }, 'JWKS fetched again; identity provider reachable');
      inOutage = false;
      if (parsed.dropped > 0 && !warnedDropped) {
        warnedDropped = true;
        log.warn({ kept: maxKeys, dropped: parsed.dropped }, 'JWKS holds more keys than the cap; the rest are ignored');
      }
      schedule(refreshIntervalMs);
      return true;
    } catch (err) {
      if (closed) return false;
      // A discovered jwks_uri is looked up again next time: the IdP may have moved it.
      if (configuredUrl === undefined) jwksUrl = undefined;
      failures++;
      if (!inOutage) {
        inOutage = true;
        const reason = err instanceof IdpFetchError ? err.message : 'unexpected error';
        if (keys) log.warn({ reason, keptKeys: kids.size }, 'JWKS refresh failed; keeping the last good keys');
        else log.warn({ reason }, 'JWKS fetch failed; tokens are refused with 503 until keys are fetched');
      }
      schedule(Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures - 1, 10)));
      return false;
    }
  }

  /** True at most once per cooldown: the budget of fetches that requests may cause. */
  function takeOnDemandFetch(): boolean {
    const now = clock.now();
    if (now - lastOnDemandAt < cooldownMs) return false;
    lastOnDemandAt = now;
    return true;
  }

  /** Waits for the fetch in flight, or starts one if the cooldown allows; false if neither. */
  async function fetchForRequest(): Promise<boolean> {
    if (inflight) {
      await inflight;
      return true;
    }
    if (!takeOnDemandFetch()) return false;
    await refresh();
    return true;
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!keys) {
      await fetchForRequest();
      if (!keys) throw new JwksUnavailableError('no JWKS keys have been fetched yet');
    }
    try {
      return await keys(header, token);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
      // A known kid that does not fit (alg/kty) will not be fixed by a refetch.
      if (typeof header.kid === 'string' && kids.has(header.kid)) throw err;
      if (!(await fetchForRequest())) throw err;
      return keys(header, token);
    }
  };

  void refresh();

  return {
    getKey,
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      lifetime.abort();
      agent.destroy().catch(() => undefined);
    },
  };
}

/** Origin and path only: a query string may hold a token. */
function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
