import type { Balancer, Weighted } from './balancer.js';

/** Each target in turn, ignoring weights. */
export class RoundRobin<T extends Weighted> implements Balancer<T> {
  private next = 0;

  pick(targets: readonly T[]): T | undefined {
    if (targets.length === 0) return undefined;
    if (this.next >= targets.length) this.next = 0;
    return targets[this.next++];
  }
}
