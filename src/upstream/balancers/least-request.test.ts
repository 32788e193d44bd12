import { describe, expect, it } from 'vitest';
import { LeastRequest } from './least-request.js';

const replay = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

const t = (id: string, inflight: number, weight = 1) => ({ id, weight, load: { inflight } });

describe('LeastRequest (power of two choices)', () => {
  it.each([
    // draws: first index = floor(r0 × n); second = floor(r1 × (n-1)), skipping the first
    { name: 'fewer in flight wins (second draw)', targets: [t('a', 3), t('b', 1), t('c', 0)], draws: [0, 0], want: 'b' },
    { name: 'fewer in flight wins (first draw)', targets: [t('a', 0), t('b', 1), t('c', 5)], draws: [0, 0.9], want: 'a' },
    { name: 'second index skips the first', targets: [t('a', 0), t('b', 4), t('c', 2)], draws: [0.5, 0.5], want: 'c' },
    { name: 'tie → heavier target (lower load per weight)', targets: [t('a', 2, 1), t('b', 2, 3)], draws: [0, 0], want: 'b' },
    { name: 'tie on load and weight → first drawn', targets: [t('a', 1), t('b', 1)], draws: [0.9, 0], want: 'b' },
    { name: 'tie → first drawn (a)', targets: [t('a', 1), t('b', 1)], draws: [0, 0], want: 'a' },
    { name: 'one target', targets: [t('a', 99)], draws: [0], want: 'a' },
  ])('$name', ({ targets, draws, want }) => {
    expect(new LeastRequest<ReturnType<typeof t>>(replay(draws)).pick(targets)!.id).toBe(want);
  });

  it('returns undefined with no targets', () => {
    expect(new LeastRequest().pick([])).toBeUndefined();
  });

  it('never picks the busiest target while an idle one exists, and the two draws are distinct', () => {
    const targets = [t('busy', 10), t('idle1', 0), t('idle2', 0), t('idle3', 0)];
    const b = new LeastRequest<ReturnType<typeof t>>();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(b.pick(targets)!.id);
    expect(seen.has('busy')).toBe(false);
    expect(seen).toEqual(new Set(['idle1', 'idle2', 'idle3']));
  });

  it('with two targets always takes the less loaded, whatever the draws', () => {
    const targets = [t('a', 1), t('b', 0)];
    for (const draws of [[0, 0], [0.99, 0.99], [0.5, 0.1]]) {
      expect(new LeastRequest<ReturnType<typeof t>>(replay(draws)).pick(targets)!.id).toBe('b');
    }
  });
});
