import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../config/pipeline.js';
import { PluginRegistry } from '../registry.js';
import { securityHeadersPlugin } from './index.js';
import { isHttpsRequest, resolveSecurityHeaders, securityHeadersProblems, MAX_VALUE_LENGTH } from './headers.js';
import type { SecurityHeadersConfig } from './schema.js';

const asRecord = (set: ReturnType<typeof resolveSecurityHeaders>) => Object.fromEntries(set.names.map((n, i) => [n, set.values[i]]));

const DEFAULTS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

describe('resolveSecurityHeaders', () => {
  it.each<[string, (SecurityHeadersConfig | undefined)[], Record<string, string>]>([
    ['defaults alone', [], DEFAULTS],
    ['undefined layers are skipped', [undefined, undefined], DEFAULTS],
    ['a route value replaces a default, whatever its case', [undefined, { 'x-FRAME-options': 'SAMEORIGIN' }], { ...DEFAULTS, 'x-frame-options': 'SAMEORIGIN' }],
    ['null removes a default', [{ 'Content-Security-Policy': null }], { ...DEFAULTS, 'content-security-policy': undefined } as never],
    ['a new header is added', [{ 'Permissions-Policy': 'geolocation=()' }], { ...DEFAULTS, 'permissions-policy': 'geolocation=()' }],
    ['the route re-adds what the top level removed', [{ 'X-Frame-Options': null }, { 'X-Frame-Options': 'SAMEORIGIN' }], { ...DEFAULTS, 'x-frame-options': 'SAMEORIGIN' }],
    ['the route removes what the top level added', [{ 'Cross-Origin-Opener-Policy': 'same-origin' }, { 'Cross-Origin-Opener-Policy': null }], DEFAULTS],
  ])('%s', (_name, layers, expected) => {
    const want = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined));
    expect(asRecord(resolveSecurityHeaders(...layers))).toEqual(want);
  });

  it('keeps HSTS apart (sent on HTTPS only), with its default, override and removal', () => {
    expect(resolveSecurityHeaders().hsts).toBe('max-age=31536000; includeSubDomains');
    expect(resolveSecurityHeaders({ 'Strict-Transport-Security': 'max-age=60' }).hsts).toBe('max-age=60');
    expect(resolveSecurityHeaders({ 'strict-transport-security': null }).hsts).toBeNull();
    expect(resolveSecurityHeaders().names).not.toContain('strict-transport-security');
  });

  it.each<[string, (SecurityHeadersConfig | undefined)[], string[] | null]>([
    ['hides Server and X-Powered-By by default', [], ['server', 'x-powered-by']],
    ['a list replaces the inherited one', [{ hideUpstream: ['Via'] }], ['via']],
    ['the route replaces the top level', [{ hideUpstream: ['Via'] }, { hideUpstream: ['X-AspNet-Version'] }], ['x-aspnet-version']],
    ['[] keeps the upstream headers', [undefined, { hideUpstream: [] }], null],
  ])('hideUpstream: %s', (_name, layers, expected) => {
    const hidden = resolveSecurityHeaders(...layers).hidden;
    expect(hidden === null ? null : [...hidden]).toEqual(expected);
  });

  it('does not take hideUpstream as a header', () => {
    expect(resolveSecurityHeaders({ hideUpstream: ['Via'] }).names).not.toContain('hideupstream');
  });
});

describe('isHttpsRequest', () => {
  it.each<[boolean, boolean, string | string[] | undefined, boolean]>([
    [true, false, undefined, true], // a TLS socket
    [false, false, undefined, false],
    [false, false, 'https', false], // an untrusted peer's word proves nothing
    [false, true, 'https', true],
    [false, true, 'HTTPS', true],
    [false, true, ' https ', true],
    [false, true, 'http', false],
    [false, true, undefined, false],
    [false, true, 'https, http', false], // the nearest proxy spoke http
    [false, true, 'http, https', true],
    [false, true, ['http', 'https'], true],
    [false, true, 'httpsx', false],
    [false, true, '', false],
  ])('encrypted=%s trusted=%s proto=%j → %s', (encrypted, trusted, proto, expected) => {
    expect(isHttpsRequest(encrypted, trusted, proto)).toBe(expected);
  });
});

