import { describe, expect, it } from 'vitest';
import { RouteTable, type LookupResult, type Routable } from './route-table.js';

interface MatchOptions {
  exact?: boolean;
  methods?: string[];
  hosts?: string[];
  headers?: Record<string, string>;
}

/** A route as compile.ts hands it to the table: methods upper-case, hosts and header names lower-case. */
function route(name: string, path: string, o: MatchOptions = {}): Routable {
  return {
    name,
    match: {
      path,
      exact: o.exact ?? false,
      methods: o.methods ?? null,
      hosts: o.hosts ?? null,
      headers: Object.entries(o.headers ?? {}),
    },
  };
}

type Headers = Record<string, string | string[] | undefined>;

/** The route name found, or `405 GET,POST`, or `404`. */
function outcome(result: LookupResult<Routable>): string {
  if (result.kind === 'found') return result.route.name;
  if (result.kind === 'method_not_allowed') return `405 ${result.allow.join(',')}`;
  return '404';
}

function lookup(table: RouteTable<Routable>, path: string, method = 'GET', host = 'gw.local', headers: Headers = {}): string {
  return outcome(table.lookup(method, host, path, headers));
}

function params(table: RouteTable<Routable>, path: string, method = 'GET'): Record<string, string> | undefined {
  const r = table.lookup(method, 'gw.local', path, {});
  return r.kind === 'found' ? { ...r.params } : undefined;
}

function* permutations<T>(items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i]!, ...p];
  }
}

/** Deterministic shuffles (mulberry32), so a failure can be replayed. */
function shuffler(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
}

describe('RouteTable: prefixes end at a segment boundary', () => {
  const table = new RouteTable([route('orders', '/api/orders')]);

  it.each([
    ['/api/orders', 'orders'],
    ['/api/orders/', 'orders'],
    ['/api/orders/7', 'orders'],
    ['/api/orders/7/x', 'orders'],
    ['/api/ordersX', '404'],
    ['/api/orders-x', '404'],
    ['/api/order', '404'],
    ['/api', '404'],
    ['/', '404'],
    ['/API/orders', '404'],
  ])('%s → %s', (path, expected) => {
    expect(lookup(table, path)).toBe(expected);
  });

  it('a prefix written with a trailing slash takes only what is below it', () => {
    const t = new RouteTable([route('dir', '/static/')]);
    expect(lookup(t, '/static/')).toBe('dir');
    expect(lookup(t, '/static/a.css')).toBe('dir');
    expect(lookup(t, '/static')).toBe('404');
    expect(lookup(t, '/staticX/a')).toBe('404');
  });

  it('the root prefix / takes every path, and loses to anything more specific', () => {
    const t = new RouteTable([route('root', '/'), route('api', '/api')]);
    expect.soft(lookup(t, '/')).toBe('root');
    expect.soft(lookup(t, '/x')).toBe('root');
    expect.soft(lookup(t, '/x/y/z')).toBe('root');
    expect.soft(lookup(t, '/apix')).toBe('root');
    expect.soft(lookup(t, '/api')).toBe('api');
    expect.soft(lookup(t, '/api/v1/x')).toBe('api');
  });

  it('with no routes everything is 404', () => {
    const t = new RouteTable<Routable>([]);
    expect(lookup(t, '/')).toBe('404');
    expect(lookup(t, '/a/b')).toBe('404');
  });

  it('deep paths walk back to the prefix that covers them', () => {
    const t = new RouteTable([route('a', '/a'), route('abc', '/a/b/c')]);
    expect.soft(lookup(t, '/a/b/c/d/e/f/g')).toBe('abc');
    expect.soft(lookup(t, '/a/b/cd/e')).toBe('a');
    expect.soft(lookup(t, '/a/b')).toBe('a');
    expect.soft(lookup(t, '/a/b/')).toBe('a');
  });

  it('routes written with raw non-ASCII characters match their percent-encoded request spelling', () => {
    // Route paths may not contain escapes (validation refuses them): find-my-way decodes the
    // request path, so a route names the characters themselves.
    const t = new RouteTable([route('cafe', '/café'), route('soup', '/café/soup', { exact: true, methods: ['GET'] }), route('order', '/café/:dish', { exact: true, methods: ['POST'] })]);
    expect.soft(lookup(t, '/caf%C3%A9')).toBe('cafe');
    expect.soft(lookup(t, '/caf%C3%A9/menu')).toBe('cafe');
    expect.soft(lookup(t, '/caf%C3%A9/soup')).toBe('soup');
    // The static route refuses POST; the same-depth param route is tried on decoded segments.
    expect.soft(lookup(t, '/caf%C3%A9/soup', 'POST')).toBe('order');
  });
});

