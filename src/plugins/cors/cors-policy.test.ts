import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../../config/schema.js';
import { compileCors, corsProblems } from './cors-policy.js';
import type { CorsConfig } from './schema.js';

const route = (methods?: string[]): RouteConfig => ({ name: 'r', match: { path: '/r', ...(methods ? { methods } : {}) }, upstream: 'u' }) as RouteConfig;

describe('corsProblems', () => {
  it.each<[string, CorsConfig, { path: (string | number)[]; message: RegExp; severity?: 'warning' }[]]>([
    ['a full valid policy', { origins: ['https://app.example.com', 'https://*.example.com'], methods: ['GET', 'POST'], headers: ['Content-Type', 'Authorization'], exposeHeaders: ['X-Request-ID'], credentials: true, maxAge: '10m' }, []],
    ['"*" alone without credentials', { origins: ['*'], headers: ['*'], exposeHeaders: ['*'], methods: ['*'] }, []],
    ['"*" with credentials', { origins: ['*'], credentials: true }, [{ path: ['origins'], message: /never "\*" with credentials/ }]],
    ['"*" beside other origins', { origins: ['https://a.example.com', '*'] }, [{ path: ['origins'], message: /only entry/ }]],
    ['the null origin', { origins: ['https://a.example.com', 'null'] }, [{ path: ['origins', 1], message: /never allowed/ }]],
    ['a path in an origin', { origins: ['https://a.example.com/app'] }, [{ path: ['origins', 0], message: /no path/ }]],
    ['a bare-TLD pattern', { origins: ['https://*.com'] }, [{ path: ['origins', 0], message: /two labels/ }]],
    ['a "*" header with credentials', { origins: ['https://a.example.com'], credentials: true, headers: ['Content-Type', '*'] }, [{ path: ['headers', 1], message: /literally/ }]],
    ['a "*" exposed header with credentials', { origins: ['https://a.example.com'], credentials: true, exposeHeaders: ['*'] }, [{ path: ['exposeHeaders', 0], message: /literally/ }]],
    ['a "*" method with credentials', { origins: ['https://a.example.com'], credentials: true, methods: ['*'] }, [{ path: ['methods', 0], message: /literally/ }]],
    ['a maxAge browsers ignore (warning)', { origins: ['https://a.example.com'], maxAge: '2d' }, [{ path: ['maxAge'], message: /cap/, severity: 'warning' }]],
  ])('%s', (_what, value, expected) => {
    const problems = corsProblems(value);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      expect(problems[i]!.path).toEqual(e.path);
      expect(problems[i]!.message).toMatch(e.message);
      expect(problems[i]!.severity).toBe(e.severity);
    });
  });
});

describe('compileCors', () => {
  it('joins the lists into header values and maxAge into whole seconds', () => {
    const policy = compileCors({ origins: ['https://a.example.com'], methods: ['GET', 'PUT'], headers: ['Content-Type', 'X-Custom'], exposeHeaders: ['X-Request-ID'], credentials: true, maxAge: '10m' }, route());
    expect(policy).toMatchObject({ anyOrigin: false, credentials: true, allowMethods: 'GET, PUT', allowHeaders: 'Content-Type, X-Custom', exposeHeaders: 'X-Request-ID', maxAge: '600' });
    expect(compileCors({ origins: ['*'], maxAge: '1500ms' }, route()).maxAge).toBe('1');
  });

  it("defaults: the route's methods, else the common ones; no headers, no exposed headers, no max-age", () => {
    expect(compileCors({ origins: ['*'] }, route(['GET', 'DELETE']))).toMatchObject({ anyOrigin: true, credentials: false, allowMethods: 'GET, DELETE', allowHeaders: null, exposeHeaders: null, maxAge: null });
    expect(compileCors({ origins: ['*'] }, route()).allowMethods).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
    expect(compileCors({ origins: ['*'], headers: [] }, route()).allowHeaders).toBeNull();
  });
});
