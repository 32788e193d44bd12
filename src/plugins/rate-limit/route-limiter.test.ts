import { describe, expect, it } from 'vitest';
import { RouteLimiter } from './route-limiter.js';
import type { KeySource } from './rate-key.js';
import { rateLimitProblems } from './validate.js';

const from = (ip: string): KeySource => ({ clientIp: ip, identity: null, req: { headers: {} } });

describe('route limiter', () => {
  it('writes the policy header for every limit', () => {
    const limiter = new RouteLimiter([
      { limit: 100, window: '1m', burst: 10 },
      { limit: 1000, window: '1h', algorithm: 'sliding-window' },
    ]);
    expect(limiter.policy).toBe('"100/1m";q=100;w=60;burst=10, "1000/1h";q=1000;w=3600');
  });

  it('refuses with Retry-After once the bucket is empty, per client', () => {
    const limiter = new RouteLimiter([{ limit: 2, window: '10s' }]);
    expect(limiter.check(from('a'), 0)).toEqual({ allowed: true, retryAfter: 0, rateLimit: '"2/10s";r=1;t=5' });
    expect(limiter.check(from('a'), 0)).toEqual({ allowed: true, retryAfter: 0, rateLimit: '"2/10s";r=0;t=5' });
    expect(limiter.check(from('a'), 1000)).toEqual({ allowed: false, retryAfter: 4, rateLimit: '"2/10s";r=0;t=4' });
    expect(limiter.check(from('b'), 1000).allowed).toBe(true);
    expect(limiter.check(from('a'), 5000).allowed).toBe(true);
  });

  it('Retry-After is at least 1 second', () => {
    const limiter = new RouteLimiter([{ limit: 10, window: '100ms' }]);
    for (let i = 0; i < 10; i++) limiter.check(from('a'), 0);
    expect(limiter.check(from('a'), 0)).toMatchObject({ allowed: false, retryAfter: 1 });
  });

  it('all limits must pass; a refusal charges none of them; the header names the tightest', () => {
    const limiter = new RouteLimiter([
      { limit: 2, window: '1s' },
      { limit: 3, window: '1h' },
    ]);
    expect(limiter.check(from('a'), 0).rateLimit).toBe('"2/1s";r=1;t=1');
    expect(limiter.check(from('a'), 0).allowed).toBe(true);
    const refused = limiter.check(from('a'), 0);
    expect(refused).toMatchObject({ allowed: false, retryAfter: 1 });
    // The hourly limit was not charged for the refusal: one left after the per-second one refills.
    const third = limiter.check(from('a'), 1000);
    expect(third).toMatchObject({ allowed: true, rateLimit: '"3/1h";r=0;t=1199' });
    const fourth = limiter.check(from('a'), 2000);
    // One hourly token per 1200s, 2s of which have passed.
    expect(fourth).toMatchObject({ allowed: false, retryAfter: 1198 });
  });
});

describe('rate limit validation', () => {
  it.each([
    [{ limit: 1, window: '1s', scope: 'cluster' as const }, ['scope'], /redis/],
    [{ limit: 1, window: '0s' }, ['window'], /at least/],
    [{ limit: 1, window: '1s', burst: 2, algorithm: 'sliding-window' as const }, ['burst'], /token-bucket/],
    [{ limit: 1, window: '1s', key: 'ip+cookie:x' }, ['key'], /not a key part/],
    [[{ limit: 1, window: '1s' }, { limit: 1, window: '1s', key: 'header:' }], [1, 'key'], /header name/],
  ])('%j is refused', (value, path, message) => {
    const problems = rateLimitProblems(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toEqual(path);
    expect(problems[0]!.message).toMatch(message);
    expect(problems[0]!.severity).toBeUndefined();
  });

  it('warns about key consumer on a route without auth, only there', () => {
    expect(rateLimitProblems({ limit: 1, window: '1s', key: 'consumer' }, false)).toMatchObject([{ severity: 'warning' }]);
    expect(rateLimitProblems({ limit: 1, window: '1s', key: 'consumer' }, true)).toEqual([]);
    expect(rateLimitProblems({ limit: 1, window: '1s', maxKeys: 5 })).toEqual([]);
    // onStoreError means something only with scope: cluster.
    expect(rateLimitProblems({ limit: 1, window: '1s', onStoreError: 'deny' })).toMatchObject([{ path: ['onStoreError'], severity: 'warning' }]);
    expect(rateLimitProblems({ limit: 1, window: '1s', onStoreError: 'deny', scope: 'cluster' }, undefined, true)).toEqual([]);
  });
});
