import { describe, expect, it } from 'vitest';
import { loadConfigText } from './load.js';

const FILE = 'config.yaml';

/** Loads a one-key document `v: <scalar>` and returns the expanded value and problems. */
function expandOne(scalar: string, env: Record<string, string>) {
  const loaded = loadConfigText(`v: ${scalar}\n`, FILE, env);
  return { value: (loaded.data as { v?: unknown } | undefined)?.v, problems: loaded.problems };
}

describe('loadConfigText: YAML and JSON', () => {
  it('reads YAML into plain data, keeping scalar types', () => {
    const loaded = loadConfigText(
      `listen: 127.0.0.1:8080
upstreams:
  orders:
    targets: [http://127.0.0.1:8002, { url: "http://127.0.0.1:8003", weight: 2 }]
routes:
  - name: orders
    match: { path: /api/orders, methods: [GET, POST] }
    upstream: orders
    stripPrefix: true
`,
      FILE,
      {},
    );
    expect(loaded.problems).toEqual([]);
    expect(loaded.fileName).toBe(FILE);
    expect(loaded.data).toEqual({
      listen: '127.0.0.1:8080',
      upstreams: { orders: { targets: ['http://127.0.0.1:8002', { url: 'http://127.0.0.1:8003', weight: 2 }] } },
      routes: [{ name: 'orders', match: { path: '/api/orders', methods: ['GET', 'POST'] }, upstream: 'orders', stripPrefix: true }],
    });
  });

  it('reads JSON text, with variables and line positions', () => {
    const text = `{
  "listen": "127.0.0.1:8080",
  "upstreams": { "orders": { "targets": ["\${ORDERS_URL}"] } },
  "routes": [
    { "name": "a", "match": { "path": "/a" }, "upstream": "orders" },
    { "name": "b", "match": { "path": "/b" }, "upstream": "orders" }
  ]
}`;
    const loaded = loadConfigText(text, 'config.json', { ORDERS_URL: 'http://127.0.0.1:9000' });
    expect(loaded.problems).toEqual([]);
    expect(loaded.data).toMatchObject({ upstreams: { orders: { targets: ['http://127.0.0.1:9000'] } }, routes: [{ name: 'a' }, { name: 'b' }] });
    expect(loaded.locate(['routes', 1, 'upstream'])).toBe('config.json:6');
    expect(loaded.locate(['upstreams', 'orders', 'targets', 0])).toBe('config.json:3');
  });

  it('reports a JSON syntax error with file:line and no data', () => {
    const loaded = loadConfigText('{\n  "listen": "127.0.0.1:8080",\n  "routes": [\n', 'config.json', {});
    expect(loaded.data).toBeUndefined();
    expect(loaded.problems.length).toBeGreaterThan(0);
    for (const p of loaded.problems) expect(p.message).toMatch(/\(config\.json:\d+\)$/);
  });
});

