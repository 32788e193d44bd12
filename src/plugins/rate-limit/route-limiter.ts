/**
 * A route's compiled limits: algorithm, bounded key store and key extractor per limit, plus the
 * precomputed `RateLimit-Policy` value. `check` decides one request against all limits: each is
 * brought up to `now`, and only if every one has room is each charged (a request refused by one
 * limit costs nothing in the others). No HTTP types: the caller writes the headers.
 *
 * Headers follow draft-ietf-httpapi-ratelimit-headers (-08 onwards, structured fields):
 *   RateLimit-Policy: "100/1m";q=100;w=60;burst=10, "1000/1h";q=1000;w=3600
 *   RateLimit: "100/1m";r=42;t=12
 * `burst` is our extension parameter (the draft lets recipients ignore unknown ones). RateLimit
 * names the most restrictive policy (fewest remaining); `t` is the seconds until it admits a
 * request again when `r=0`, else until its allowance is whole again.
 */
import { parseDuration } from '../../config/units.js';
import type { RateAlgorithm } from './algorithm.js';
import { BoundedMap } from './bounded-map.js';
import { keyExtractor, parseKeySpec, type KeySource } from './rate-key.js';
import { DEFAULT_MAX_KEYS, type LimitConfig } from './schema.js';
import { SlidingWindow } from './sliding-window.js';
import { TokenBucket } from './token-bucket.js';

interface CompiledLimit {
  name: string;
  algorithm: RateAlgorithm<object>;
  store: BoundedMap<object>;
  key: (source: KeySource) => string;
}

export interface Verdict {
  allowed: boolean;
  /** Whole seconds until a refused client may retry (at least 1); 0 when allowed. */
  retryAfter: number;
  /** The `RateLimit` header value. */
  rateLimit: string;
}

/** Seconds for headers: whole, rounded up. */
const seconds = (ms: number) => Math.ceil(ms / 1000 - 1e-9);

export class RouteLimiter {
  readonly policy: string;
  private readonly limits: CompiledLimit[];
  /** Scratch per check (single-threaded, synchronous): available count per limit. */
  private readonly states: object[];
  private readonly available: number[];

  /**
   * `configs` were validated (key specs parse). `names`: the policy names to report, one per
   * config (the cluster fallback passes the names of the full limits it stands in for); default
   * `limit/window`, numbered `#2`… when repeated.
   */
  constructor(configs: readonly LimitConfig[], names?: readonly string[]) {
    const seen = new Set<string>();
    this.limits = configs.map((c, index) => {
      const windowMs = parseDuration(c.window);
      const burst = c.burst ?? 0;
      const parts = parseKeySpec(c.key ?? 'ip');
      if (typeof parts === 'string') throw new Error(`invalid rate-limit key: ${parts}`);
      let name = names?.[index] ?? `${c.limit}/${c.window}`;
      if (names === undefined) for (let i = 2; seen.has(name); i++) name = `${c.limit}/${c.window}#${i}`;
      seen.add(name);
      const algorithm: RateAlgorithm<object> =
        (c.algorithm ?? 'token-bucket') === 'sliding-window' ? (new SlidingWindow({ limit: c.limit, windowMs }) as never) : (new TokenBucket({ limit: c.limit, windowMs, burst }) as never);
      return { name, algorithm, store: new BoundedMap<object>(c.maxKeys ?? DEFAULT_MAX_KEYS), key: keyExtractor(parts) };
    });
    this.policy = configs
      .map((c, i) => {
        const w = Math.max(1, seconds(parseDuration(c.window)));
        return `"${this.limits[i]!.name}";q=${c.limit};w=${w}${c.burst ? `;burst=${c.burst}` : ''}`;
      })
      .join(', ');
    this.states = new Array<object>(this.limits.length);
    this.available = new Array<number>(this.limits.length).fill(0);
  }

  check(source: KeySource, now: number): Verdict {
    const { limits, states, available } = this;
    let allowed = true;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i]!;
      const key = limit.key(source);
      let state = limit.store.get(key);
      if (state === undefined) {
        state = limit.algorithm.create(now);
        limit.store.set(key, state);
      } else limit.algorithm.refresh(state, now);
      states[i] = state;
      available[i] = limit.algorithm.available(state);
      if (available[i]! < 1) allowed = false;
    }
    if (allowed) for (let i = 0; i < limits.length; i++) limits[i]!.algorithm.consume(states[i]!);

    // The most restrictive policy: fewest remaining, then the longest wait.
    let pick = 0;
    let pickRemaining = Infinity;
    let pickReset = 0;
    let retryAfterMs = 0;
    for (let i = 0; i < limits.length; i++) {
      const { algorithm } = limits[i]!;
      const remaining = allowed ? available[i]! - 1 : available[i]!;
      const wait = algorithm.retryAfterMs(states[i]!);
      const reset = remaining === 0 ? wait : algorithm.resetMs(states[i]!);
      if (!allowed && available[i]! < 1) retryAfterMs = Math.max(retryAfterMs, wait);
      if (remaining < pickRemaining || (remaining === pickRemaining && reset > pickReset)) {
        pick = i;
        pickRemaining = remaining;
        pickReset = reset;
      }
      states[i] = undefined as never; // do not keep evicted states alive through the scratch array
    }
    return {
      allowed,
      retryAfter: allowed ? 0 : Math.max(1, seconds(retryAfterMs)),
      rateLimit: `"${limits[pick]!.name}";r=${pickRemaining};t=${seconds(pickReset)}`,
    };
  }
}
