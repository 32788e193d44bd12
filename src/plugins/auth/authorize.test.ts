import { describe, expect, it } from 'vitest';
import { isAuthorized, listFromClaims, readClaim, DEFAULT_ROLE_CLAIMS, DEFAULT_SCOPE_CLAIMS } from './authorize.js';

describe('readClaim', () => {
  const claims = { role: 'admin', realm_access: { roles: ['a', 'b'] }, 'https://example.com/roles': ['ns'], a: { b: { c: 1 } }, arr: [1] };
  it.each<[string, unknown]>([
    ['role', 'admin'],
    ['realm_access.roles', ['a', 'b']],
    ['https://example.com/roles', ['ns']],
    ['a.b.c', 1],
    ['a.x.c', undefined],
    ['arr.0', undefined],
    ['role.length', undefined],
    ['__proto__', undefined],
    ['constructor', undefined],
  ])('%s', (path, value) => {
    expect(readClaim(claims, path)).toEqual(value);
  });
});

describe('listFromClaims', () => {
  it('roles: a string is one role, a list keeps its strings, the first path present wins', () => {
    expect(listFromClaims({ role: 'admin' }, DEFAULT_ROLE_CLAIMS, false)).toEqual(['admin']);
    expect(listFromClaims({ role: 'a b' }, DEFAULT_ROLE_CLAIMS, false)).toEqual(['a b']);
    expect(listFromClaims({ roles: ['a', 3, 'b', ''] }, DEFAULT_ROLE_CLAIMS, false)).toEqual(['a', 'b']);
    expect(listFromClaims({ role: 'x', roles: ['y'] }, DEFAULT_ROLE_CLAIMS, false)).toEqual(['x']);
    expect(listFromClaims({ role: 7 }, DEFAULT_ROLE_CLAIMS, false)).toEqual([]);
  });
  it('scopes: a space-separated string is split; scp is the fallback', () => {
    expect(listFromClaims({ scope: ' read  write ' }, DEFAULT_SCOPE_CLAIMS, true)).toEqual(['read', 'write']);
    expect(listFromClaims({ scp: ['read'] }, DEFAULT_SCOPE_CLAIMS, true)).toEqual(['read']);
    expect(listFromClaims({}, DEFAULT_SCOPE_CLAIMS, true)).toEqual([]);
  });
});

describe('isAuthorized', () => {
  it.each<[string, Parameters<typeof isAuthorized>[0], string[], string[], boolean]>([
    ['any role present', { roles: ['a', 'b'], scopes: null, all: false }, ['b'], [], true],
    ['no role present', { roles: ['a', 'b'], scopes: null, all: false }, ['c'], [], false],
    ['all roles present', { roles: ['a', 'b'], scopes: null, all: true }, ['b', 'a', 'c'], [], true],
    ['one of all missing', { roles: ['a', 'b'], scopes: null, all: true }, ['a'], [], false],
    ['scopes any', { roles: null, scopes: ['r', 'w'], all: false }, [], ['w'], true],
    ['scopes all missing one', { roles: null, scopes: ['r', 'w'], all: true }, [], ['w'], false],
    ['roles and scopes both needed', { roles: ['a'], scopes: ['r'], all: false }, ['a'], [], false],
    ['roles and scopes both met', { roles: ['a'], scopes: ['r'], all: false }, ['a'], ['r'], true],
    ['nothing required', { roles: null, scopes: null, all: false }, [], [], true],
    ['substring is not a match', { roles: ['admin'], scopes: null, all: false }, ['admins', 'dmin'], [], false],
  ])('%s', (_name, req, roles, scopes, ok) => {
    expect(isAuthorized(req, roles, scopes)).toBe(ok);
  });
});
