import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

/** Takes one request at `now` the way the limiter does; returns whether it was admitted. */
function take(bucket: TokenBucket, state: ReturnType<TokenBucket['create']>, now: number): boolean {
  bucket.refresh(state, now);
  if (bucket.available(state) < 1) return false;
  bucket.consume(state);
  return true;
}

describe('token bucket', () => {
  it.each([
    { limit: 5, burst: 0, admitted: 5 },
    { limit: 5, burst: 3, admitted: 8 },
    { limit: 1, burst: 0, admitted: 1 },
  ])('a new key admits limit + burst at once: $limit + $burst', ({ limit, burst, admitted }) => {
    const bucket = new TokenBucket({ limit, windowMs: 60_000, burst });
    const state = bucket.create(0);
    let n = 0;
    while (take(bucket, state, 0)) n++;
    expect(n).toBe(admitted);
  });

  it('refills limit tokens per window, continuously', () => {
    const bucket = new TokenBucket({ limit: 10, windowMs: 10_000, burst: 0 }); // one token per second
    const state = bucket.create(0);
    for (let i = 0; i < 10; i++) expect(take(bucket, state, 0)).toBe(true);
    expect(take(bucket, state, 999)).toBe(false);
    expect(take(bucket, state, 1000)).toBe(true);
    expect(take(bucket, state, 1500)).toBe(false);
    bucket.refresh(state, 5000);
    expect(bucket.available(state)).toBe(4);
    bucket.refresh(state, 1_000_000);
    expect(bucket.available(state)).toBe(10); // never above capacity
  });

  it('says how long until the next token and until full', () => {
    const bucket = new TokenBucket({ limit: 2, windowMs: 1000, burst: 2 }); // 1 token per 500ms, capacity 4
    const state = bucket.create(0);
    for (let i = 0; i < 4; i++) take(bucket, state, 0);
    expect(bucket.retryAfterMs(state)).toBeCloseTo(500);
    expect(bucket.resetMs(state)).toBeCloseTo(2000);
    bucket.refresh(state, 200);
    expect(bucket.retryAfterMs(state)).toBeCloseTo(300);
    bucket.refresh(state, 500);
    expect(bucket.retryAfterMs(state)).toBe(0);
  });

  it('ignores a clock that steps back', () => {
    const bucket = new TokenBucket({ limit: 1, windowMs: 1000, burst: 0 });
    const state = bucket.create(5000);
    expect(take(bucket, state, 5000)).toBe(true);
    expect(take(bucket, state, 1000)).toBe(false);
    expect(take(bucket, state, 6000)).toBe(true);
  });
});
