import { describe, expect, it } from 'vitest';
import { normalizePath, PathError, splitTarget } from './normalize-path.js';

describe('normalizePath', () => {
  const ok: Array<[string, string]> = [
    ['/', '/'],
    ['/api/orders', '/api/orders'],
    ['/api/orders/', '/api/orders/'],
    ['//api///orders', '/api/orders'],
    ['/api/./orders', '/api/orders'],
    ['/api/x/../orders', '/api/orders'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/api/%2e%2e/admin', '/admin'],
    ['/api/%2E%2E/%2e/admin', '/admin'],
    ['/api/.%2e/admin', '/admin'],
    ['/%61pi/orders', '/api/orders'],
    ['/api/%7euser', '/api/~user'],
    ['/api/caf%c3%a9', '/api/caf%C3%A9'],
    ['/api/a%20b', '/api/a%20b'],
    ['/api/..', '/'],
    ['/api/orders/.', '/api/orders/'],
    ['/api/..x', '/api/..x'],
    ['/.well-known/x', '/.well-known/x'],
  ];
  it.each(ok)('%s -> %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  const bad = ['/public/..;/secret', '/public/.;x/y', '/public/%2e%2e;/secret', '/api/%2f/admin', '/api%2Fadmin', '/api/%5cadmin', '/api/%00', '/api\\admin', '/api/%zz', '/api/%4', '/api/%', 'api', '/a#b', '/a\x01b'];
  it.each(bad)('refuses %j', (input) => {
    expect(() => normalizePath(input)).toThrow(PathError);
  });
});

describe('splitTarget', () => {
  it('keeps the query byte for byte', () => {
    expect(splitTarget('/a//b?x=%2F&y=1&&z')).toEqual({ path: '/a/b', query: '?x=%2F&y=1&&z', authority: null });
  });
  it('accepts absolute-form and takes its authority', () => {
    expect(splitTarget('http://Api.Example.com:8080/a/../b?q')).toEqual({ path: '/b', query: '?q', authority: 'api.example.com:8080' });
    expect(splitTarget('https://h')).toEqual({ path: '/', query: '', authority: 'h' });
  });
  it.each(['*', 'example.com:443', 'ftp://x/y', 'http:///x', 'http://user@h/x'])('refuses %j', (t) => {
    expect(() => splitTarget(t)).toThrow(PathError);
  });
});
