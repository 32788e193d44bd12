import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.js';

function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('TokenCache', () => {
  it('returns what was stored until exp, then nothing', () => {
    const clock = fakeClock();
    const cache = new TokenCache<string>(10, clock);
    const exp = clock.t / 1000 + 60;
    cache.set('k', 'v', exp);
    expect(cache.get('k')).toBe('v');
    clock.t = exp * 1000 - 1;
    expect(cache.get('k')).toBe('v');
    clock.t = exp * 1000;
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never keeps an entry longer than maxAge, even without exp', () => {
    const clock = fakeClock();
    const cache = new TokenCache<string>(10, clock, 5_000);
    cache.set('no-exp', 'a', undefined);
    cache.set('far-exp', 'b', clock.t / 1000 + 3600);
    clock.t += 4_999;
    expect(cache.get('no-exp')).toBe('a');
    clock.t += 1;
    expect(cache.get('no-exp')).toBeUndefined();
    expect(cache.get('far-exp')).toBeUndefined();
  });

  it('does not store an already expired entry', () => {
    const clock = fakeClock();
    const cache = new TokenCache<string>(10, clock);
    cache.set('k', 'v', clock.t / 1000 - 1);
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used beyond maxEntries', () => {
    const clock = fakeClock();
    const cache = new TokenCache<number>(3, clock);
    const exp = clock.t / 1000 + 60;
    for (const k of ['a', 'b', 'c']) cache.set(k, 1, exp);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('d', 1, exp);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(1);
    expect(cache.get('d')).toBe(1);
  });

  it('stays within its cap under many distinct keys', () => {
    const clock = fakeClock();
    const cache = new TokenCache<number>(100, clock);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i, clock.t / 1000 + 60);
    expect(cache.size).toBe(100);
    expect(cache.get('k9999')).toBe(9999);
  });

  it('maxEntries 0 disables it', () => {
    const cache = new TokenCache<number>(0, fakeClock());
    expect(cache.enabled).toBe(false);
    cache.set('k', 1, undefined);
    expect(cache.get('k')).toBeUndefined();
  });

  it('keys are the token itself up to 2 KB, a fixed-size digest above', () => {
    expect(TokenCache.keyOf('x'.repeat(8000))).toHaveLength(44);
    expect(TokenCache.keyOf('x'.repeat(8000))).not.toBe(TokenCache.keyOf('x'.repeat(8001)));
    expect(TokenCache.keyOf('a.b.c')).toBe('a.b.c');
    expect(TokenCache.keyOf('a')).not.toBe(TokenCache.keyOf('b'));
  });
});