describe('loadConfigText: environment variables', () => {
  const env = { HOST: 'api.local', PORT: '8080', EMPTY: '', LIST: '[1, 2]', NESTED: '${HOST}', COLON: 'a:b' };

  it.each<[string, unknown]>([
    ['${HOST}', 'api.local'],
    ['"http://${HOST}:${PORT}/x"', 'http://api.local:8080/x'],
    ['${HOST}${PORT}', 'api.local8080'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${UNSET:-}', ''],
    ['"${UNSET:-a:b/c d}"', 'a:b/c d'],
    ['${HOST:-fallback}', 'api.local'],
    ['${EMPTY}', ''],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY:-}', ''],
    ['$${HOST}', '${HOST}'],
    ['$${UNSET}', '${UNSET}'],
    ['"$${HOST:-x} and ${HOST}"', '${HOST:-x} and api.local'],
    ['$HOST', '$HOST'],
    ['${LIST}', '[1, 2]'],
    ['${NESTED}', '${HOST}'],
    ['${COLON}', 'a:b'],
    ['8080', 8080],
    ['true', true],
  ])('%s → %j', (scalar, expected) => {
    const { value, problems } = expandOne(scalar, env);
    expect(problems).toEqual([]);
    expect(value).toEqual(expected);
  });

  it('an unset variable without a default is a problem at the value path', () => {
    const loaded = loadConfigText(
      `upstreams:
  orders:
    targets:
      - http://127.0.0.1:8002
      - \${ORDERS_B}
routes:
  - name: a
    upstream: \${UPSTREAM}
`,
      FILE,
      { ORDERS_A: 'x' },
    );
    expect(loaded.problems.map((p) => p.path)).toEqual([
      ['upstreams', 'orders', 'targets', 1],
      ['routes', 0, 'upstream'],
    ]);
    expect(loaded.problems[0]!.message).toContain('ORDERS_B');
    expect(loaded.problems[1]!.message).toContain('UPSTREAM');
    expect(loaded.locate(loaded.problems[0]!.path)).toBe('config.yaml:5');
    expect(loaded.locate(loaded.problems[1]!.path)).toBe('config.yaml:8');
  });

  it('reads variables only from the env it is given', () => {
    expect(expandOne('${PATH}', {}).problems).toHaveLength(1);
    expect(expandOne('${PATH}', { PATH: '/bin' }).value).toBe('/bin');
  });

  it('does not expand keys', () => {
    const loaded = loadConfigText('headers:\n  ${HOST}: x\n', FILE, { HOST: 'h' });
    expect(loaded.data).toEqual({ headers: { '${HOST}': 'x' } });
  });

  it("loads the CONTRACT's admin line, a variable inside a flow mapping", () => {
    // CONTRACT.md "Config file": `admin: { listen: 127.0.0.1:9901, token: ${ADMIN_TOKEN:-} }`
    const loaded = loadConfigText('admin: { listen: 127.0.0.1:9901, token: ${ADMIN_TOKEN:-} }\n', FILE, {});
    expect(loaded.problems).toEqual([]);
    expect(loaded.data).toEqual({ admin: { listen: '127.0.0.1:9901', token: '' } });
    const set = loadConfigText('admin: { listen: 127.0.0.1:9901, token: ${ADMIN_TOKEN:-} }\n', FILE, { ADMIN_TOKEN: 's3cret' });
    expect(set.data).toEqual({ admin: { listen: '127.0.0.1:9901', token: 's3cret' } });
  });

  it('expands variables inside flow sequences and maps, and keeps $${} literal there', () => {
    const loaded = loadConfigText('targets: [${A}, "http://${HOST}:1", $${A}]\nm: {x: ${A}, y: ${UNSET:-d}}\n', FILE, { A: 'a', HOST: 'h' });
    expect(loaded.problems).toEqual([]);
    expect(loaded.data).toEqual({ targets: ['a', 'http://h:1', '${A}'], m: { x: 'a', y: 'd' } });
  });

  it('an unset variable in a flow mapping is still reported at its path and line', () => {
    const loaded = loadConfigText('listen: x\nadmin: { token: ${ADMIN_TOKEN} }\n', FILE, {});
    expect(loaded.problems.map((p) => p.path)).toEqual([['admin', 'token']]);
    expect(loaded.locate(['admin', 'token'])).toBe('config.yaml:2');
  });

  it('a value never changes the structure of the document', () => {
    const loaded = loadConfigText('a: ${V}\nb: [${V}]\n', FILE, { V: 'x, y: [z]} #' });
    expect(loaded.data).toEqual({ a: 'x, y: [z]} #', b: ['x, y: [z]} #'] });
  });

  it('keys spelled with the same ${} text are still duplicate keys', () => {
    const loaded = loadConfigText('headers:\n  ${H}: a\n  ${H}: b\n', FILE, {});
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]!.message).toMatch(/duplicate key.*\(config\.yaml:3\)$/i);
  });
});

