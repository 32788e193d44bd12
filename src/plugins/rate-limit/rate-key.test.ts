import { describe, expect, it } from 'vitest';
import { ipKey, keyExtractor, parseKeySpec, type KeySource } from './rate-key.js';

const source = (over: Partial<KeySource> & { headers?: Record<string, string | string[]> } = {}): KeySource => ({
  clientIp: over.clientIp ?? '192.0.2.7',
  identity: over.identity ?? null,
  req: { headers: over.headers ?? {} },
});

describe('rate-limit keys', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0000:0000:ffff::2', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
  ])('ipKey(%s) = %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });

  it.each([
    ['ip', 'ip'],
    ['consumer', 'consumer'],
    ['route', 'route'],
    ['header:X-Tenant', 'header'],
    ['ip+header:X-Tenant', 'ip,header'],
  ])('parses %s', (spec, kinds) => {
    const parts = parseKeySpec(spec);
    expect(typeof parts).not.toBe('string');
    expect((parts as { kind: string }[]).map((p) => p.kind).join(',')).toBe(kinds);
  });

  it.each(['', 'ipaddr', 'header:', 'header:bad name', 'ip+ip', 'route+ip', 'ip+', 'cookie:x'])('refuses %j', (spec) => {
    expect(typeof parseKeySpec(spec)).toBe('string');
  });

  const key = (spec: string, s: KeySource) => keyExtractor(parseKeySpec(spec) as never)(s);

  it('keys by client, falling back to the address without a consumer or header', () => {
    expect(key('ip', source())).toBe(key('ip', source({ headers: { 'x-tenant': 'a' } })));
    expect(key('consumer', source({ identity: { consumer: 'acme' } }))).toBe('consumer=acme');
    expect(key('consumer', source())).toBe('ip=192.0.2.7');
    expect(key('header:X-Tenant', source({ headers: { 'x-tenant': 'blue' } }))).toBe('x-tenant=blue');
    expect(key('header:X-Tenant', source())).toBe('ip=192.0.2.7');
    expect(key('route', source())).toBe(key('route', source({ clientIp: '10.0.0.1' })));
    expect(key('ip+header:X-Tenant', source({ headers: { 'x-tenant': 'blue' } }))).toBe('ip=192.0.2.7\nx-tenant=blue');
    expect(key('ip', source({ clientIp: '2001:db8::1' }))).toBe(key('ip', source({ clientIp: '2001:db8::ffff' })));
  });

  it('hashes long header values so a key stays small', () => {
    const long = key('header:X-Tenant', source({ headers: { 'x-tenant': 'x'.repeat(10_000) } }));
    expect(long.length).toBeLessThan(80);
    expect(long).not.toBe(key('header:X-Tenant', source({ headers: { 'x-tenant': 'x'.repeat(10_001) } })));
  });
});
