/**
 * Routing end to end through YAML (CONTRACT "Routing"): which upstream answers, what path it gets,
 * and what the gateway answers itself (404, 405 + Allow, 400 invalid_path). Each upstream says
 * its name, so "which route won" is read off the answer.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Name of the upstream that answered, or null when the gateway answered itself. */
  who: string | null;
  /** Path (and query) the upstream received. */
  url: string | null;
  code: string | null;
}

/** Sends `path` exactly as written (no URL normalisation by the client). */
function ask(gw: TestGateway, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: gw.port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: { who?: string; url?: string; error?: { code: string } } = {};
        try {
          json = text ? (JSON.parse(text) as typeof json) : {};
        } catch {
          json = {};
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, who: json.who ?? null, url: json.url ?? null, code: json.error?.code ?? null });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const NAMES = ['api', 'orders', 'canary', 'items', 'users', 'admin', 'public', 'exact', 'ro', 'host-exact', 'host-wild', 'host-any'] as const;

/** Routes in a deliberate order: general ones before specific ones (file order must not matter). */
const ROUTES = [
  `- { name: api, match: { path: /api }, upstream: api }`,
  `- { name: orders, match: { path: /api/orders, methods: [GET, POST] }, upstream: orders }`,
  `- { name: orders-canary, match: { path: /api/orders, headers: { X-Env: canary } }, upstream: canary }`,
  `- { name: order-items, match: { path: /api/orders/:id/items }, upstream: items }`,
  `- { name: summary, match: { path: /api/orders/summary, exact: true }, upstream: exact }`,
  `- { name: user-orders, match: { path: /users/:id/orders }, upstream: users }`,
  `- { name: admin, match: { path: /admin }, upstream: admin }`,
  `- { name: public, match: { path: /public }, upstream: public }`,
  `- { name: read-only, match: { path: /ro, methods: [GET] }, upstream: ro }`,
  `- { name: write-a, match: { path: /rw, methods: [POST] }, upstream: ro }`,
  `- { name: write-b, match: { path: /rw, methods: [PUT, DELETE] }, upstream: ro }`,
  `- { name: host-any, match: { path: /h }, upstream: host-any }`,
  `- { name: host-wild, match: { path: /h, host: "*.example.com" }, upstream: host-wild }`,
  `- { name: host-exact, match: { path: /h, host: api.example.com }, upstream: host-exact }`,
];

