import type { Balancer, Named } from './balancer.js';
import { hash32 } from './hash.js';

/** Points on the ring per unit of (gcd-reduced) weight: enough for a spread within a few percent. */
export const POINTS_PER_WEIGHT = 160;
/** Bound on the ring (1.3 MB): past it every target's share of points is scaled down alike. */
export const MAX_POINTS = 160_000;

interface Ring {
  /** Sorted point hashes. */
  readonly points: Uint32Array;
  /** Index into the targets array of each point's owner. */
  readonly owners: Uint32Array;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Ketama-style consistent hashing: each target owns POINTS_PER_WEIGHT × weight points on a
 * 32-bit ring (weights divided by their gcd, so `[2, 2]` costs what `[1, 1]` does; at most MAX_POINTS
 * in all), placed by
 * hashing `<id>#<n>`; a key goes to the owner of the first point at or after its hash. Because
 * points depend only on a target's id, adding one of N+1 targets moves about 1/(N+1) of the keys
 * and the rest stay put. The ring is built once per targets array (at compile time; again only
 * if the targets change) and a pick is a binary search.
 */
export class ConsistentHash<T extends Named> implements Balancer<T> {
  readonly usesKey = true;
  private ring: Ring = { points: new Uint32Array(0), owners: new Uint32Array(0) };
  private lastTargets: readonly T[] | null = null;

  constructor(targets?: readonly T[]) {
    if (targets) this.build(targets);
  }

  private build(targets: readonly T[]): void {
    const divisor = targets.reduce((g, t) => gcd(g, t.weight), 0) || 1;
    const total = targets.reduce((sum, t) => sum + POINTS_PER_WEIGHT * (t.weight / divisor), 0);
    const scale = Math.min(1, MAX_POINTS / total);
    const entries: { hash: number; owner: number; label: string }[] = [];
    targets.forEach((t, owner) => {
      const count = Math.max(1, Math.round(POINTS_PER_WEIGHT * (t.weight / divisor) * scale));
      for (let n = 0; n < count; n++) {
        const label = `${t.id}#${n}`;
        entries.push({ hash: hash32(label), owner, label });
      }
    });
    // Ties (rare) are broken by label, so the ring does not depend on the targets' order.
    entries.sort((a, b) => a.hash - b.hash || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    this.ring = { points: Uint32Array.from(entries, (e) => e.hash), owners: Uint32Array.from(entries, (e) => e.owner) };
    this.lastTargets = targets;
  }

  /** The target owning `key`; the empty key (no key at all) still maps, always to one target. */
  pick(targets: readonly T[], key = ''): T | undefined {
    if (targets.length <= 1) return targets[0];
    if (targets !== this.lastTargets) this.build(targets);
    const { points, owners } = this.ring;
    const h = hash32(key);
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return targets[owners[lo === points.length ? 0 : lo]!];
  }
}
