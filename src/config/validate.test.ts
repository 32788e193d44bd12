import { describe, expect, it } from 'vitest';
import { checkConfigText, formatPath } from './pipeline.js';
import { defaultRegistry } from '../plugins/builtin.js';

const registry = defaultRegistry();

function check(yaml: string, env: Record<string, string> = {}) {
  return checkConfigText(yaml, 'config.yaml', registry, env);
}

/** The problem lines whose path is exactly `path` (before the `:`). */
function linesAt(lines: string[], path: string): string[] {
  return lines.filter((l) => l.startsWith(`${path}: `));
}

const UPSTREAMS = `upstreams:
  orders: { targets: ["http://127.0.0.1:8002"] }
`;

/** A config with the given routes YAML (indented list items) after a fixed two-line upstreams block. */
function withRoutes(routes: string, head = ''): string {
  return `${head}${UPSTREAMS}routes:\n${routes}`;
}

describe('formatPath', () => {
  it.each<[(string | number)[], string]>([
    [[], '(root)'],
    [['listen'], 'listen'],
    [['routes', 2, 'upstream'], 'routes[2].upstream'],
    [['upstreams', 'orders', 'targets', 0, 'url'], 'upstreams.orders.targets[0].url'],
    [['routes', 0, 'match', 'headers', 'X-Env'], 'routes[0].match.headers.X-Env'],
    [['upstreams', 'a b'], 'upstreams["a b"]'],
  ])('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('validate: a valid config', () => {
  it('accepts a minimal config', () => {
    const result = check(withRoutes(`  - name: orders
    match: { path: /api/orders }
    upstream: orders
`));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.config?.routes[0]?.name).toBe('orders');
  });

  it('accepts the core keys of CONTRACT', () => {
    const result = check(`listen: 127.0.0.1:8080
admin: { listen: 127.0.0.1:9901, token: \${ADMIN_TOKEN:-} }
trustedProxies: [127.0.0.1/32, "::1", 10.0.0.0/8, "fd00::/8"]
limits: { maxBodySize: 10mb, requestTimeout: 30s, maxHeaderSize: 16kb }
upstreams:
  orders:
    targets: [http://127.0.0.1:8002, { url: "http://127.0.0.1:8003", weight: 2 }, "https://[::1]:8443/base"]
    balancer: weighted
    timeouts: { connect: 2s, response: 30s }
routes:
  - name: orders
    match: { path: /api/orders/:id, methods: [GET, POST], host: API.example.com, headers: { X-Env: canary } }
    upstream: orders
    stripPrefix: true
  - name: wild
    match: { path: /, host: ["*.example.com", example.com], exact: true }
    upstream: orders
    rewrite: /v2
`);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.config).toBeDefined();
  });

  it('accepts a JSON config', () => {
    const result = checkConfigText(
      JSON.stringify({ upstreams: { orders: { targets: ['http://127.0.0.1:8002'] } }, routes: [{ name: 'a', match: { path: '/a' }, upstream: 'orders' }] }, null, 2),
      'config.json',
      registry,
      {},
    );
    expect(result.errors).toEqual([]);
  });

  it('reports a missing required key at its parent', () => {
    const result = check(withRoutes(`  - name: orders
    match: { path: /api/orders }
`));
    expect(result.errors).toEqual(['routes[0].upstream: is required (config.yaml:4)']);
    expect(check('routes: []\n').errors).toEqual(['upstreams: is required (config.yaml:1)']);
  });
});

