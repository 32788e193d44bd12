import { describe, expect, it } from 'vitest';
import type { Identity } from '../../pipeline/context.js';
import { clientCopiesToHide, identityHeaders, isReservedHeader, resolveMapping } from './identity-headers.js';

const identity = (claims: Record<string, unknown>, roles: string[] = [], scopes: string[] = []): Identity => ({
  provider: 'p',
  subject: typeof claims['sub'] === 'string' ? claims['sub'] : null,
  email: null,
  roles,
  scopes,
  consumer: typeof claims['sub'] === 'string' ? claims['sub'] : null,
  claims,
});

describe('identity headers', () => {
  it('defaults: sub, email, roles (comma-joined) and X-Consumer', () => {
    expect(identityHeaders(identity({ sub: 'u1', email: 'a@b.c' }, ['admin', 'ops']), resolveMapping(undefined))).toEqual([
      'X-User-ID', 'u1', 'X-User-Email', 'a@b.c', 'X-User-Role', 'admin,ops', 'X-Consumer', 'u1',
    ]);
  });

  it('a configured mapping merges over the defaults; null drops one; nested claims and scopes', () => {
    const mapping = resolveMapping({ email: null, 'org.id': 'X-Org', scopes: 'X-Scopes', sub: 'X-Subject' });
    expect(identityHeaders(identity({ sub: 'u1', email: 'a@b.c', org: { id: 42 } }, [], ['r', 'w']), mapping)).toEqual([
      'X-Subject', 'u1', 'X-Org', '42', 'X-Scopes', 'r,w', 'X-Consumer', 'u1',
    ]);
  });

  it.each([
    ['CR LF', 'a\r\nX-Evil: 1'],
    ['NUL', 'a\u0000b'],
    ['non-ASCII', 'jörg@example.com'],
    ['an object', { a: 1 }],
    ['a list with a non-string', ['a', 1]],
    ['too long', 'x'.repeat(5000)],
    ['empty', ''],
  ])('a claim value that is %s is left out', (_name, value) => {
    expect(identityHeaders(identity({ email: value }), resolveMapping(undefined))).toEqual([]);
  });

  it('names the custom headers whose client copies must be hidden', () => {
    expect(clientCopiesToHide(resolveMapping({ tenant: 'X-Tenant' }))).toEqual(['x-tenant']);
    expect(clientCopiesToHide(resolveMapping(undefined))).toEqual([]);
  });

  it('reserved headers', () => {
    for (const h of ['Host', 'Authorization', 'X-Forwarded-For', 'Connection', 'Content-Length', 'X-Consumer']) expect(isReservedHeader(h)).toBe(true);
    expect(isReservedHeader('X-Tenant')).toBe(false);
  });
});