describe('securityHeadersProblems', () => {
  it('accepts a plain configuration', () => {
    expect(securityHeadersProblems({ 'X-Frame-Options': 'SAMEORIGIN', 'Content-Security-Policy': null, 'Permissions-Policy': 'camera=(), geolocation=()', hideUpstream: ['Server', 'Via'] })).toEqual([]);
  });

  it.each<[string, SecurityHeadersConfig, (string | number)[], RegExp]>([
    ['a name with a space', { 'X Frame': 'DENY' }, ['X Frame'], /not a valid header name/],
    ['a name with a colon', { 'X-Frame:': 'DENY' }, ['X-Frame:'], /not a valid header name/],
    ['an empty name', { '': 'DENY' }, [''], /not a valid header name/],
    ['a value with CR LF', { 'X-Frame-Options': 'DENY\r\nSet-Cookie: a=1' }, ['X-Frame-Options'], /CR, LF/],
    ['a value with LF', { 'X-Frame-Options': 'DENY\nX: 1' }, ['X-Frame-Options'], /CR, LF/],
    ['a value with NUL', { 'X-Frame-Options': 'DE\0NY' }, ['X-Frame-Options'], /NUL/],
    ['a value with non-ASCII', { 'X-Frame-Options': 'DÉNY' }, ['X-Frame-Options'], /visible ASCII/],
    ['an empty value', { 'X-Frame-Options': '' }, ['X-Frame-Options'], /not empty/],
    ['a value with edge spaces', { 'X-Frame-Options': ' DENY' }, ['X-Frame-Options'], /visible ASCII/],
    ['an over-long value', { 'Content-Security-Policy': 'a'.repeat(MAX_VALUE_LENGTH + 1) }, ['Content-Security-Policy'], /longer than/],
    ['the same header twice', { 'X-Frame-Options': 'DENY', 'x-frame-options': 'SAMEORIGIN' }, ['x-frame-options'], /same header as "X-Frame-Options"/],
    ['a framing header', { 'Content-Length': '0' }, ['Content-Length'], /set by the gateway/],
    ['a hop-by-hop header', { Connection: 'close' }, ['Connection'], /set by the gateway/],
    ['X-Request-ID', { 'X-Request-ID': 'x' }, ['X-Request-ID'], /set by the gateway/],
    ['a CORS header', { 'Access-Control-Allow-Origin': '*' }, ['Access-Control-Allow-Origin'], /another plugin/],
    ['Set-Cookie', { 'Set-Cookie': 'a=1' }, ['Set-Cookie'], /set by the gateway/],
    ['a bad name to hide', { hideUpstream: ['Server', 'X Powered'] }, ['hideUpstream', 1], /not a valid header name/],
    ['hiding Content-Length', { hideUpstream: ['content-length'] }, ['hideUpstream', 0], /cannot be hidden/],
    ['hiding Transfer-Encoding', { hideUpstream: ['Transfer-Encoding'] }, ['hideUpstream', 0], /cannot be hidden/],
  ])('refuses %s', (_name, value, path, message) => {
    const problems = securityHeadersProblems(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toEqual(path);
    expect(problems[0]!.message).toMatch(message);
  });
});

describe('securityHeaders in a config file', () => {
  const registry = new PluginRegistry([securityHeadersPlugin]);
  const check = (extra: string, route = '') =>
    checkConfigText(
      `upstreams: { a: { targets: [http://127.0.0.1:1] } }\n${extra}\nroutes:\n  - name: r\n    match: { path: /a }\n    upstream: a\n${route}`,
      'gateway.yaml',
      registry,
    );

  it('accepts headers, null and hideUpstream at both levels', () => {
    const result = check('securityHeaders: { X-Frame-Options: SAMEORIGIN, hideUpstream: [] }', '    securityHeaders: { Content-Security-Policy: null, hideUpstream: [Via] }');
    expect(result.errors).toEqual([]);
  });

  it.each<[string, string, string, RegExp]>([
    ['a route value that is a number', '', '    securityHeaders: { X-Frame-Options: 5 }', /^routes\[0\]\.securityHeaders\.X-Frame-Options: must be a header value/],
    ['a route value that is a list', '', '    securityHeaders: { X-Frame-Options: [DENY] }', /^routes\[0\]\.securityHeaders\.X-Frame-Options: must be a header value/],
    ['a top-level bad value', 'securityHeaders: { X-Frame-Options: "DENY\\r\\nX-Evil: 1" }', '', /^securityHeaders\.X-Frame-Options: must be visible ASCII/],
    ['a route bad name', '', '    securityHeaders: { "Bad Name": x }', /^routes\[0\]\.securityHeaders\["Bad Name"\]: is not a valid header name/],
    ['hideUpstream not a list', '', '    securityHeaders: { hideUpstream: Server }', /^routes\[0\]\.securityHeaders\.hideUpstream: /],
    ['a top-level bad hidden name', 'securityHeaders: { hideUpstream: ["a b"] }', '', /^securityHeaders\.hideUpstream\[0\]: is not a valid header name/],
    ['securityHeaders not a map', 'securityHeaders: DENY', '', /^securityHeaders: /],
  ])('reports %s with its path', (_name, top, route, message) => {
    const result = check(top, route);
    expect(result.config).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(message);
  });
});

describe('securityHeadersPlugin.create', () => {
  const deps = { logger: undefined as never, clock: undefined as never, shared: undefined, global: undefined };
  const route = { name: 'r', match: { path: '/' }, upstream: 'u' };
  const terminal = async () => {};

  it('adds nothing, not even a wrapper, when every header is removed and nothing is hidden', () => {
    const off = { 'X-Content-Type-Options': null, 'X-Frame-Options': null, 'Referrer-Policy': null, 'Content-Security-Policy': null, 'Strict-Transport-Security': null, hideUpstream: [] };
    expect(securityHeadersPlugin.create(off as never, route, deps)(terminal)).toBe(terminal);
    expect(securityHeadersPlugin.unrouted!(off as never, {} as never, deps)).toBeUndefined();
  });

  it('wraps the chain otherwise', () => {
    expect(securityHeadersPlugin.create({} as never, route, deps)(terminal)).not.toBe(terminal);
    expect(securityHeadersPlugin.unrouted!(undefined, {} as never, deps)).toBeTypeOf('function');
  });
});
