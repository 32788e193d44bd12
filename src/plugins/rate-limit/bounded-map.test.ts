import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';

describe('bounded map', () => {
  it('a million distinct keys never grow it past its cap', () => {
    const map = new BoundedMap<{ n: number }>(100_000);
    let max = 0;
    for (let i = 0; i < 1_000_000; i++) {
      map.set(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/${i}`, { n: i });
      if (map.size > max) max = map.size;
    }
    expect(max).toBe(100_000);
    expect(map.has('10.15.66.63/999999')).toBe(true);
    expect(map.has('10.0.0.0/0')).toBe(false);
  });

  it('evicts the least recently used key; a read counts as a use', () => {
    const map = new BoundedMap<number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect([map.has('a'), map.has('b'), map.has('c')]).toEqual([true, false, true]);
    map.set('a', 4); // overwriting evicts nothing
    expect(map.size).toBe(2);
    expect(map.get('a')).toBe(4);
  });

  it('keeps LRU order across several evictions', () => {
    const map = new BoundedMap<number>(3);
    for (const k of ['a', 'b', 'c', 'd']) map.set(k, 0); // evicts a
    map.get('b'); // order now c, d, b
    map.set('e', 0); // evicts c
    map.set('f', 0); // evicts d
    expect(['a', 'b', 'c', 'd', 'e', 'f'].filter((k) => map.has(k))).toEqual(['b', 'e', 'f']);
  });

  it.each([0, -1, 1.5, NaN])('refuses a cap of %s', (cap) => {
    expect(() => new BoundedMap(cap)).toThrow();
  });
});
