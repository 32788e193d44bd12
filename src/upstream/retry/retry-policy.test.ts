import { describe, expect, it } from 'vitest';
import { classifyFailure, compileRetryPolicy, retriesOn } from './retry-policy.js';

describe('compileRetryPolicy', () => {
  it('is null without retries, with attempts 0, or with `retries: false` on the route', () => {
    expect(compileRetryPolicy(undefined, undefined)).toBeNull();
    expect(compileRetryPolicy({ attempts: 0 }, undefined)).toBeNull();
    expect(compileRetryPolicy({ attempts: 2 }, false)).toBeNull();
    expect(compileRetryPolicy({ attempts: 2 }, { attempts: 0 })).toBeNull();
  });

  it('has the documented defaults', () => {
    const p = compileRetryPolicy({}, undefined)!;
    expect({ ...p, methods: [...p.methods], statuses: [...p.statuses!] }).toEqual({
      attempts: 2,
      methods: ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'],
      onConnectError: true,
      onReset: true,
      onTimeout: false,
      statuses: [502, 503],
      backoffMs: 25,
      maxBackoffMs: 250,
      bufferBody: 64 * 1024,
    });
  });

  it("merges the route's keys over the upstream's", () => {
    const p = compileRetryPolicy({ attempts: 3, on: ['timeout', 504], backoff: '10ms' }, { methods: ['POST'], bufferBody: '1kb' })!;
    expect([p.attempts, [...p.methods], p.onTimeout, p.onConnectError, [...p.statuses!], p.backoffMs, p.bufferBody]).toEqual([3, ['POST'], true, false, [504], 10, 1024]);
    expect(compileRetryPolicy(undefined, { on: ['connect-error'] })!.statuses).toBeNull();
  });
});

describe('classifyFailure', () => {
  it.each([
    ['ECONNREFUSED', 'connect-error'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect-error'],
    ['ENOTFOUND', 'connect-error'],
    ['UND_ERR_SOCKET', 'reset'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'other'],
    ['UND_ERR_ABORTED', 'other'],
  ])('%s → %s', (code, kind) => {
    expect(classifyFailure(Object.assign(new Error('x'), { code }))).toBe(kind);
  });

  it('anything without a code is other, and retriesOn follows the policy', () => {
    expect(classifyFailure(new Error('x'))).toBe('other');
    expect(classifyFailure(null)).toBe('other');
    const p = compileRetryPolicy({ on: ['reset'] }, undefined)!;
    expect([retriesOn(p, 'reset'), retriesOn(p, 'connect-error'), retriesOn(p, 'timeout'), retriesOn(p, 'other')]).toEqual([true, false, false, false]);
  });
});