describe('RouteTable: exact routes', () => {
  const table = new RouteTable([route('health', '/health', { exact: true }), route('api-exact', '/api', { exact: true }), route('api-v1', '/api/v1')]);

  it.each([
    ['/health', 'health'],
    ['/health/x', '404'],
    ['/healthz', '404'],
    ['/api', 'api-exact'],
    ['/api/v1', 'api-v1'],
    ['/api/v1/x', 'api-v1'],
    ['/api/v2', '404'],
  ])('%s → %s', (path, expected) => {
    expect(lookup(table, path)).toBe(expected);
  });

  it('an exact route beats a prefix route on the same path, and the prefix keeps the paths below', () => {
    const t = new RouteTable([route('prefix', '/docs'), route('exact', '/docs', { exact: true })]);
    expect(lookup(t, '/docs')).toBe('exact');
    expect(lookup(t, '/docs/intro')).toBe('prefix');
  });
});

describe('RouteTable: params', () => {
  it('captures :param segments with the names the route spelled', () => {
    const t = new RouteTable([route('user', '/users/:id'), route('order-item', '/orders/:orderId/items/:itemId', { exact: true })]);
    expect(params(t, '/users/42')).toEqual({ id: '42' });
    expect(params(t, '/users/42/avatar')).toEqual({ id: '42' });
    expect(params(t, '/orders/o-1/items/i-2')).toEqual({ orderId: 'o-1', itemId: 'i-2' });
    expect(lookup(t, '/orders/o-1/items/i-2/x')).toBe('404');
    expect(lookup(t, '/orders/o-1/items')).toBe('404');
  });

  it('two routes with different param names at the same position each get their own names', () => {
    const t = new RouteTable([
      route('profile', '/users/:id/profile'),
      route('settings', '/users/:userId/settings'),
      route('get-user', '/accounts/:accountId', { methods: ['GET'] }),
      route('delete-user', '/accounts/:acct', { methods: ['DELETE'] }),
    ]);
    expect(params(t, '/users/7/profile')).toEqual({ id: '7' });
    expect(params(t, '/users/7/settings/x')).toEqual({ userId: '7' });
    expect(params(t, '/accounts/a1', 'GET')).toEqual({ accountId: 'a1' });
    expect(params(t, '/accounts/a1', 'DELETE')).toEqual({ acct: 'a1' });
  });

  it('a static segment beats a param segment; the param takes everything else', () => {
    const t = new RouteTable([route('by-id', '/users/:id'), route('me', '/users/me'), route('users', '/users')]);
    expect(lookup(t, '/users/me')).toBe('me');
    expect(lookup(t, '/users/me/x')).toBe('me');
    expect(lookup(t, '/users/mex')).toBe('by-id');
    expect(lookup(t, '/users/42')).toBe('by-id');
    expect(lookup(t, '/users')).toBe('users');
  });

  it('a param never captures an empty segment', () => {
    const t = new RouteTable([route('by-id', '/users/:id')]);
    expect(lookup(t, '/users/')).toBe('404');
    expect(lookup(t, '/users')).toBe('404');
    const withParent = new RouteTable([route('by-id', '/users/:id'), route('users', '/users')]);
    expect(lookup(withParent, '/users/')).toBe('users');
  });

  it('captures long param values (no silent 404 for long ids)', () => {
    const t = new RouteTable([route('doc', '/docs/:slug')]);
    const slug = 'x'.repeat(500);
    expect(params(t, `/docs/${slug}`)).toEqual({ slug });
    expect(params(t, `/docs/${slug}/raw`)).toEqual({ slug });
  });
});