describe('routing end to end', () => {
  const upstreams = new Map<string, TestUpstream>();
  let forward: TestGateway;
  let reversed: TestGateway;

  beforeAll(async () => {
    for (const name of NAMES) {
      upstreams.set(
        name,
        await startUpstream((req, res) => {
          const text = JSON.stringify({ who: name, url: req.url });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(req.method === 'HEAD' ? undefined : text);
        }),
      );
    }
    const ups = `upstreams:\n${NAMES.map((n) => `  ${n}: { targets: ["${upstreams.get(n)!.url}"] }`).join('\n')}\n`;
    const yaml = (routes: string[]) => `${LISTEN}${ups}routes:\n${routes.map((r) => `  ${r}`).join('\n')}\n`;
    forward = await startGateway(yaml(ROUTES));
    reversed = await startGateway(yaml([...ROUTES].reverse()));
  });

  afterAll(async () => {
    await forward?.stop();
    await reversed?.stop();
    await Promise.all([...upstreams.values()].map((u) => u.close()));
  });

  const gateways = () => [
    ['file order', forward],
    ['reversed order', reversed],
  ] as const;

  describe('the most specific route wins, whatever the file order', () => {
    it.each([
      ['/api/orders', 'orders', '/api/orders'],
      ['/api/orders/7', 'orders', '/api/orders/7'],
      ['/api/orders?x=1', 'orders', '/api/orders?x=1'],
      ['/api/ordersX', 'api', '/api/ordersX'],
      ['/api/other', 'api', '/api/other'],
      ['/api', 'api', '/api'],
      ['/apix', null, null],
      ['/api/orders/7/items', 'items', '/api/orders/7/items'],
      ['/api/orders/7/items/3', 'items', '/api/orders/7/items/3'],
      ['/api/orders/summary', 'exact', '/api/orders/summary'],
      ['/api/orders/summary/more', 'orders', '/api/orders/summary/more'],
      ['/users/42/orders', 'users', '/users/42/orders'],
      ['/users/42/orders/9', 'users', '/users/42/orders/9'],
      ['/users/42', null, null],
      ['/users/42/ordersX', null, null],
      ['/', null, null],
    ])('%s → %s', async (path, who, url) => {
      for (const [order, gw] of gateways()) {
        const res = await ask(gw, path);
        expect(res.status, order).toBe(who === null ? 404 : 200);
        expect(res.code, order).toBe(who === null ? 'not_found' : null);
        expect(res.who, order).toBe(who);
        expect(res.url, order).toBe(url);
      }
    });

    it('a method the specific route refuses falls back to the shorter prefix that takes it', async () => {
      for (const [order, gw] of gateways()) {
        const res = await ask(gw, '/api/orders/7', { method: 'DELETE' });
        expect(res.who, order).toBe('api');
      }
    });

    it.each([
      [{ 'X-Env': 'canary' }, 'canary'],
      [{ 'x-env': 'canary' }, 'canary'],
      [{ 'X-Env': 'prod' }, 'orders'],
      [{ 'X-Env': 'Canary' }, 'orders'],
      [{}, 'orders'],
    ])('header routing: %o → %s', async (headers, who) => {
      for (const [order, gw] of gateways()) {
        const res = await ask(gw, '/api/orders/1', { headers });
        expect(res.who, order).toBe(who);
      }
    });
  });

  describe('405', () => {
    it.each([
      ['/ro', 'DELETE', 'GET, HEAD'],
      ['/ro/x', 'POST', 'GET, HEAD'],
      ['/rw', 'GET', 'DELETE, POST, PUT'],
      ['/rw', 'PATCH', 'DELETE, POST, PUT'],
    ])('%s %s → 405 with Allow: %s', async (path, method, allow) => {
      for (const [order, gw] of gateways()) {
        const res = await ask(gw, path, { method });
        expect(res.status, order).toBe(405);
        expect(res.code, order).toBe('method_not_allowed');
        const got = String(res.headers.allow).split(',').map((m) => m.trim()).sort();
        expect(got, order).toEqual(allow.split(', ').sort());
      }
    });

    it('HEAD is allowed where GET is, and answers without a body', async () => {
      const raw = await rawRequest(forward.port, 'HEAD /ro/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
      expect(raw.status).toBe(200);
      expect(raw.body).toBe('');
      expect(upstreams.get('ro')!.requests.at(-1)?.method).toBe('HEAD');
    });

    it.each([
      ['/rw', 'POST'],
      ['/rw', 'PUT'],
      ['/ro', 'GET'],
    ])('%s %s is served', async (path, method) => {
      const res = await ask(forward, path, { method });
      expect(res.status).toBe(200);
      expect(res.who).toBe('ro');
    });
  });

  describe('host routing', () => {
    it.each([
      ['api.example.com', 'host-exact'],
      ['api.example.com:8443', 'host-exact'],
      ['API.Example.COM', 'host-exact'],
      ['shop.example.com', 'host-wild'],
      ['a.b.example.com:80', 'host-wild'],
      ['example.com', 'host-any'],
      ['notexample.com', 'host-any'],
      ['api.example.com.evil.net', 'host-any'],
      ['127.0.0.1', 'host-any'],
    ])('Host %s → %s', async (host, who) => {
      for (const [order, gw] of gateways()) {
        const res = await ask(gw, '/h/x', { headers: { Host: host } });
        expect(res.who, `${order} ${host}`).toBe(who);
      }
    });

    it('the absolute-form authority counts as the host', async () => {
      const raw = await rawRequest(forward.port, 'GET http://shop.example.com/h/x HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n');
      expect(raw.status).toBe(200);
      expect((JSON.parse(raw.body) as { who: string }).who).toBe('host-wild');
    });
  });

  describe('path normalisation', () => {
    it.each([
      ['/api/%2e%2e/admin', 'admin', '/admin'],
      ['/api/%2E%2E/admin/users', 'admin', '/admin/users'],
      ['//api///orders', 'orders', '/api/orders'],
      ['/api/./orders', 'orders', '/api/orders'],
      ['/api/orders/.', 'orders', '/api/orders/'],
      ['/%61pi/orders', 'orders', '/api/orders'],
      ['/%61%70%69/%6Frders/7?q=%61', 'orders', '/api/orders/7?q=%61'],
      ['/api/orders/%7e', 'orders', '/api/orders/~'],
      ['/api/orders/%c3%a9', 'orders', '/api/orders/%C3%A9'],
      ['/public/../admin', 'admin', '/admin'],
      ['/public/%2e%2e/admin', 'admin', '/admin'],
      ['/public/.%2e/admin/x', 'admin', '/admin/x'],
      ['/public/x/../../admin', 'admin', '/admin'],
      ['/../../admin', 'admin', '/admin'],
      ['/public/./x', 'public', '/public/x'],
    ])('%s reaches the %s route as %s', async (path, who, url) => {
      for (const [order, gw] of gateways()) {
        const res = await ask(gw, path);
        expect(res.status, order).toBe(200);
        expect(res.who, order).toBe(who);
        expect(res.url, order).toBe(url);
      }
    });

    it('a traversal out of /public never reaches the public upstream', () => {
      const seen = upstreams.get('public')!.requests.map((r) => r.url);
      expect(seen.every((u) => !u.includes('..') && !/%2e/i.test(u) && u.startsWith('/public'))).toBe(true);
    });

    it.each([
      '/api/orders%2F7',
      '/api/orders%2f7',
      '/public/..%2fadmin',
      '/public/..%5cadmin',
      '/api/orders%5C7',
      '/api/orders%007',
      '/api/orders/%zz',
    ])('%s → 400 invalid_path, no upstream contacted', async (path) => {
      const before = [...upstreams.values()].reduce((n, u) => n + u.requests.length, 0);
      const res = await ask(forward, path);
      expect(res.status).toBe(400);
      expect(res.code).toBe('invalid_path');
      expect([...upstreams.values()].reduce((n, u) => n + u.requests.length, 0)).toBe(before);
    });

    it('a raw backslash in the path → 400 invalid_path', async () => {
      const raw = await rawRequest(forward.port, 'GET /public\\..\\admin HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
      expect(raw.status).toBe(400);
      expect((JSON.parse(raw.body) as { error: { code: string } }).error.code).toBe('invalid_path');
    });
  });
});
