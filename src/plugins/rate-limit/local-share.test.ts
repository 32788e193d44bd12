import { describe, expect, it } from 'vitest';
import { localFallbackLimit, shareOf } from './local-share.js';
import type { KeySource } from './rate-key.js';
import { RouteLimiter } from './route-limiter.js';
import type { LimitConfig } from './schema.js';
import { rateLimitProblems } from './validate.js';

const from = (ip: string): KeySource => ({ clientIp: ip, identity: null, req: { headers: {} } });

describe('localShare sizing', () => {
  it.each<[number, number, number]>([
    // value, share, ceil(value × share) (at least 1; 0 stays 0)
    [100, 1, 100],
    [100, 0.25, 25],
    [100, 0.1, 10], // 100 × 0.1 = 10.000000000000002 in floating point: still 10
    [10, 0.3, 3], // 10 × 0.3 = 3.0000000000000004
    [10, 1 / 3, 4], // 3.33… rounds up
    [7, 0.5, 4],
    [1, 0.01, 1], // never rounds a limit down to 0
    [3, 1e-6, 1],
    [0, 0.5, 0], // no burst stays no burst
  ])('shareOf(%d, %d) = %d', (value, share, expected) => {
    expect(shareOf(value, share)).toBe(expected);
  });

  it('scales limit and burst, keeps everything else, and leaves a full share untouched', () => {
    const config: LimitConfig = { limit: 10, window: '1m', burst: 5, scope: 'cluster', key: 'ip+header:X-Tenant', localShare: 0.25 };
    expect(localFallbackLimit(config)).toEqual({ ...config, limit: 3, burst: 2 });
    expect(localFallbackLimit({ limit: 10, window: '1m', scope: 'cluster', localShare: 0.5 })).toEqual({ limit: 5, window: '1m', scope: 'cluster', localShare: 0.5 });
    const full: LimitConfig = { limit: 10, window: '1m', burst: 5, scope: 'cluster' };
    expect(localFallbackLimit(full)).toBe(full);
    expect(localFallbackLimit({ ...full, localShare: 1 })).toEqual({ ...full, localShare: 1 });
  });

  it('a sized fallback admits exactly its share and reports the full limit name', () => {
    const config: LimitConfig = { limit: 8, window: '1m', burst: 4, scope: 'cluster', localShare: 0.25 };
    const limiter = new RouteLimiter([localFallbackLimit(config)], ['8/1m']);
    const admitted = Array.from({ length: 6 }, () => limiter.check(from('a'), 0)).filter((v) => v.allowed).length;
    expect(admitted).toBe(3); // capacity ceil(8 × 0.25) + ceil(4 × 0.25) = 2 + 1
    expect(limiter.check(from('a'), 0).rateLimit).toMatch(/^"8\/1m";r=0;t=\d+$/);
    expect(limiter.check(from('b'), 0).allowed).toBe(true); // per key, as always
  });
});

describe('localShare validation', () => {
  it.each<[string, LimitConfig, string | null]>([
    ['cluster + default onStoreError', { limit: 4, window: '1m', scope: 'cluster', localShare: 0.25 }, null],
    ['cluster + onStoreError local', { limit: 4, window: '1m', scope: 'cluster', onStoreError: 'local', localShare: 1 }, null],
    ['zero', { limit: 4, window: '1m', scope: 'cluster', localShare: 0 }, 'must be a number greater than 0 and at most 1'],
    ['negative', { limit: 4, window: '1m', scope: 'cluster', localShare: -0.25 }, 'must be a number greater than 0 and at most 1'],
    ['above 1', { limit: 4, window: '1m', scope: 'cluster', localShare: 1.5 }, 'must be a number greater than 0 and at most 1'],
    ['NaN (.nan in YAML)', { limit: 4, window: '1m', scope: 'cluster', localShare: NaN }, 'must be a number greater than 0 and at most 1'],
    ['the smallest share', { limit: 4, window: '1m', scope: 'cluster', localShare: 1e-6 }, null],
    ['scope local', { limit: 4, window: '1m', localShare: 0.5 }, 'applies to scope: cluster only'],
    ['explicit scope local', { limit: 4, window: '1m', scope: 'local', localShare: 0.5 }, 'applies to scope: cluster only'],
    ['onStoreError deny', { limit: 4, window: '1m', scope: 'cluster', onStoreError: 'deny', localShare: 0.5 }, 'applies to onStoreError: local only (this limit has onStoreError: deny'],
    ['onStoreError allow', { limit: 4, window: '1m', scope: 'cluster', onStoreError: 'allow', localShare: 0.5 }, 'applies to onStoreError: local only (this limit has onStoreError: allow'],
  ])('%s', (_name, limit, expected) => {
    const problems = rateLimitProblems(limit, undefined, true).filter((p) => p.path.includes('localShare'));
    if (expected === null) expect(problems).toEqual([]);
    else {
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toEqual(['localShare']);
      expect(problems[0]!.severity ?? 'error').toBe('error');
      expect(problems[0]!.message).toContain(expected);
    }
  });

  it('paths point into a list', () => {
    const problems = rateLimitProblems([{ limit: 4, window: '1m' }, { limit: 9, window: '1h', localShare: 0.5 }], undefined, true);
    expect(problems.map((p) => p.path)).toEqual([[1, 'localShare']]);
  });
});