describe('RouteTable: most specific wins, independent of order', () => {
  const routes = [
    route('root', '/'),
    route('api', '/api'),
    route('orders', '/api/orders', { methods: ['GET', 'POST'] }),
    route('order', '/api/orders/:id'),
    route('orders-canary', '/api/orders', { headers: { 'x-env': 'canary' } }),
    route('orders-exact', '/api/orders', { exact: true, methods: ['GET'] }),
  ];
  const probes: Array<[method: string, path: string, headers: Headers, expected: string]> = [
    ['GET', '/', {}, 'root'],
    ['GET', '/other', {}, 'root'],
    ['GET', '/api', {}, 'api'],
    ['GET', '/api/ordersX', {}, 'api'],
    ['GET', '/api/orders', {}, 'orders-exact'],
    ['POST', '/api/orders', {}, 'orders'],
    ['DELETE', '/api/orders', {}, 'api'],
    ['GET', '/api/orders', { 'x-env': 'canary' }, 'orders-exact'],
    ['POST', '/api/orders/', { 'x-env': 'canary' }, 'orders-canary'],
    ['GET', '/api/orders/', {}, 'orders'],
    ['GET', '/api/orders/7', {}, 'order'],
    ['DELETE', '/api/orders/7/lines', {}, 'order'],
  ];
  const run = (table: RouteTable<Routable>) => probes.map(([m, p, h]) => lookup(table, p, m, 'gw.local', h));
  const expected = probes.map((p) => p[3]);

  it('gives the expected answers', () => {
    expect(run(new RouteTable(routes))).toEqual(expected);
  });

  it('gives identical answers for every permutation of the route list (720 tables)', () => {
    let tables = 0;
    for (const order of permutations(routes)) {
      expect(run(new RouteTable(order)), order.map((r) => r.name).join(' ')).toEqual(expected);
      tables++;
    }
    expect(tables).toBe(720);
  });

  it('gives identical answers for 300 shuffles of a larger list with hosts, headers and ties', () => {
    const big = [
      ...routes,
      route('host-api', '/api', { hosts: ['api.example.com'] }),
      route('wild-api', '/api', { hosts: ['*.example.com'] }),
      route('deep-wild', '/api', { hosts: ['*.eu.example.com'] }),
      route('host-orders', '/api/orders', { hosts: ['api.example.com'], methods: ['GET'] }),
      route('two-headers', '/api/orders', { headers: { 'x-env': 'canary', 'x-tier': 'gold' } }),
      route('b-twin', '/twins'),
      route('a-twin', '/twins'),
      route('user', '/users/:id'),
      route('user-me', '/users/me'),
    ];
    const bigProbes: Array<[string, string, string, Headers, string]> = [
      ['GET', 'gw.local', '/api/orders', {}, 'orders-exact'],
      ['GET', 'api.example.com', '/api/orders/1', {}, 'host-orders'],
      ['POST', 'api.example.com', '/api/orders/1', {}, 'host-api'],
      ['POST', 'x.example.com', '/api/orders/1', {}, 'wild-api'],
      ['POST', 'x.eu.example.com', '/api/x', {}, 'deep-wild'],
      ['POST', 'example.com', '/api/x', {}, 'api'],
      ['PUT', 'gw.local', '/api/orders', { 'x-env': 'canary', 'x-tier': 'gold' }, 'two-headers'],
      ['PUT', 'gw.local', '/api/orders', { 'x-env': 'canary', 'x-tier': 'silver' }, 'orders-canary'],
      ['GET', 'gw.local', '/twins/x', {}, 'a-twin'],
      ['GET', 'gw.local', '/users/me', {}, 'user-me'],
      ['GET', 'gw.local', '/users/you', {}, 'user'],
    ];
    const shuffle = shuffler(20240601);
    const want = bigProbes.map((p) => p[4]);
    for (let i = 0; i < 300; i++) {
      const order = shuffle(big);
      const table = new RouteTable(order);
      const got = bigProbes.map(([m, h, p, hd]) => lookup(table, p, m, h, hd));
      expect(got, order.map((r) => r.name).join(' ')).toEqual(want);
    }
  });
});

