import { describe, expect, it } from 'vitest';
import { RandomBalancer } from './random.js';

/** A random source replaying `values` in order. */
const replay = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

/** A seeded LCG, for distribution checks that must not flake. */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const equal = [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 }];
const weighted = [{ id: 'a', weight: 1 }, { id: 'b', weight: 2 }, { id: 'c', weight: 3 }];

describe('RandomBalancer', () => {
  it.each([
    // targets, random value, expected: the point random × sum(weights) falls in a target's span
    { targets: equal, r: 0, want: 'a' },
    { targets: equal, r: 0.3333, want: 'a' },
    { targets: equal, r: 0.3334, want: 'b' },
    { targets: equal, r: 0.9999, want: 'c' },
    { targets: weighted, r: 0.16, want: 'a' }, // 0.96 of 6 → [0,1)
    { targets: weighted, r: 1 / 6, want: 'b' }, // exactly 1 → b's span [1,3)
    { targets: weighted, r: 0.49, want: 'b' }, // 2.94
    { targets: weighted, r: 0.5, want: 'c' }, // 3 → c's span [3,6)
    { targets: weighted, r: 0.99, want: 'c' },
  ])('random $r over $targets.length targets picks $want', ({ targets, r, want }) => {
    expect(new RandomBalancer<{ id: string; weight: number }>(() => r).pick(targets)!.id).toBe(want);
  });

  it.each([
    { name: 'no targets', targets: [], want: undefined },
    { name: 'one target, random unused', targets: [{ id: 'x', weight: 5 }], want: 'x' },
  ])('$name', ({ targets, want }) => {
    const b = new RandomBalancer<{ id: string; weight: number }>(() => {
      throw new Error('not called');
    });
    expect(b.pick(targets)?.id).toBe(want);
  });

  it('follows the weights over many picks and reaches every target', () => {
    const b = new RandomBalancer<(typeof weighted)[number]>(seeded(42));
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 60_000; i++) counts[b.pick(weighted)!.id]!++;
    expect(counts.a! / 60_000).toBeCloseTo(1 / 6, 1);
    expect(counts.b! / 60_000).toBeCloseTo(2 / 6, 1);
    expect(counts.c! / 60_000).toBeCloseTo(3 / 6, 1);
  });

  it('rebuilds its cumulative weights when the targets change', () => {
    const b = new RandomBalancer<{ id: string; weight: number }>(replay([0.9]));
    expect(b.pick(equal)!.id).toBe('c');
    expect(b.pick([{ id: 'z', weight: 9 }, { id: 'y', weight: 1 }])!.id).toBe('y');
  });
});
