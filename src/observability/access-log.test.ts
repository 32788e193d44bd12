import { describe, expect, it } from 'vitest';
import { formatAccessLine, type AccessRecord } from './access-log.js';

const base: AccessRecord = { requestId: 'r-1', method: 'GET', path: '/api/x', route: 'orders', status: 200, durationMs: 1.25, upstream: 'orders/127.0.0.1:1', bytesIn: 0, bytesOut: 321, clientIp: '10.0.0.1', error: null };

describe('formatAccessLine', () => {
  it('is one JSON line with every field', () => {
    const line = formatAccessLine(base, '2026-01-01T00:00:00.000Z', 42);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ level: 'info', time: '2026-01-01T00:00:00.000Z', pid: 42, ...base, error: undefined, msg: 'request' });
  });

  it('escapes hostile strings and writes nulls and errors', () => {
    const hostile = { ...base, path: '/a"b\\c\u2028\n{"x":1}', method: 'G"ET', route: null, upstream: null, error: 'not_found' };
    const parsed = JSON.parse(formatAccessLine(hostile, 't', 1)) as Record<string, unknown>;
    expect(parsed['path']).toBe(hostile.path);
    expect(parsed['method']).toBe('G"ET');
    expect(parsed['route']).toBeNull();
    expect(parsed['upstream']).toBeNull();
    expect(parsed['error']).toBe('not_found');
    expect(parsed['x']).toBeUndefined();
  });
});
