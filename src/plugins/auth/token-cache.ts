/**
 * Verified tokens → what verifying them produced (identity, upstream headers), so a signature
 * (an RSA or EC verify costs tens of µs) is checked once per token rather than once per request.
 * Bounded: at most `maxEntries`, the least recently used evicted first (a Map keeps insertion
 * order; a hit re-inserts). An entry never outlives the token's `exp`, nor `maxAgeMs` (so a key
 * removed from a JWKS soon stops admitting its tokens). Keys are SHA-256 digests of tokens:
 * small, whatever the token size. Only successes are cached: a client cannot fill the cache
 * with garbage.
 */
import { createHash } from 'node:crypto';

/** Tokens up to this many characters are their own cache key. */
const RAW_KEY_MAX = 2048;
import type { Clock } from '../../util/clock.js';

/** Default cap on entries. */
export const DEFAULT_TOKEN_CACHE_ENTRIES = 10_000;
/** Longest an entry lives, whatever its exp: 5 min. */
export const TOKEN_CACHE_MAX_AGE_MS = 5 * 60_000;

interface Entry<T> {
  value: T;
  /** Clock ms after which the entry is gone. */
  expiresAt: number;
}

export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly maxEntries: number,
    private readonly clock: Clock,
    private readonly maxAgeMs = TOKEN_CACHE_MAX_AGE_MS,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get enabled(): boolean {
    return this.maxEntries > 0;
  }

  /**
   * The cache key of a token: the token itself up to RAW_KEY_MAX characters (as Envoy's JWT cache
   * does; the hash showed as ≈ 4 % of the gateway's CPU in an HS256 profile), its sha256 above that, so
   * a full cache holds at most maxEntries × 2 KB of keys. A JWT always contains `.`, a base64
   * digest never does, so the two kinds cannot collide.
   */
  static keyOf(token: string): string {
    return token.length <= RAW_KEY_MAX ? token : createHash('sha256').update(token).digest('base64');
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used goes last; eviction takes the first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** `exp` in seconds since the epoch (the claim), or undefined when the token has none. */
  set(key: string, value: T, exp: number | undefined): void {
    if (this.maxEntries <= 0) return;
    const now = this.clock.now();
    const expiresAt = Math.min(now + this.maxAgeMs, exp === undefined ? Infinity : exp * 1000);
    if (!(expiresAt > now)) return;
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt });
  }

  clear(): void {
    this.entries.clear();
  }
}
