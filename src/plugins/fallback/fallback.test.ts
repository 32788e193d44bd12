import { describe, expect, it } from 'vitest';
import { fallbackProblems } from './index.js';

describe('fallbackProblems', () => {
  it('accepts a plain canned answer', () => {
    expect(fallbackProblems({ status: 200, headers: { 'Content-Type': 'application/json', 'X-Degraded': '1' }, body: '{"items":[]}' })).toEqual([]);
    expect(fallbackProblems({})).toEqual([]);
  });

  it.each([
    [{ headers: { 'Content-Length': '5' } }, ['headers', 'Content-Length'], 'is set by the gateway, not by a fallback'],
    [{ headers: { 'transfer-encoding': 'chunked' } }, ['headers', 'transfer-encoding'], 'is set by the gateway, not by a fallback'],
    [{ headers: { Connection: 'close' } }, ['headers', 'Connection'], 'is set by the gateway, not by a fallback'],
    [{ headers: { 'X-Evil': 'a\r\nSet-Cookie: x=1' } }, ['headers', 'X-Evil'], 'must not contain control characters'],
    [{ status: 204, body: 'nope' }, ['body'], 'must be empty with status 204'],
  ])('refuses %j', (value, path, message) => {
    expect(fallbackProblems(value)).toEqual([{ path, message }]);
  });
});
