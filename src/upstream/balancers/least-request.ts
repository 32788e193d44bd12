import type { Balancer, Loaded, RandomSource } from './balancer.js';

/**
 * Least request by the power of two choices (Mitzenmacher; as Envoy's LEAST_REQUEST): two
 * distinct targets drawn uniformly at random, the one with fewer requests in flight wins; on a
 * tie the lower weight-adjusted load ((inflight + 1) / weight, so the heavier target), then the
 * first drawn. O(1) per pick and no herd onto a single "least loaded" target. The busiest
 * target can never win while another exists, as one of the two draws is always another target.
 */
export class LeastRequest<T extends Loaded> implements Balancer<T> {
  private readonly random: RandomSource;

  constructor(random: RandomSource = Math.random) {
    this.random = random;
  }

  pick(targets: readonly T[]): T | undefined {
    const n = targets.length;
    if (n <= 1) return targets[0];
    const i = Math.floor(this.random() * n) % n;
    // A second index distinct from the first: draw among the n - 1 others.
    let j = Math.floor(this.random() * (n - 1)) % (n - 1);
    if (j >= i) j++;
    const a = targets[i]!;
    const b = targets[j]!;
    const la = a.load.inflight;
    const lb = b.load.inflight;
    if (la !== lb) return la < lb ? a : b;
    return (lb + 1) / b.weight < (la + 1) / a.weight ? b : a;
  }
}
