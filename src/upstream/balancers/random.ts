import type { Balancer, RandomSource, Weighted } from './balancer.js';

/**
 * Weight-proportional random choice: a target of weight 2 is picked twice as often as one of
 * weight 1 (uniform when all weights are equal, the default). Stateless apart from the
 * cumulative weights, cached per targets array.
 */
export class RandomBalancer<T extends Weighted> implements Balancer<T> {
  private cumulative: number[] = [];
  private lastTargets: readonly T[] | null = null;
  private readonly random: RandomSource;

  constructor(random: RandomSource = Math.random) {
    this.random = random;
  }

  pick(targets: readonly T[]): T | undefined {
    if (targets.length <= 1) return targets[0];
    if (targets !== this.lastTargets) {
      let sum = 0;
      this.cumulative = targets.map((t) => (sum += t.weight));
      this.lastTargets = targets;
    }
    const cumulative = this.cumulative;
    const point = this.random() * cumulative[cumulative.length - 1]!;
    // First index whose cumulative weight exceeds the point (binary search: weights up to 1000 targets).
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > point) hi = mid;
      else lo = mid + 1;
    }
    return targets[lo];
  }
}
