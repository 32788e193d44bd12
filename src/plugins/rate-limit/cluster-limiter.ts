/**
 * A route's `scope: cluster` limits: one Redis script call decides all of them (see
 * cluster-script.ts); the reply is turned into the same Verdict and headers as the local
 * RouteLimiter. While the store is unreachable or slow, each limit's `onStoreError` applies:
 *  - `deny` (any limit): the request is refused with 503 service_unavailable;
 *  - `local` (the default): the limit is counted in this process, at its full size or at its
 *    `localShare` (see local-share.ts; at full size N processes admit up to N× it until Redis
 *    is back — an outage loosens a limit rather than refuses traffic);
 *  - `allow`: the limit is not checked.
 * No HTTP types here: the plugin writes headers and errors.
 */
import { parseDuration } from '../../config/units.js';
import type { ClusterStore } from './cluster-store.js';
import { KEY_PREFIX } from './cluster-store.js';
import { localFallbackLimit } from './local-share.js';
import { keyExtractor, parseKeySpec, type KeySource } from './rate-key.js';
import { RouteLimiter, type Verdict } from './route-limiter.js';
import type { LimitConfig } from './schema.js';

/** The verdict while the store is down and some limit says `deny`. */
export const STORE_DOWN = 'store-down' as const;

const seconds = (ms: number) => Math.ceil(ms / 1000 - 1e-9);

export class ClusterLimiter {
  private readonly names: string[];
  private readonly prefixes: string[];
  private readonly keys: ((source: KeySource) => string)[];
  private readonly args: number[];
  private readonly deny: boolean;
  /** The `onStoreError: local` limits, counted here while the store is down; null when none. */
  private readonly fallback: RouteLimiter | null;

  /** `configs` were validated (all scope cluster, key specs parse); `names` as in the policy header. */
  constructor(
    route: string,
    configs: readonly LimitConfig[],
    readonly policy: string,
    private readonly store: ClusterStore,
  ) {
    this.names = [];
    for (const c of configs) {
      let name = `${c.limit}/${c.window}`;
      for (let i = 2; this.names.includes(name); i++) name = `${c.limit}/${c.window}#${i}`;
      this.names.push(name);
    }
    this.prefixes = configs.map((_c, i) => `${KEY_PREFIX}${route}:${i}:`);
    this.keys = configs.map((c) => {
      const parts = parseKeySpec(c.key ?? 'ip');
      if (typeof parts === 'string') throw new Error(`invalid rate-limit key: ${parts}`);
      return keyExtractor(parts);
    });
    this.args = configs.flatMap((c) => [(c.algorithm ?? 'token-bucket') === 'sliding-window' ? 2 : 1, c.limit, parseDuration(c.window), c.burst ?? 0]);
    this.deny = configs.some((c) => c.onStoreError === 'deny');
    const local = configs.map((c, i) => ({ c, i })).filter(({ c }) => (c.onStoreError ?? 'local') === 'local');
    // Sized by localShare, but named as in the policy header (the full `limit/window`).
    this.fallback =
      local.length > 0
        ? new RouteLimiter(
            local.map(({ c }) => localFallbackLimit(c)),
            local.map(({ i }) => this.names[i]!),
          )
        : null;
  }

  /** `now` (ms, injected clock) is used only by the local fallback; Redis keeps its own time. */
  async check(source: KeySource, now: number): Promise<Verdict | typeof STORE_DOWN | null> {
    const keys = this.keys.map((key, i) => this.prefixes[i]! + key(source));
    const reply = await this.store.decide(keys, this.args);
    if (reply === undefined) {
      if (this.deny) return STORE_DOWN;
      return this.fallback === null ? null : this.fallback.check(source, now);
    }
    return verdictFrom(reply, this.names);
  }
}

/** The script's reply as a Verdict: RateLimit names the most restrictive policy, as locally. */
export function verdictFrom(reply: readonly number[], names: readonly string[]): Verdict {
  const allowed = reply[0] === 1;
  let pick = 0;
  let pickRemaining = Infinity;
  let pickReset = 0;
  let retryAfterMs = 0;
  for (let i = 0; i < names.length; i++) {
    const available = Number(reply[1 + i * 3]);
    const wait = Number(reply[2 + i * 3]);
    const remaining = allowed ? available - 1 : available;
    const reset = remaining === 0 ? wait : Number(reply[3 + i * 3]);
    if (!allowed && available < 1) retryAfterMs = Math.max(retryAfterMs, wait);
    if (remaining < pickRemaining || (remaining === pickRemaining && reset > pickReset)) {
      pick = i;
      pickRemaining = remaining;
      pickReset = reset;
    }
  }
  return {
    allowed,
    retryAfter: allowed ? 0 : Math.max(1, seconds(retryAfterMs)),
    rateLimit: `"${names[pick]!}";r=${pickRemaining};t=${seconds(pickReset)}`,
  };
}
