/**
 * A JWT provider: verifies bearer tokens with jose against one key source (an HMAC secret, a PEM
 * public key, or a JWKS fetched directly or through OIDC discovery), checks the registered
 * claims, and turns the payload into an Identity plus its upstream headers. Successes are cached
 * per token until `exp` (token-cache.ts), so the signature is paid once per token.
 *
 * Outcomes: a Verified value; AuthFailure (→ 401, its `reason` is for the log only); or
 * KeysUnavailable (→ 503: the JWKS was never fetched, so the token's worth is unknown).
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Logger } from 'pino';
import type { Identity } from '../../pipeline/context.js';
import type { Clock } from '../../util/clock.js';
import { listFromClaims } from './authorize.js';
import { identityHeaders, type HeaderMapping } from './identity-headers.js';
import { TokenCache } from './token-cache.js';

export interface Verified {
  identity: Identity;
  /** [name, value, …] for the upstream. */
  headers: readonly string[];
}

/** Credentials were presented and are not good. `reason` goes to the log, never to the client. */
export class AuthFailure extends Error {
  override name = 'AuthFailure';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The key source cannot say whether a token is good (no keys ever fetched): 503, not 401. */
export class KeysUnavailable extends Error {
  override name = 'KeysUnavailable';
}

export type JwtKey = { kind: 'static'; key: KeyObject } | { kind: 'remote'; getKey: JWTVerifyGetKey; close(): void; isUnavailable(err: unknown): boolean };

export interface JwtProviderOptions {
  name: string;
  algorithms: readonly string[];
  key: JwtKey;
  issuer?: string | undefined;
  audience?: string | readonly string[] | undefined;
  /** Tolerance on exp/nbf, seconds. */
  clockSkewSeconds: number;
  requiredClaims: readonly string[];
  /** Longest token accepted, characters. */
  maxTokenSize: number;
  roleClaims: readonly string[];
  scopeClaims: readonly string[];
  mapping: readonly HeaderMapping[];
  cacheEntries: number;
  clock: Clock;
  logger: Logger;
}

export function secretKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A log-friendly reason for a jose error. */
function failureReason(err: errors.JOSEError): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim}: ${err.reason}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key matches the token (unknown kid?)';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token';
  return err.code;
}

export class JwtProvider {
  readonly kind = 'jwt' as const;
  readonly name: string;
  private readonly options: JwtProviderOptions;
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly cache: TokenCache<Verified>;
  private readonly algorithms: ReadonlySet<string>;

  constructor(options: JwtProviderOptions) {
    this.name = options.name;
    this.options = options;
    this.algorithms = new Set(options.algorithms);
    this.cache = new TokenCache<Verified>(options.cacheEntries, options.clock);
    this.verifyOptions = {
      algorithms: [...options.algorithms],
      clockTolerance: options.clockSkewSeconds,
      ...(options.issuer !== undefined && { issuer: options.issuer }),
      ...(options.audience !== undefined && { audience: typeof options.audience === 'string' ? options.audience : [...options.audience] }),
      ...(options.requiredClaims.length > 0 && { requiredClaims: [...options.requiredClaims] }),
    };
  }

  /** Claim → upstream header mapping of this provider. */
  get mapping(): readonly HeaderMapping[] {
    return this.options.mapping;
  }

  /** Entries in the verified-token cache (for tests and the admin view). */
  get cacheSize(): number {
    return this.cache.size;
  }

  /**
   * Whether this provider could have issued the token, from its unverified header and payload
   * (alg in the allow-list, iss equal to `issuer` when set). Used only to pick among several
   * JWT providers on one route; verification decides.
   */
  mightAccept(token: string): boolean {
    try {
      const alg = decodeProtectedHeader(token).alg;
      if (alg === undefined || !this.algorithms.has(alg)) return false;
      return this.options.issuer === undefined || decodeJwt(token).iss === this.options.issuer;
    } catch {
      return false;
    }
  }

  async authenticate(token: string): Promise<Verified> {
    // The size cap comes before anything looks inside the token.
    if (token.length > this.options.maxTokenSize) throw new AuthFailure(`token longer than ${this.options.maxTokenSize} characters`);
    const cacheKey = this.cache.enabled ? TokenCache.keyOf(token) : '';
    if (this.cache.enabled) {
      const hit = this.cache.get(cacheKey);
      if (hit !== undefined) return hit;
    }
    const payload = await this.verify(token);
    const verified = this.toVerified(payload);
    if (this.cache.enabled) this.cache.set(cacheKey, verified, typeof payload.exp === 'number' ? payload.exp : undefined);
    return verified;
  }

  private async verify(token: string): Promise<JWTPayload> {
    const key = this.options.key;
    const options: JWTVerifyOptions = { ...this.verifyOptions, currentDate: new Date(this.options.clock.now()) };
    try {
      const result = key.kind === 'static' ? await jwtVerify(token, key.key, options) : await jwtVerify(token, key.getKey, options);
      return result.payload;
    } catch (err) {
      if (key.kind === 'remote' && key.isUnavailable(err)) throw new KeysUnavailable('verification keys unavailable');
      if (err instanceof errors.JOSEError) throw new AuthFailure(failureReason(err));
      // jose throws TypeError for some token/key mismatches; a token that trips it is still just bad.
      this.options.logger.warn({ provider: this.name, err }, 'unexpected error while verifying a token');
      throw new AuthFailure('unverifiable token');
    }
  }

  private toVerified(payload: JWTPayload): Verified {
    const claims = deepFreeze(payload as Record<string, unknown>);
    const subject = typeof payload.sub === 'string' ? payload.sub : null;
    const email = typeof claims['email'] === 'string' ? claims['email'] : null;
    const identity: Identity = Object.freeze({
      provider: this.name,
      subject,
      email,
      roles: Object.freeze(listFromClaims(claims, this.options.roleClaims, false)),
      scopes: Object.freeze(listFromClaims(claims, this.options.scopeClaims, true)),
      consumer: subject,
      claims,
    });
    return Object.freeze({ identity, headers: Object.freeze(identityHeaders(identity, this.options.mapping)) });
  }

  close(): void {
    if (this.options.key.kind === 'remote') this.options.key.close();
    this.cache.clear();
  }
}