describe('loadConfigText: syntax errors and duplicate keys', () => {
  it.each([
    ['an unclosed flow sequence', 'listen: 127.0.0.1:8080\nupstreams:\n  orders: { targets: [http://x }\nroutes: []\n', 3],
    ['a tab indent', 'listen: x\nupstreams:\n\torders: {}\n', 3],
    ['a bad indent', 'upstreams:\n  orders:\n    targets: []\n   balancer: x\n', 4],
    ['a mapping in a plain value', 'listen: x\nroutes: a: b\nupstreams: {}\n', 2],
  ])('%s is a syntax error at its line', (_what, text, line) => {
    const loaded = loadConfigText(text, FILE, {});
    expect(loaded.data).toBeUndefined();
    expect(loaded.problems.length).toBeGreaterThan(0);
    expect(loaded.problems[0]!.message).toMatch(new RegExp(`\\(config\\.yaml:${line}\\)$`));
    for (const p of loaded.problems) expect(p.message).toMatch(/\(config\.yaml:\d+\)$/);
  });

  it('a duplicate key is reported at the second occurrence', () => {
    const loaded = loadConfigText('listen: 127.0.0.1:8080\nupstreams: {}\nroutes: []\nlisten: 127.0.0.1:9090\n', FILE, {});
    expect(loaded.data).toBeUndefined();
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]!.message).toMatch(/duplicate key/i);
    expect(loaded.problems[0]!.message).toMatch(/\(config\.yaml:4\)$/);
  });

  it('a duplicate key deep inside a route is reported at its line', () => {
    const text = `routes:
  - name: a
    match:
      path: /a
      path: /b
`;
    const loaded = loadConfigText(text, FILE, {});
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]!.message).toMatch(/duplicate key.*\(config\.yaml:5\)$/i);
  });

  it('a duplicate key in JSON is reported too', () => {
    const loaded = loadConfigText('{\n  "listen": "a",\n  "listen": "b"\n}\n', 'config.json', {});
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]!.message).toMatch(/duplicate key.*\(config\.json:3\)$/i);
  });

  it('an empty document loads as empty data without problems', () => {
    const loaded = loadConfigText('', FILE, {});
    expect(loaded.problems).toEqual([]);
    expect(loaded.data ?? null).toBeNull();
  });
});

describe('loadConfigText: locate()', () => {
  const text = [
    'listen: 127.0.0.1:8080', // 1
    'upstreams:', // 2
    '  orders:', // 3
    '    targets: [http://127.0.0.1:8002]', // 4
    'routes:', // 5
    '  - name: a', // 6
    '    match: { path: /a }', // 7
    '    upstream: orders', // 8
    '  - name: b', // 9
    '    match:', // 10
    '      path: /b', // 11
    '      headers:', // 12
    '        X-Env: canary', // 13
    '', // 14
    '    upstream: ordrs', // 15
    '', //
  ].join('\n');
  const loaded = loadConfigText(text, FILE, {});

  it.each<[(string | number)[], number]>([
    [['listen'], 1],
    [['upstreams', 'orders'], 4],
    [['upstreams', 'orders', 'targets'], 4],
    [['upstreams', 'orders', 'targets', 0], 4],
    [['routes', 0], 6],
    [['routes', 0, 'match', 'path'], 7],
    [['routes', 1], 9],
    [['routes', 1, 'name'], 9],
    [['routes', 1, 'upstream'], 15],
    [['routes', 1, 'match', 'path'], 11],
    [['routes', 1, 'match', 'headers', 'X-Env'], 13],
  ])('%j is at line %i', (path, line) => {
    expect(loaded.problems).toEqual([]);
    expect(loaded.locate(path)).toBe(`config.yaml:${line}`);
  });

  it.each<[(string | number)[], (string | number)[], number]>([
    // a missing key falls back to its nearest existing parent node
    [['routes', 0, 'match', 'methods'], ['routes', 0, 'match'], 7],
    [['routes', 1, 'stripPrefix'], ['routes', 1], 9],
    [['routes', 1, 'match', 'methods'], ['routes', 1, 'match'], 11],
    [['routes', 1, 'match', 'headers', 'X-Other'], ['routes', 1, 'match', 'headers'], 13],
    [['routes', 7, 'name'], ['routes'], 6],
    [['upstreams', 'orderz', 'targets'], ['upstreams'], 3],
    [['admin', 'listen'], [], 1],
  ])('missing %j falls back to %j (line %i)', (missing, parent, line) => {
    expect(loaded.locate(missing)).toBe(loaded.locate(parent));
    expect(loaded.locate(missing)).toBe(`config.yaml:${line}`);
  });
});
