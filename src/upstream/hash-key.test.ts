import { describe, expect, it } from 'vitest';
import { compileHashKey, cookieValue, HASH_ON_PATTERN } from './hash-key.js';

const ctx = (headers: Record<string, string | string[] | undefined>, clientIp = '203.0.113.7') => ({ clientIp, req: { headers } });

describe('cookieValue', () => {
  it.each([
    { header: 'session=abc', name: 'session', want: 'abc' },
    { header: 'a=1; session=abc; b=2', name: 'session', want: 'abc' },
    { header: 'a=1;session=abc', name: 'session', want: 'abc' },
    { header: 'session="quoted"', name: 'session', want: 'quoted' },
    { header: 'mysession=x; session=y', name: 'session', want: 'y' },
    { header: 'session=a=b', name: 'session', want: 'a=b' },
    { header: 'session=', name: 'session', want: '' },
    { header: 'session=first; session=second', name: 'session', want: 'first' },
    { header: 'other=1', name: 'session', want: undefined },
    { header: 'session', name: 'session', want: undefined },
    { header: '', name: 'session', want: undefined },
    { header: ';;; =x; session=ok', name: 'session', want: 'ok' },
  ])('$header → $want', ({ header, name, want }) => {
    expect(cookieValue(header, name)).toBe(want);
  });
});

describe('compileHashKey', () => {
  it.each([
    { hashOn: 'ip', headers: { 'x-user': 'u1' }, want: '203.0.113.7' },
    { hashOn: 'header:X-User', headers: { 'x-user': 'u1' }, want: 'u1' },
    { hashOn: 'header:X-User', headers: { 'x-user': ['u1', 'u2'] }, want: 'u1, u2' },
    { hashOn: 'header:X-User', headers: {}, want: '203.0.113.7' }, // missing → client IP
    { hashOn: 'header:X-User', headers: { 'x-user': '' }, want: '203.0.113.7' },
    { hashOn: 'cookie:sid', headers: { cookie: 'a=1; sid=s-42' }, want: 's-42' },
    { hashOn: 'cookie:sid', headers: { cookie: 'a=1' }, want: '203.0.113.7' },
    { hashOn: 'cookie:sid', headers: {}, want: '203.0.113.7' },
    { hashOn: 'cookie:sid', headers: { cookie: 'sid=' }, want: '203.0.113.7' },
  ])('$hashOn with $headers → $want', ({ hashOn, headers, want }) => {
    expect(compileHashKey(hashOn)(ctx(headers))).toBe(want);
  });

  it.each(['', 'ips', 'header:', 'cookie:', 'query:x', 'header:bad name'])('refuses %j (pattern and compiler agree)', (hashOn) => {
    expect(new RegExp(HASH_ON_PATTERN).test(hashOn)).toBe(false);
  });

  it.each(['ip', 'header:X-User', 'cookie:session_id'])('accepts %j', (hashOn) => {
    expect(new RegExp(HASH_ON_PATTERN).test(hashOn)).toBe(true);
    expect(() => compileHashKey(hashOn)).not.toThrow();
  });

  it('throws at compile time on a kind it does not know', () => {
    expect(() => compileHashKey('query:x')).toThrow(/hashOn/);
  });
});
