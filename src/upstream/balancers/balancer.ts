/** A balancer picks one of an upstream's targets. Pure: no HTTP types, state is its own. */
export interface Weighted {
  readonly weight: number;
}

/** A target whose requests in flight are counted (by the proxy: +1 at dispatch, -1 when the exchange ends). */
export interface Loaded extends Weighted {
  readonly load: { inflight: number };
}

/** A target with a stable name, placed on a hash ring by it. */
export interface Named extends Weighted {
  readonly id: string;
}

export interface Balancer<T extends Weighted> {
  /**
   * `key` is the request's hash key, given only to balancers that say `usesKey` (consistent
   * hash); the others ignore it.
   */
  pick(targets: readonly T[], key?: string): T | undefined;
  readonly usesKey?: boolean;
}

/** A source of uniform numbers in [0, 1), as Math.random; injected so tests are deterministic. */
export type RandomSource = () => number;
