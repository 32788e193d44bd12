import { describe, expect, it } from 'vitest';
import { MAX_ORIGIN_LENGTH, OriginMatcher, parseOriginEntry } from './origin-matcher.js';

describe('parseOriginEntry: normalises what a browser would send', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['HTTPS://App.Example.COM', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://app.example.com:80', 'http://app.example.com'],
    ['https://app.example.com:8443', 'https://app.example.com:8443'],
    ['http://app.example.com:443', 'http://app.example.com:443'],
    ['http://127.0.0.1:5173', 'http://127.0.0.1:5173'],
    ['http://[0:0:0:0:0:0:0:1]:3000', 'http://[::1]:3000'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['http://localhost:3000', 'http://localhost:3000'],
  ])('%s → exact %s', (entry, origin) => {
    expect(parseOriginEntry(entry)).toEqual({ kind: 'exact', origin });
  });

  it.each([
    ['https://*.example.com', { kind: 'subdomains', scheme: 'https', domain: 'example.com', port: '' }],
    ['https://*.Example.com:443', { kind: 'subdomains', scheme: 'https', domain: 'example.com', port: '' }],
    ['http://*.dev.example.com:8080', { kind: 'subdomains', scheme: 'http', domain: 'dev.example.com', port: '8080' }],
    ['*', { kind: 'any' }],
  ])('%s → %o', (entry, parsed) => {
    expect(parseOriginEntry(entry)).toEqual(parsed);
  });

  it.each([
    ['null', /never allowed/],
    ['NULL', /never allowed/],
    ['app.example.com', /scheme:\/\/host/],
    ['//app.example.com', /scheme:\/\/host/],
    ['ftp://app.example.com', /http or https/],
    ['file://', /http or https/],
    ['https://app.example.com/', /no path.*write https:\/\/app\.example\.com\)/],
    ['https://app.example.com/path', /no path/],
    ['https://app.example.com?x=1', /no path/],
    ['https://app.example.com#f', /no path/],
    ['https://user@app.example.com', /user info/],
    ['https://app.example.com.', /trailing dot/],
    ['https://app.example.com:0', /port/],
    ['https://app.example.com:65536', /port/],
    ['https://app.example.com:', /port/],
    ['https://app.example.com:8a', /port/],
    ['https://', /not an origin/],
    ['https://app example.com', /not an origin/],
    ['https://app%2eexample.com', /not an origin/],
    ['https://*', /leftmost/],
    ['https://*.', /domain name|trailing dot/],
    ['https://*.com', /at least two labels/],
    ['https://*.127.0.0.1', /domain name/],
    ['https://a.*.example.com', /leftmost/],
    ['https://*example.com', /leftmost/],
    ['https://**.example.com', /domain name|leftmost/],
    ['https://*.*.example.com', /domain name|leftmost/],
    ['https://-app.example.com', /not a host name/],
    ['https://app_1.example.com', /not a host name/],
  ])('refuses %s', (entry, message) => {
    const parsed = parseOriginEntry(entry);
    expect(parsed).toHaveProperty('error');
    expect((parsed as { error: string }).error).toMatch(message);
  });
});

describe('OriginMatcher', () => {
  const matcher = new OriginMatcher([
    'https://app.example.com',
    'https://*.example.com',
    'http://127.0.0.1:5173',
    'https://*.partner.io:8443',
    'HTTPS://Admin.Corp.NET',
  ]);

  it.each([
    'https://app.example.com',
    'https://a.example.com',
    'https://a.b.c.example.com',
    'https://xn--bcher-kva.example.com',
    'https://a-b.example.com',
    'https://1.example.com',
    'http://127.0.0.1:5173',
    'https://x.partner.io:8443',
    'https://admin.corp.net',
  ])('allows %s', (origin) => {
    expect(matcher.allows(origin)).toBe(true);
  });

  it.each([
    ['the bare domain of a pattern', 'https://example.com'],
    ['another scheme', 'http://app.example.com'],
    ['another scheme for a pattern', 'http://a.example.com'],
    ['an explicit default port (browsers never send one)', 'https://app.example.com:443'],
    ['another port', 'https://app.example.com:8443'],
    ['another port on a pattern', 'https://a.example.com:8443'],
    ['a pattern with a port, without it', 'https://x.partner.io'],
    ['another loopback port', 'http://127.0.0.1:5174'],
    ['localhost for 127.0.0.1', 'http://localhost:5173'],
    ['a hyphenated look-alike', 'https://evil-example.com'],
    ['a prefix look-alike', 'https://notexample.com'],
    ['a suffix trick', 'https://example.com.evil.net'],
    ['a suffix trick on a subdomain', 'https://app.example.com.evil.net'],
    ['userinfo', 'https://app.example.com@evil.net'],
    ['userinfo on a pattern', 'https://a.example.com@evil.net'],
    ['upper case host', 'https://APP.example.com'],
    ['upper case scheme', 'HTTPS://app.example.com'],
    ['upper case on a pattern', 'https://A.example.com'],
    ['a trailing dot', 'https://app.example.com.'],
    ['a trailing dot on a pattern', 'https://a.example.com.'],
    ['a trailing slash', 'https://app.example.com/'],
    ['a path on a pattern', 'https://a.example.com/x'],
    ['an empty label', 'https://.example.com'],
    ['a double dot', 'https://a..example.com'],
    ['a label starting with a hyphen', 'https://-a.example.com'],
    ['a label ending with a hyphen', 'https://a-.example.com'],
    ['an underscore', 'https://a_b.example.com'],
    ['a literal star', 'https://*.example.com'],
    ['a percent-encoded dot', 'https://a%2eexample.com'],
    ['an encoded dot in a subdomain', 'https://evil%2e.example.com'],
    ['a space', 'https://a .example.com'],
    ['a newline before', 'https://a.example.com\n'],
    ['two origins joined', 'https://app.example.com, https://evil.net'],
    ['the null origin', 'null'],
    ['an empty header', ''],
    ['a backslash', 'https://evil.net\\.example.com'],
    ['a label over 63 characters', `https://${'a'.repeat(64)}.example.com`],
  ])('refuses %s (%s)', (_what, origin) => {
    expect(matcher.allows(origin)).toBe(false);
  });

  it('refuses an over-long origin quickly, and handles hostile long ones in bounded time', () => {
    expect(matcher.allows(`https://${'a.'.repeat(200)}example.com`)).toBe(false);
    const near = `https://${`${'a'.repeat(61)}.`.repeat(4)}example.com`;
    expect(near.length).toBeLessThanOrEqual(MAX_ORIGIN_LENGTH);
    expect(matcher.allows(near)).toBe(true);
    const hostile = `https://${'a-'.repeat(140)}!`;
    const start = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) matcher.allows(hostile);
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(500);
  });

  it('with "*" allows every origin but null', () => {
    const any = new OriginMatcher(['*']);
    expect(any.any).toBe(true);
    expect(any.allows('https://anything.example')).toBe(true);
    expect(any.allows('http://127.0.0.1:1')).toBe(true);
    expect(any.allows('null')).toBe(false);
  });

  it('exact entries only: no pattern regex, a subdomain does not match', () => {
    const exact = new OriginMatcher(['https://example.com']);
    expect(exact.any).toBe(false);
    expect(exact.allows('https://example.com')).toBe(true);
    expect(exact.allows('https://a.example.com')).toBe(false);
  });

  it('throws on an entry validation would have refused', () => {
    expect(() => new OriginMatcher(['https://example.com/'])).toThrow(/no path/);
  });
});