describe('validate: unknown keys', () => {
  it.each<[string, string, string, number]>([
    ['top level', `listn: 127.0.0.1:8080\n${withRoutes('  - { name: a, match: { path: /a }, upstream: orders }\n')}`, 'listn', 1],
    ['in admin', `admin:\n  listen: 127.0.0.1:9901\n  tokn: x\n${withRoutes('  - { name: a, match: { path: /a }, upstream: orders }\n')}`, 'admin.tokn', 3],
    ['in limits', `limits: { maxBodySiz: 1mb }\n${withRoutes('  - { name: a, match: { path: /a }, upstream: orders }\n')}`, 'limits.maxBodySiz', 1],
    [
      'in an upstream',
      `upstreams:\n  orders:\n    targets: ["http://127.0.0.1:8002"]\n    timeouts:\n      conect: 2s\nroutes: []\n`,
      'upstreams.orders.timeouts.conect',
      5,
    ],
    ['in a target object', `upstreams:\n  orders:\n    targets:\n      - { url: "http://127.0.0.1:1", wieght: 2 }\nroutes: []\n`, 'upstreams.orders.targets[0].wieght', 4],
    ['in a route', withRoutes('  - name: a\n    match: { path: /a }\n    upstream: orders\n    stripprefix: true\n'), 'routes[0].stripprefix', 7],
    ['in a match', withRoutes('  - name: a\n    upstream: orders\n    match:\n      path: /a\n      pathh: /b\n'), 'routes[0].match.pathh', 8],
  ])('%s', (_where, yaml, path, line) => {
    const { errors, config } = check(yaml);
    expect(config).toBeUndefined();
    // Inside a union (a target is a string or an object), an object value is checked as the object branch: the key is named.
    expect(errors).toContain(`${path}: unknown key (config.yaml:${line})`);
    for (const e of errors) expect(e).toMatch(/^\S+: .+ \(config\.yaml:\d+\)$/);
  });

  it('a misspelt required key gives the unknown key and the missing one', () => {
    const { errors } = check(withRoutes('  - name: a\n    upstream: orders\n    match:\n      pathh: /a\n'));
    expect(errors).toContain('routes[0].match.pathh: unknown key (config.yaml:7)');
    expect(errors).toContain('routes[0].match.path: is required (config.yaml:7)');
  });
});

describe('validate: cross references', () => {
  const yaml = withRoutes(`  - name: a
    match: { path: /a }
    upstream: orders
  - name: b
    match: { path: /b }
    upstream: orders
  - name: c
    match: { path: /c }
    upstream: ordrs
`);

  it('an unknown upstream is one line in the CONTRACT format', () => {
    const { errors, config } = check(yaml);
    expect(config).toBeUndefined();
    expect(errors).toEqual(['routes[2].upstream: unknown upstream "ordrs" (config.yaml:12)']);
  });

  it('upstream names are not looked up on the prototype', () => {
    const { errors } = check(withRoutes('  - { name: a, match: { path: /a }, upstream: toString }\n'));
    expect(errors).toEqual(['routes[0].upstream: unknown upstream "toString" (config.yaml:4)']);
  });

  it('duplicate route names are errors at the later route', () => {
    const { errors } = check(
      withRoutes(`  - name: a
    match: { path: /a }
    upstream: orders
  - name: a
    match: { path: /b }
    upstream: orders
`),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^routes\[1\]\.name: .*"a".* \(config\.yaml:7\)$/);
  });
});

describe('validate: durations and sizes', () => {
  const head = (limits: string, timeouts: string) => `limits: ${limits}
upstreams:
  orders:
    targets: ["http://127.0.0.1:8002"]
    timeouts: ${timeouts}
routes: []
`;

  it.each(['250ms', '30s', '5m', '1h', '1.5s', '0s'])('accepts duration %s', (d) => {
    expect(check(head('{}', `{ connect: ${d}, response: ${d} }`)).errors).toEqual([]);
  });

  it.each(['2', '"2"', '2sec', '-1s', '1.5.5s', 's', '2 s', '2S', '1w', 'true', '""'])('refuses duration %s', (d) => {
    const { errors } = check(head('{}', `{ connect: ${d} }`));
    expect(linesAt(errors, 'upstreams.orders.timeouts.connect')).toHaveLength(1);
    expect(errors[0]).toMatch(/\(config\.yaml:5\)$/);
    expect(errors).toHaveLength(1);
  });

  it.each(['512b', '64kb', '10mb', '1gb', '10MB', '1.5kb'])('accepts size %s', (s) => {
    expect(check(head(`{ maxBodySize: ${s} }`, '{}')).errors).toEqual([]);
  });

  it.each(['10', '10m', '10 mb', '1tb', '-1kb', 'kb', '10mbs'])('refuses size %s', (s) => {
    const { errors } = check(head(`{ maxBodySize: ${s} }`, '{}'));
    expect(errors).toEqual([expect.stringMatching(/^limits\.maxBodySize: .+ \(config\.yaml:1\)$/)]);
  });

  it('refuses a bad duration in limits', () => {
    const { errors } = check(head('{ requestTimeout: forever }', '{}'));
    expect(errors).toEqual([expect.stringMatching(/^limits\.requestTimeout: .+ \(config\.yaml:1\)$/)]);
  });
});