describe('RouteTable: hosts', () => {
  const table = new RouteTable([
    route('any', '/'),
    route('wild', '/', { hosts: ['*.example.com'] }),
    route('wild-api', '/', { hosts: ['*.api.example.com'] }),
    route('exact', '/', { hosts: ['api.example.com'] }),
    route('multi', '/', { hosts: ['a.test', 'b.test'] }),
  ]);

  it.each([
    ['api.example.com', 'exact'],
    ['www.example.com', 'wild'],
    ['a.b.example.com', 'wild'],
    ['v1.api.example.com', 'wild-api'],
    ['x.v1.api.example.com', 'wild-api'],
    ['example.com', 'any'],
    ['badexample.com', 'any'],
    ['example.com.evil.test', 'any'],
    ['a.test', 'multi'],
    ['b.test', 'multi'],
    ['c.test', 'any'],
  ])('%s → %s', (host, expected) => {
    expect(lookup(table, '/x', 'GET', host)).toBe(expected);
  });

  it('*.example.com never matches example.com itself', () => {
    const t = new RouteTable([route('wild', '/', { hosts: ['*.example.com'] })]);
    expect(lookup(t, '/', 'GET', 'example.com')).toBe('404');
    expect(lookup(t, '/', 'GET', '.example.com')).toBe('404');
    expect(lookup(t, '/', 'GET', 'www.example.com')).toBe('wild');
  });

  it('a host route that refuses the method or path falls back to any-host routes', () => {
    const t = new RouteTable([route('host-get', '/api', { hosts: ['api.example.com'], methods: ['GET'] }), route('any', '/api')]);
    expect(lookup(t, '/api', 'GET', 'api.example.com')).toBe('host-get');
    expect(lookup(t, '/api', 'POST', 'api.example.com')).toBe('any');
    expect(lookup(t, '/api', 'POST', 'other.test')).toBe('any');
  });

  it('host-only routes leave other hosts at 404', () => {
    const t = new RouteTable([route('h', '/', { hosts: ['api.example.com'] })]);
    expect(lookup(t, '/', 'GET', 'api.example.com')).toBe('h');
    expect(lookup(t, '/', 'GET', 'www.example.com')).toBe('404');
  });
});

describe('RouteTable: headers', () => {
  const table = new RouteTable([
    route('plain', '/api'),
    route('canary', '/api', { headers: { 'x-env': 'canary' } }),
    route('canary-gold', '/api', { headers: { 'x-env': 'canary', 'x-tier': 'gold' } }),
  ]);

  it.each<[Headers, string]>([
    [{}, 'plain'],
    [{ 'x-env': 'canary' }, 'canary'],
    [{ 'x-env': 'canary', 'x-tier': 'gold' }, 'canary-gold'],
    [{ 'x-env': 'canary', 'x-tier': 'silver' }, 'canary'],
    [{ 'x-env': 'Canary' }, 'plain'],
    [{ 'x-env': 'canary ' }, 'plain'],
    [{ 'x-tier': 'gold' }, 'plain'],
    [{ 'x-env': ['canary', 'canary'] }, 'plain'],
  ])('%j → %s', (headers, expected) => {
    expect(lookup(table, '/api/x', 'GET', 'gw.local', headers)).toBe(expected);
  });

  it('a header route alone is 404 for requests without the header', () => {
    const t = new RouteTable([route('canary', '/api', { headers: { 'x-env': 'canary' } })]);
    expect(lookup(t, '/api', 'GET', 'gw.local', {})).toBe('404');
  });

  it('a header mismatch falls back to a shorter prefix', () => {
    const t = new RouteTable([route('api', '/api'), route('canary-orders', '/api/orders', { headers: { 'x-env': 'canary' } })]);
    expect(lookup(t, '/api/orders/1', 'GET', 'gw.local', { 'x-env': 'canary' })).toBe('canary-orders');
    expect(lookup(t, '/api/orders/1', 'GET', 'gw.local', {})).toBe('api');
  });
});

