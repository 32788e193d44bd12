import { describe, expect, it } from 'vitest';
import { RoundRobin } from './round-robin.js';
import { WeightedRoundRobin } from './weighted.js';
import { BALANCER_NAMES, createBalancer } from './create-balancer.js';

const targets = [
  { id: 'a', weight: 1 },
  { id: 'b', weight: 2 },
  { id: 'c', weight: 3 },
];

describe('balancers', () => {
  it('round-robin visits each target in turn', () => {
    const rr = new RoundRobin<(typeof targets)[number]>();
    expect(Array.from({ length: 6 }, () => rr.pick(targets)!.id)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(rr.pick([])).toBeUndefined();
  });

  it('weighted gives each target exactly its share per cycle, interleaved', () => {
    const w = new WeightedRoundRobin<(typeof targets)[number]>();
    const picks = Array.from({ length: 60 }, () => w.pick(targets)!.id);
    const counts = Object.fromEntries(['a', 'b', 'c'].map((id) => [id, picks.filter((p) => p === id).length]));
    expect(counts).toEqual({ a: 10, b: 20, c: 30 });
    // smooth: c never gets more than two in a row
    expect(picks.join('')).not.toContain('ccc');
  });
});

describe('createBalancer', () => {
  const loaded = [
    { id: 'a', weight: 1, load: { inflight: 0 } },
    { id: 'b', weight: 1, load: { inflight: 0 } },
  ];
  it.each(BALANCER_NAMES.map((name) => ({ name })))('makes a working $name balancer', ({ name }) => {
    const b = createBalancer(name, loaded, () => 0.75);
    expect(['a', 'b']).toContain(b.pick(loaded, 'key')!.id);
    expect(b.usesKey === true).toBe(name === 'consistent-hash');
  });
});