describe('validate: upstream target URLs', () => {
  const target = (t: string) => `upstreams:\n  orders:\n    targets:\n      - ${t}\nroutes: []\n`;

  it.each(['"http://127.0.0.1:8002"', '"https://orders.internal"', '"http://[::1]:8080"', '"http://h:1/base/path"', '{ url: "http://h:1", weight: 3 }'])('accepts %s', (t) => {
    expect(check(target(t)).errors).toEqual([]);
  });

  it.each([
    ['"ftp://127.0.0.1/x"', 'upstreams.orders.targets[0]'],
    ['"http://user:pass@127.0.0.1:8002"', 'upstreams.orders.targets[0]'],
    ['"http://user@127.0.0.1:8002"', 'upstreams.orders.targets[0]'],
    ['"http://127.0.0.1:8002/?q=1"', 'upstreams.orders.targets[0]'],
    ['"http://127.0.0.1:8002/#frag"', 'upstreams.orders.targets[0]'],
    ['"127.0.0.1:8002"', 'upstreams.orders.targets[0]'],
    ['"not a url"', 'upstreams.orders.targets[0]'],
    ['"file:///etc/passwd"', 'upstreams.orders.targets[0]'],
    ['{ url: "ftp://h" }', 'upstreams.orders.targets[0].url'],
  ])('refuses %s at %s', (t, path) => {
    const { errors } = check(target(t));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: .+ \\(config\\.yaml:4\\)$`));
  });

  it('an upstream needs at least one target', () => {
    expect(linesAt(check('upstreams:\n  orders: { targets: [] }\nroutes: []\n').errors, 'upstreams.orders.targets')).toHaveLength(1);
  });
});

describe('validate: listeners', () => {
  const admin = (a: string) => `admin: ${a}\nupstreams: {}\nroutes: []\n`;

  it.each([
    '{ listen: 127.0.0.1:9901 }',
    '{ listen: 127.0.0.2:9901 }',
    '{ listen: "[::1]:9901" }',
    '{ listen: localhost:9901 }',
    '{ listen: 0.0.0.0:9901, token: s3cret }',
    '{ listen: "[::]:9901", token: s3cret }',
    '{ listen: 10.1.2.3:9901, token: s3cret }',
    '{ token: s3cret }',
    '{}',
  ])('accepts admin %s', (a) => {
    expect(check(admin(a)).errors).toEqual([]);
  });

  it.each(['{ listen: 0.0.0.0:9901 }', '{ listen: "[::]:9901" }', '{ listen: 10.1.2.3:9901 }', '{ listen: 0.0.0.0:9901, token: "" }', '{ listen: gateway.internal:9901 }'])(
    'refuses a non-loopback admin without a token: %s',
    (a) => {
      expect(check(admin(a)).errors).toEqual([expect.stringMatching(/^admin\.listen: .+ \(config\.yaml:1\)$/)]);
    },
  );

  it('an empty token from an unset variable with an empty default keeps admin loopback-only', () => {
    const yaml = 'admin:\n  listen: 0.0.0.0:9901\n  token: ${ADMIN_TOKEN:-}\nupstreams: {}\nroutes: []\n';
    expect(check(yaml).errors).toEqual([expect.stringMatching(/^admin\.listen: .+ \(config\.yaml:2\)$/)]);
    expect(check(yaml, { ADMIN_TOKEN: 't' }).errors).toEqual([]);
  });

  it.each(['8080', '127.0.0.1', '127.0.0.1:99999', ':8080', '[127.0.0.1]:80', '::1:8080', 'http://127.0.0.1:8080'])('refuses listen %s', (l) => {
    expect(check(`listen: "${l}"\nupstreams: {}\nroutes: []\n`).errors).toEqual([expect.stringMatching(/^listen: .+ \(config\.yaml:1\)$/)]);
    expect(check(`admin: { listen: "${l}" }\nupstreams: {}\nroutes: []\n`).errors).toEqual([expect.stringMatching(/^admin\.listen: .+ \(config\.yaml:1\)$/)]);
  });
});

describe('validate: trustedProxies', () => {
  it('reports each bad CIDR at its index and line', () => {
    const { errors } = check(`trustedProxies:
  - 10.0.0.0/8
  - 10.0.0.0/33
  - "::1/129"
  - 300.1.1.1
  - 10.0.0.0/-1
  - "fd00::/8"
  - 10.0.0.0/8/8
  - nonsense
upstreams: {}
routes: []
`);
    expect(errors.map((e) => e.replace(/: .* \(/, ' ('))).toEqual([
      'trustedProxies[1] (config.yaml:3)',
      'trustedProxies[2] (config.yaml:4)',
      'trustedProxies[3] (config.yaml:5)',
      'trustedProxies[4] (config.yaml:6)',
      'trustedProxies[6] (config.yaml:8)',
      'trustedProxies[7] (config.yaml:9)',
    ]);
  });
});

describe('validate: route paths', () => {
  const routeWithPath = (p: string) => withRoutes(`  - name: a\n    match: { path: '${p}' }\n    upstream: orders\n`);

  it.each(['/', '/api', '/api/', '/api/orders/:id', '/users/:user_id/orders/:orderId', '/a/.well-known', '/café', '/a-b_c~d', '/v1.2'])('accepts %s', (p) => {
    expect(check(routeWithPath(p)).errors).toEqual([]);
  });

  it.each([
    '/api//x',
    '/api/../x',
    '/api/./x',
    '/api/..',
    '/%61pi',
    '/api/%2f',
    '/api/%zz',
    '/caf%C3%A9',
    '/a%20b',
    'api',
    '',
    '/api\\x',
    '/api/*',
    '/api/*/x',
    '/api/x*',
    '/a:b',
    '/:1x',
    '/:',
    '/:a-b',
    '/users/:id:x',
  ])('refuses %j', (p) => {
    const { errors } = check(routeWithPath(p));
    expect(errors).toEqual([expect.stringMatching(/^routes\[0\]\.match\.path: .+ \(config\.yaml:5\)$/)]);
  });
});

describe('validate: hosts and headers', () => {
  const routeWithHost = (h: string) => withRoutes(`  - name: a\n    match: { path: /, host: ${h} }\n    upstream: orders\n`);

  it.each(['api.example.com', 'API.Example.COM', '"*.example.com"', 'localhost', 'a-b.c1.io', '[a.test, "*.b.test"]'])('accepts host %s', (h) => {
    expect(check(routeWithHost(h)).errors).toEqual([]);
  });

  it.each([
    ['"*"', 'routes[0].match.host'],
    ['"api.*.com"', 'routes[0].match.host'],
    ['"*.*.example.com"', 'routes[0].match.host'],
    ['"exa mple.com"', 'routes[0].match.host'],
    ['"-bad.example.com"', 'routes[0].match.host'],
    ['"api.example.com:8080"', 'routes[0].match.host'],
    ['"api.example.com."', 'routes[0].match.host'],
    ['"http://api.example.com"', 'routes[0].match.host'],
    ['""', 'routes[0].match.host'],
    ['[ok.example.com, "bad_host"]', 'routes[0].match.host[1]'],
  ])('refuses host %s at %s', (h, path) => {
    const { errors } = check(routeWithHost(h));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.startsWith(`${path}: `)).toBe(true);
    expect(errors[0]).toMatch(/\(config\.yaml:5\)$/);
  });

  it('refuses an invalid header name', () => {
    const { errors } = check(withRoutes('  - name: a\n    match:\n      path: /\n      headers: { "X Env": canary }\n    upstream: orders\n'));
    expect(errors).toEqual([expect.stringMatching(/^routes\[0\]\.match\.headers\["X Env"\]: .+ \(config\.yaml:7\)$/)]);
  });
});

describe('validate: rewrite', () => {
  it('refuses rewrite together with stripPrefix', () => {
    const { errors } = check(withRoutes('  - name: a\n    match: { path: /a }\n    upstream: orders\n    stripPrefix: true\n    rewrite: /b\n'));
    expect(errors).toEqual([expect.stringMatching(/^routes\[0\]\.rewrite: .+ \(config\.yaml:8\)$/)]);
  });

  it.each(['/b', '/', '/v2/api'])('accepts rewrite %s', (r) => {
    expect(check(withRoutes(`  - name: a\n    match: { path: /a }\n    upstream: orders\n    rewrite: ${r}\n`)).errors).toEqual([]);
  });

  it.each(['b', '/b//c', '/b/../c', '/b/:id', '/b/*'])('refuses rewrite %s', (r) => {
    const { errors } = check(withRoutes(`  - name: a\n    match: { path: /a }\n    upstream: orders\n    rewrite: "${r}"\n`));
    expect(errors).toEqual([expect.stringMatching(/^routes\[0\]\.rewrite: .+ \(config\.yaml:7\)$/)]);
  });
});

describe('validate: every problem at once', () => {
  it('reports five semantic problems as five lines', () => {
    const { errors, config } = check(`trustedProxies: [10.0.0.0/33]
upstreams:
  orders: { targets: ["ftp://127.0.0.1:8002"] }
routes:
  - name: a
    match: { path: /a }
    upstream: ordrs
  - name: a
    match: { path: "/b//c" }
    upstream: orders
`);
    expect(config).toBeUndefined();
    expect(errors.map((e) => e.split(': ')[0])).toEqual(['trustedProxies[0]', 'upstreams.orders.targets[0]', 'routes[0].upstream', 'routes[1].name', 'routes[1].match.path']);
    expect(errors.map((e) => /\(config\.yaml:(\d+)\)$/.exec(e)?.[1])).toEqual(['1', '3', '7', '8', '9']);
  });

  it('reports schema and semantic problems together (five kinds → five lines)', () => {
    const { errors, config } = check(`admin: { listen: 0.0.0.0:9901 }
limits: { requestTimeout: 30 seconds }
trustedProxies: [10.0.0.0/33]
upstreams:
  orders: { targets: ["http://127.0.0.1:8002"], balancr: weighted }
routes:
  - name: a
    match: { path: /a }
    upstream: ordrs
`);
    expect(config).toBeUndefined();
    expect(errors.map((e) => e.split(': ')[0]).sort()).toEqual(['admin.listen', 'limits.requestTimeout', 'routes[0].upstream', 'trustedProxies[0]', 'upstreams.orders.balancr']);
  });
});

describe('validate: shadowed routes', () => {
  it('warns, naming both routes, when a route can never match', () => {
    const result = check(
      withRoutes(`  - name: orders-b
    match: { path: /api/orders }
    upstream: orders
  - name: orders-a
    match: { path: /api/orders }
    upstream: orders
`),
    );
    expect(result.errors).toEqual([]);
    expect(result.config).toBeDefined();
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^routes\[0\]: .*"orders-b".*"orders-a".* \(config\.yaml:4\)$/);
  });

  it.each<[string, string, string]>([
    ['same methods', 'methods: [GET, POST]', 'methods: [POST, GET]'],
    ['a subset of methods', 'methods: [GET, POST]', 'methods: [POST]'],
    ['different param names', 'path: /u/:uid', 'path: /u/:id'],
    ['hosts in another order and case', 'host: [A.test, b.test]', 'host: [b.test, a.test]'],
    ['header names in another case', 'headers: { X-Env: canary }', 'headers: { x-env: canary }'],
  ])('warns for %s', (_what, first, second) => {
    const m = (extra: string) => (extra.startsWith('path:') ? `{ ${extra} }` : `{ path: /u/:x, ${extra} }`);
    const result = check(withRoutes(`  - { name: a, match: ${m(first)}, upstream: orders }\n  - { name: b, match: ${m(second)}, upstream: orders }\n`));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/^routes\[1\]: .*"b".*"a".* \(config\.yaml:5\)$/)]);
  });

  it('warns when a GET route shadows a HEAD-only route (HEAD follows GET)', () => {
    const result = check(withRoutes('  - { name: a, match: { path: /x, methods: [GET] }, upstream: orders }\n  - { name: b, match: { path: /x, methods: [HEAD] }, upstream: orders }\n'));
    expect(result.warnings).toEqual([expect.stringMatching(/^routes\[1\]: .*"b".*"a"/)]);
  });

  it.each<[string, string, string]>([
    ['different methods', 'methods: [GET]', 'methods: [POST]'],
    ['a method-restricted route before an any-method one', 'methods: [GET]', 'exact: false'],
    ['a later name with more methods', 'methods: [GET]', 'methods: [GET, POST]'],
    ['different headers', 'headers: { X-Env: canary }', 'headers: { X-Env: stable }'],
    ['more headers', 'headers: { X-Env: canary }', 'headers: { X-Env: canary, X-Tier: gold }'],
    ['header vs none', 'headers: { X-Env: canary }', 'exact: false'],
    ['exact vs prefix', 'exact: true', 'exact: false'],
    ['different hosts', 'host: a.test', 'host: b.test'],
    ['host vs any host', 'host: a.test', 'exact: false'],
    ['different paths', 'path: /u/:x/a', 'path: /u/:x/b'],
  ])('does not warn for look-alikes: %s', (_what, first, second) => {
    const m = (extra: string) => (extra.startsWith('path:') ? `{ ${extra} }` : `{ path: /u/:x, ${extra} }`);
    const result = check(withRoutes(`  - { name: a, match: ${m(first)}, upstream: orders }\n  - { name: b, match: ${m(second)}, upstream: orders }\n`));
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