describe('RouteTable: methods, 405 and fallthrough', () => {
  it('filters by method and answers 405 with the sorted union of allowed methods', () => {
    const t = new RouteTable([
      route('read', '/items', { methods: ['GET'] }),
      route('write', '/items', { methods: ['PUT', 'POST'] }),
      route('remove', '/items', { methods: ['DELETE'], headers: { 'x-admin': '1' } }),
    ]);
    expect(lookup(t, '/items/1', 'GET')).toBe('read');
    expect(lookup(t, '/items/1', 'POST')).toBe('write');
    expect(lookup(t, '/items/1', 'PUT')).toBe('write');
    expect(lookup(t, '/items/1', 'PATCH')).toBe('405 GET,POST,PUT');
    // The DELETE route's header condition fails, so its method is not offered.
    expect(lookup(t, '/items/1', 'DELETE')).toBe('405 GET,POST,PUT');
    expect(outcome(t.lookup('DELETE', 'gw.local', '/items/1', { 'x-admin': '1' }))).toBe('remove');
    expect(lookup(t, '/other', 'PATCH')).toBe('404');
  });

  it('405 collects the methods of every route the path matched, across prefix levels', () => {
    const t = new RouteTable([route('api-get', '/api', { methods: ['GET'] }), route('orders-post', '/api/orders', { methods: ['POST'] })]);
    expect(lookup(t, '/api/orders/1', 'DELETE')).toBe('405 GET,POST');
    expect(lookup(t, '/api/x', 'DELETE')).toBe('405 GET');
  });

  it('falls through to a shorter prefix route that accepts the method', () => {
    const t = new RouteTable([route('api', '/api'), route('orders', '/api/orders', { methods: ['GET'] })]);
    expect(lookup(t, '/api/orders', 'GET')).toBe('orders');
    expect(lookup(t, '/api/orders', 'POST')).toBe('api');
    expect(lookup(t, '/api/orders/7', 'POST')).toBe('api');
  });

  it('falls through past an exact route to the prefix route on the same path', () => {
    const t = new RouteTable([route('exact-get', '/api', { exact: true, methods: ['GET'] }), route('prefix', '/api')]);
    expect(lookup(t, '/api', 'GET')).toBe('exact-get');
    expect(lookup(t, '/api', 'POST')).toBe('prefix');
  });

  it('on one path a method-restricted route is tried before an any-method route', () => {
    const t = new RouteTable([route('any', '/x'), route('get', '/x', { methods: ['GET'] })]);
    expect(lookup(t, '/x', 'GET')).toBe('get');
    expect(lookup(t, '/x', 'POST')).toBe('any');
  });

  it('a param route at the same depth still serves a method the static route refuses', () => {
    // `/api/:x` matches `/api/orders/7` and accepts POST; the GET-only `/api/orders` must not hide it.
    const t = new RouteTable([route('orders-get', '/api/orders', { methods: ['GET'] }), route('any-collection', '/api/:x')]);
    expect(lookup(t, '/api/orders/7', 'GET')).toBe('orders-get');
    expect(lookup(t, '/api/orders/7', 'POST')).toBe('any-collection');
    expect(lookup(t, '/api/orders', 'POST')).toBe('any-collection');
  });

  it("a param route at the same depth still serves requests a static route's header condition refuses", () => {
    const h = new RouteTable([route('orders-canary', '/api/orders', { headers: { 'x-env': 'canary' } }), route('any-collection', '/api/:x')]);
    expect(lookup(h, '/api/orders/7', 'GET', 'gw.local', {})).toBe('any-collection');
  });
});

describe('RouteTable: 1,000 routes', () => {
  it('keeps every lookup correct', () => {
    const routes: Routable[] = [route('root', '/')];
    for (let i = 0; i < 250; i++) {
      routes.push(route(`svc${i}`, `/svc${i}`));
      routes.push(route(`svc${i}-items`, `/svc${i}/items`, { methods: ['GET'] }));
      routes.push(route(`svc${i}-item`, `/svc${i}/items/:id${i}`, { methods: ['GET', 'PUT'] }));
      routes.push(route(`svc${i}-host`, `/svc${i}`, { hosts: [`h${i}.example.com`] }));
    }
    expect(routes.length).toBe(1001);
    const table = new RouteTable(shuffler(7)(routes));
    for (let i = 0; i < 250; i++) {
      expect.soft(lookup(table, `/svc${i}`)).toBe(`svc${i}`);
      expect.soft(lookup(table, `/svc${i}X`)).toBe('root');
      expect.soft(lookup(table, `/svc${i}/items`)).toBe(`svc${i}-items`);
      expect.soft(lookup(table, `/svc${i}/items`, 'POST')).toBe(`svc${i}`);
      expect.soft(params(table, `/svc${i}/items/${i * 3}/x`, 'PUT')).toEqual({ [`id${i}`]: String(i * 3) });
      expect.soft(lookup(table, `/svc${i}/items/1`, 'DELETE')).toBe(`svc${i}`);
      expect.soft(lookup(table, `/svc${i}/other`, 'GET', `h${i}.example.com`)).toBe(`svc${i}-host`);
      expect.soft(lookup(table, `/svc${(i + 1) % 250}`, 'GET', `h${i}.example.com`)).toBe(`svc${(i + 1) % 250}`);
    }
  });
});
