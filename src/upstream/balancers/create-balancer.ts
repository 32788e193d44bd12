/** The balancer names a config may use, and the one place that maps a name to a balancer. */
import type { Balancer, Loaded, Named, RandomSource } from './balancer.js';
import { ConsistentHash } from './consistent-hash.js';
import { LeastRequest } from './least-request.js';
import { RandomBalancer } from './random.js';
import { RoundRobin } from './round-robin.js';
import { WeightedRoundRobin } from './weighted.js';

export const BALANCER_NAMES = ['round-robin', 'weighted', 'random', 'least-request', 'consistent-hash'] as const;
export type BalancerName = (typeof BALANCER_NAMES)[number];

/** A new balancer of that kind; consistent-hash builds its ring over `targets` now (compile time). */
export function createBalancer<T extends Loaded & Named>(name: BalancerName, targets: readonly T[], random: RandomSource = Math.random): Balancer<T> {
  switch (name) {
    case 'round-robin':
      return new RoundRobin<T>();
    case 'weighted':
      return new WeightedRoundRobin<T>();
    case 'random':
      return new RandomBalancer<T>(random);
    case 'least-request':
      return new LeastRequest<T>(random);
    case 'consistent-hash':
      return new ConsistentHash<T>(targets);
  }
}
