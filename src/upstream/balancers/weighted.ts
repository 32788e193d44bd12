import type { Balancer, Weighted } from './balancer.js';

/**
 * Smooth weighted round-robin (as nginx does it): over any window of sum(weights) picks each
 * target gets exactly its weight, spread out rather than in bursts.
 */
export class WeightedRoundRobin<T extends Weighted> implements Balancer<T> {
  private current: number[] = [];
  private lastTargets: readonly T[] | null = null;

  pick(targets: readonly T[]): T | undefined {
    if (targets.length === 0) return undefined;
    if (targets !== this.lastTargets) {
      this.current = targets.map(() => 0);
      this.lastTargets = targets;
    }
    let total = 0;
    let best = 0;
    for (let i = 0; i < targets.length; i++) {
      const w = targets[i]!.weight;
      this.current[i]! += w;
      total += w;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= total;
    return targets[best];
  }
}
