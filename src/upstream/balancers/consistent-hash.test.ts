import { describe, expect, it } from 'vitest';
import { ConsistentHash, MAX_POINTS } from './consistent-hash.js';
import { hash32 } from './hash.js';

const target = (id: string, weight = 1) => ({ id, weight });
const four = ['a', 'b', 'c', 'd'].map((id) => target(`up/${id}:80`));
const keys = Array.from({ length: 10_000 }, (_, i) => `client-${i}`);

function assign(targets: readonly { id: string; weight: number }[]): string[] {
  const ring = new ConsistentHash(targets);
  return keys.map((k) => ring.pick(targets, k)!.id);
}

describe('hash32', () => {
  it.each(['', 'a', '10.0.0.1', 'é—unicode'])('is a deterministic unsigned 32-bit value for %j', (text) => {
    expect(hash32(text)).toBe(hash32(text));
    expect(Number.isInteger(hash32(text))).toBe(true);
    expect(hash32(text)).toBeGreaterThanOrEqual(0);
    expect(hash32(text)).toBeLessThan(2 ** 32);
  });

  it('spreads neighbouring keys', () => {
    expect(new Set(['t#1', 't#2', 't#3', '10.0.0.1', '10.0.0.2'].map(hash32)).size).toBe(5);
    // top byte of consecutive keys differs (the fmix step), not only the low bits
    expect(new Set(Array.from({ length: 64 }, (_, i) => hash32(`k${i}`) >>> 24)).size).toBeGreaterThan(30);
  });
});

describe('ConsistentHash', () => {
  it.each([
    { name: 'no targets', targets: [], want: undefined },
    { name: 'one target', targets: [target('x')], want: 'x' },
  ])('$name', ({ targets, want }) => {
    expect(new ConsistentHash(targets).pick(targets, 'k')?.id).toBe(want);
  });

  it('maps the same key to the same target, across picks and across separately built rings', () => {
    const first = assign(four);
    expect(assign(four)).toEqual(first);
    const ring = new ConsistentHash(four);
    for (const k of keys.slice(0, 100)) expect(ring.pick(four, k)!.id).toBe(ring.pick(four, k)!.id);
  });

  it('does not depend on the order of the targets', () => {
    const reversed = [...four].reverse();
    expect(assign(reversed)).toEqual(assign(four));
  });

  it('spreads keys roughly evenly (each of 4 gets 15%–35%)', () => {
    const counts = new Map<string, number>();
    for (const id of assign(four)) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const n of counts.values()) {
      expect(n / keys.length).toBeGreaterThan(0.15);
      expect(n / keys.length).toBeLessThan(0.35);
    }
  });

  it('adding a 5th target to 4 moves about 1/5 of the keys, all of them to the new target', () => {
    const before = assign(four);
    const five = [...four, target('up/e:80')];
    const after = assign(five);
    const moved = keys.filter((_, i) => before[i] !== after[i]);
    expect(moved.length / keys.length).toBeGreaterThan(0.12);
    expect(moved.length / keys.length).toBeLessThan(0.3);
    for (let i = 0; i < keys.length; i++) if (before[i] !== after[i]) expect(after[i]).toBe('up/e:80');
  });

  it('removing a target moves only the keys it owned', () => {
    const before = assign(four);
    const three = four.slice(0, 3);
    const after = assign(three);
    for (let i = 0; i < keys.length; i++) if (before[i] !== 'up/d:80') expect(after[i]).toBe(before[i]);
  });

  it('gives a weight-3 target about three times the keys of a weight-1 target', () => {
    const targets = [target('light', 1), target('heavy', 3)];
    const share = assign(targets).filter((id) => id === 'heavy').length / keys.length;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.85);
  });

  it('reduces weights by their gcd and bounds the ring', () => {
    // [2,2] builds the same ring as [1,1]: the same keys land on the same ids
    const one = [target('p', 1), target('q', 1)];
    const two = [target('p', 2), target('q', 2)];
    expect(assign(two)).toEqual(assign(one));
    // 1000 + 999 (gcd 1) would be ~320k points: bounded, and still proportional
    const big = [target('p', 1000), target('q', 999), target('r', 1)];
    const ring = new ConsistentHash(big);
    expect((ring as unknown as { ring: { points: Uint32Array } }).ring.points.length).toBeLessThanOrEqual(MAX_POINTS + 3);
    expect(ring.pick(big, 'anything')).toBeDefined();
  });

  it('rebuilds when given a different targets array, and maps a missing key (empty) consistently', () => {
    const ring = new ConsistentHash(four);
    const five = [...four, target('up/e:80')];
    const fresh = new ConsistentHash(five);
    for (const k of keys.slice(0, 200)) expect(ring.pick(five, k)!.id).toBe(fresh.pick(five, k)!.id);
    expect(ring.pick(five, '')!.id).toBe(ring.pick(five)!.id);
  });
});
