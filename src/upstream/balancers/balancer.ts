/** A balancer picks one of an upstream's targets. Pure: no HTTP types, state is its own. */
export interface Weighted {
  readonly weight: number;
}

export interface Balancer<T extends Weighted> {
  pick(targets: readonly T[]): T | undefined;
}
