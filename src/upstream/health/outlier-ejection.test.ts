import { describe, expect, it } from 'vitest';
import { OutlierEjection, type OutlierOptions } from './outlier-ejection.js';

const opts: OutlierOptions = { consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 3000 };

/** Three failures at `at` (the last one ejects with the default options). */
function eject(o: OutlierEjection, at: number): boolean[] {
  return [o.onFailure(at), o.onFailure(at), o.onFailure(at)];
}

describe('OutlierEjection', () => {
  it.each<{ name: string; events: Array<'F' | 'S'>; ejects: boolean[] }>([
    { name: 'three in a row eject on the third', events: ['F', 'F', 'F'], ejects: [false, false, true] },
    { name: 'a success between resets the count', events: ['F', 'F', 'S', 'F', 'F'], ejects: [false, false, false, false] },
    { name: 'count restarts after the success', events: ['F', 'S', 'F', 'F', 'F'], ejects: [false, false, false, true] },
  ])('$name', ({ events, ejects }) => {
    const o = new OutlierEjection(opts);
    const got: boolean[] = [];
    for (const e of events) {
      if (e === 'S') o.onSuccess();
      else got.push(o.onFailure(0));
    }
    expect(got).toEqual(ejects);
    expect(o.ejections).toBe(ejects.filter(Boolean).length);
  });

  it('is ejected for baseEjectionMs and back in rotation by itself', () => {
    const o = new OutlierEjection(opts);
    expect(o.ejected(0)).toBe(false);
    expect(o.ejectedUntil()).toBe(0);
    expect(eject(o, 100)).toEqual([false, false, true]);
    expect(o.ejectedUntil()).toBe(1100);
    expect(o.ejected(100)).toBe(true);
    expect(o.ejected(1099)).toBe(true);
    expect(o.ejected(1100)).toBe(false);
    expect(o.ejectedUntil()).toBe(0);
  });

  it('failures while ejected neither extend nor stack the ejection, nor count afterwards', () => {
    const o = new OutlierEjection(opts);
    eject(o, 0);
    for (let t = 0; t < 1000; t += 100) expect(o.onFailure(t)).toBe(false);
    expect(o.ejectedUntil()).toBe(1000);
    expect(o.ejections).toBe(1);
    // Back at 1000: the in-flight failures did not pre-load the count, it takes 3 fresh ones.
    expect([o.onFailure(1000), o.onFailure(1001)]).toEqual([false, false]);
    expect(o.ejected(1001)).toBe(false);
  });

  // Each row: ejection times, each ejection starting at `at` (ms) with three failures.
  it.each<{ name: string; at: number[]; until: number[] }>([
    { name: 'ejection time grows base × n', at: [0, 1000, 3000], until: [1000, 3000, 6000] },
    { name: 'capped at maxEjectionMs', at: [0, 1000, 3000, 6000, 9000], until: [1000, 3000, 6000, 9000, 12_000] },
    // 2nd ejection ends at 3000; 3rd starts exactly maxEjectionMs later → still counts (3rd: 3000 ms).
    { name: 'decay boundary: exactly maxEjectionMs after the end keeps the count', at: [0, 1000, 6000], until: [1000, 3000, 9000] },
    // 1 ms later: quiet longer than maxEjectionMs → back to base.
    { name: 'decay: quiet longer than maxEjectionMs restarts at 1', at: [0, 1000, 6001], until: [1000, 3000, 7001] },
    { name: 'decay after a capped ejection', at: [0, 1000, 3000, 6000, 12_001], until: [1000, 3000, 6000, 9000, 13_001] },
  ])('$name', ({ at, until }) => {
    const o = new OutlierEjection(opts);
    const got = at.map((t) => {
      expect(eject(o, t)[2]).toBe(true);
      return o.ejectedUntil();
    });
    expect(got).toEqual(until);
    expect(o.ejections).toBe(at.length);
  });

  it('consecutiveFailures: 1 ejects on every failure outside an ejection', () => {
    const o = new OutlierEjection({ consecutiveFailures: 1, baseEjectionMs: 10, maxEjectionMs: 10 });
    expect([o.onFailure(0), o.onFailure(5), o.onFailure(10), o.onFailure(15)]).toEqual([true, false, true, false]);
    expect(o.ejectedUntil()).toBe(20);
  });

  it.each<[string, Partial<OutlierOptions>]>([
    ['consecutiveFailures', { consecutiveFailures: 0 }],
    ['consecutiveFailures', { consecutiveFailures: 2.5 }],
    ['baseEjectionMs', { baseEjectionMs: 0 }],
    ['baseEjectionMs', { baseEjectionMs: Number.NaN }],
    ['maxEjectionMs', { maxEjectionMs: 999 }],
    ['maxEjectionMs', { maxEjectionMs: Infinity }],
  ])('refuses a bad %s (%j)', (field, bad) => {
    expect(() => new OutlierEjection({ ...opts, ...bad })).toThrow(new RegExp(field));
  });
});
