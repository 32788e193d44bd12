/**
 * The admin listener: health, readiness, Prometheus metrics with CONTRACT names and bounded
 * labels, the route and upstream views, the admin token, the dashboard, 404 and 405.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { eventually as poll, sleep } from '../helpers/eventually.js';
import { rawRequest } from '../helpers/raw.js';
import { echoHandler, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** This file's polls: 2 s default deadline, 20 ms steps. */
const eventually = (check: () => unknown, timeoutMs = 2000) => poll(check, timeoutMs, 20);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format; throws on a line that is neither comment nor sample. */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels);
  return samples.find((s) => s.name === name && want.length === Object.keys(s.labels).length && want.every(([k, v]) => s.labels[k] === v))?.value;
}

interface ErrorBody {
  error: { status: number; code: string; requestId: string };
}

describe('admin listener', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(`${LISTEN}
upstreams:
  orders: { targets: ["${upstream.url}"] }
  users: { targets: ["${upstream.url}/v1", { url: "${upstream.url}", weight: 2 }], balancer: weighted }
routes:
  - name: orders
    match: { path: /api/orders, methods: [GET, POST] }
    upstream: orders
    stripPrefix: true
  - name: users
    match: { path: /api/users/:id, host: api.example.com }
    upstream: users
`);
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  const metrics = async () => {
    const res = await fetch(`${gw.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    return parseMetrics(await res.text());
  };

  it('GET /health → 200', async () => {
    const res = await fetch(`${gw.adminUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /ready → 200 with a loaded config', async () => {
    const res = await fetch(`${gw.adminUrl}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', generation: 1 });
  });

  it('GET /metrics is Prometheus text with the CONTRACT names and types', async () => {
    const res = await fetch(`${gw.adminUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types } = parseMetrics(await res.text());
    expect(Object.fromEntries([...types].filter(([n]) => n.startsWith('portcullis_')))).toMatchObject({
      portcullis_requests_total: 'counter',
      portcullis_request_duration_seconds: 'histogram',
      portcullis_upstream_duration_seconds: 'histogram',
      portcullis_inflight_requests: 'gauge',
    });
  });

  it('counts traffic by route name, method and status', async () => {
    const send = async (path: string, init: RequestInit & { host?: string } = {}) => {
      const res = await fetch(`${gw.url}${path}`, init);
      await res.arrayBuffer();
      return res.status;
    };
    expect(await send('/api/orders/1')).toBe(200);
    expect(await send('/api/orders/2?x=1')).toBe(200);
    expect(await send('/api/orders', { method: 'POST', body: '{}' })).toBe(200);
    expect(await send('/api/orders/3', { method: 'DELETE' })).toBe(405);
    expect(await send('/nowhere')).toBe(404);

    await eventually(async () => {
      const { samples } = await metrics();
      expect(value(samples, 'portcullis_requests_total', { route: 'orders', method: 'GET', status: '200' })).toBe(2);
      expect(value(samples, 'portcullis_requests_total', { route: 'orders', method: 'POST', status: '200' })).toBe(1);
      // A 405 is counted once, under the route name or the no-route label, never under the path.
      const deleted = samples.filter((s) => s.name === 'portcullis_requests_total' && s.labels['method'] === 'DELETE');
      expect(deleted.map((s) => [s.labels['status'], s.value])).toEqual([['405', 1]]);
      expect(['orders', '(none)']).toContain(deleted[0]!.labels['route']);
      const notFound = samples.filter((s) => s.name === 'portcullis_requests_total' && s.labels['status'] === '404');
      expect(notFound).toHaveLength(1);
      expect(notFound[0]!.labels['route']).not.toMatch(/nowhere/);
      expect(value(samples, 'portcullis_request_duration_seconds_count', { route: 'orders' })).toBe(3 + (deleted[0]?.labels['route'] === 'orders' ? 1 : 0));
      expect(value(samples, 'portcullis_request_duration_seconds_bucket', { route: 'orders', le: '+Inf' })).toBe(value(samples, 'portcullis_request_duration_seconds_count', { route: 'orders' }));
      expect(value(samples, 'portcullis_upstream_duration_seconds_count', { upstream: 'orders' })).toBe(3);
      expect(value(samples, 'portcullis_upstream_duration_seconds_sum', { upstream: 'orders' })).toBeGreaterThan(0);
      expect(value(samples, 'portcullis_inflight_requests', {})).toBe(0);
    });
  });

  it('shows a request in flight in portcullis_inflight_requests', async () => {
    const slow = await startUpstream(async (req, res, body) => {
      await sleep(300);
      echoHandler(req, res, body);
    });
    const slowGw = await startGateway(`${LISTEN}upstreams: { slow: { targets: ["${slow.url}"] } }\nroutes: [{ name: slow, match: { path: /slow }, upstream: slow }]\n`);
    try {
      const pending = fetch(`${slowGw.url}/slow`);
      await eventually(() => expect(slow.requests).toHaveLength(1));
      const during = parseMetrics(await (await fetch(`${slowGw.adminUrl}/metrics`)).text());
      expect(value(during.samples, 'portcullis_inflight_requests', {})).toBe(1);
      expect((await pending).status).toBe(200);
    } finally {
      await slowGw.stop();
      await slow.close();
    }
  });

  it('keeps labels bounded: 50 distinct unknown paths add no series', async () => {
    await (await fetch(`${gw.url}/warm-up-404`)).arrayBuffer();
    const seriesOf = (samples: Sample[]) =>
      new Set(samples.filter((s) => s.name.startsWith('portcullis_request')).map((s) => `${s.name}${JSON.stringify(s.labels)}`));
    let before: Set<string> = new Set();
    await eventually(async () => {
      const { samples } = await metrics();
      before = seriesOf(samples);
      expect(samples.some((s) => s.name === 'portcullis_requests_total' && s.labels['status'] === '404' && s.value >= 1)).toBe(true);
    });
    const tokens = Array.from({ length: 50 }, () => randomBytes(6).toString('hex'));
    for (const token of tokens) {
      const res = await fetch(`${gw.url}/${token}/x?${token}=1`);
      expect(res.status).toBe(404);
      await res.arrayBuffer();
    }
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    for (const token of tokens) expect(text).not.toContain(token);
    const after = seriesOf(parseMetrics(text).samples);
    expect([...after].filter((s) => !before.has(s))).toEqual([]);
  });

  it('GET /admin/routes lists the compiled routes', async () => {
    const res = await fetch(`${gw.adminUrl}/admin/routes`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { generation: number; routes: Record<string, unknown>[] };
    expect(body.generation).toBe(1);
    expect(body.routes).toHaveLength(2);
    const byName = Object.fromEntries(body.routes.map((r) => [r['name'], r]));
    expect(byName['orders']).toMatchObject({ upstream: 'orders', stripPrefix: true, match: { path: '/api/orders', methods: expect.arrayContaining(['GET', 'POST']) } });
    expect(byName['users']).toMatchObject({ upstream: 'users', stripPrefix: false, match: { path: '/api/users/:id', hosts: ['api.example.com'] } });
  });

  it('GET /admin/upstreams lists targets with weights and connection stats', async () => {
    const res = await fetch(`${gw.adminUrl}/admin/upstreams`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { upstreams: { name: string; balancer: string; targets: { url: string; weight: number; connections: Record<string, number> }[] }[] };
    const byName = Object.fromEntries(body.upstreams.map((u) => [u.name, u]));
    expect(byName['orders']?.targets).toEqual([expect.objectContaining({ url: upstream.url, weight: 1 })]);
    expect(byName['orders']?.targets[0]?.connections).toMatchObject({ connected: expect.any(Number), running: 0, pending: 0 });
    expect(byName['users']).toMatchObject({ balancer: 'weighted' });
    expect(byName['users']?.targets.map((t) => [t.url, t.weight])).toEqual([
      [`${upstream.url}/v1`, 1],
      [upstream.url, 2],
    ]);
  });

  it('GET / serves the dashboard page', async () => {
    const res = await fetch(`${gw.adminUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/^<!doctype html>/i);
  });

  it.each(['/nope', '/admin/nope', '/admin', '/healthz'])('unknown admin path %s → 404 JSON', async (path) => {
    const res = await fetch(`${gw.adminUrl}${path}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it.each([
    ['POST', '/health', 'GET'],
    ['DELETE', '/ready', 'GET'],
    ['POST', '/metrics', 'GET'],
    ['PUT', '/admin/routes', 'GET'],
    ['POST', '/admin/upstreams', 'GET'],
    ['GET', '/admin/reload', 'POST'],
    ['POST', '/', 'GET'],
  ])('%s %s → 405 with Allow', async (method, path, allowed) => {
    const res = await fetch(`${gw.adminUrl}${path}`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(/,\s*/)).toContain(allowed);
    expect(((await res.json()) as ErrorBody).error.code).toBe('method_not_allowed');
  });
});

describe('admin token', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const TOKEN = 'admin-secret-123';
  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(`listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: "${TOKEN}" }
upstreams: { u: { targets: ["${upstream.url}"] } }
routes: [{ name: r, match: { path: /r }, upstream: u }]
`);
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  const calls = [
    ['GET', '/admin/routes'],
    ['GET', '/admin/upstreams'],
    ['POST', '/admin/reload'],
  ] as const;

  it.each(calls.flatMap(([method, path]) => [
    [method, path, 'no header', undefined],
    [method, path, 'a wrong token', `Bearer ${TOKEN}x`],
    [method, path, 'a Basic header', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    [method, path, 'the token without Bearer', TOKEN],
  ]))('%s %s with %s → 401 JSON with WWW-Authenticate', async (method, path, _what, authorization) => {
    const res = await fetch(`${gw.adminUrl}${path}`, { method, headers: authorization === undefined ? {} : { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it.each(calls)('%s %s with the right token → 200', async (method, path) => {
    const res = await fetch(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('a reload without the token changes nothing', async () => {
    const before = gw.gateway.current().generation;
    expect((await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST' })).status).toBe(401);
    expect(gw.gateway.current().generation).toBe(before);
  });

  it.each([
    ['absolute-form', 'http://127.0.0.1/admin/routes'],
    ['double slash', '//admin/routes'],
    ['dot segment', '/x/../admin/routes'],
    ['encoded letter', '/admin/%72outes'],
    ['trailing slash', '/admin/routes/'],
    ['upper case', '/ADMIN/routes'],
  ])('no spelling of an admin path gets past the token (%s)', async (_what, target) => {
    const res = await rawRequest(Number(new URL(gw.adminUrl).port), `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect([400, 401, 404]).toContain(res.status);
    expect(res.body).not.toContain('"routes"');
  });

  it.each(['/health', '/ready', '/metrics', '/'])('%s stays open without a token', async (path) => {
    const res = await fetch(`${gw.adminUrl}${path}`);
    expect(res.status).toBe(200);
  });
});

describe('readiness while stopping', () => {
  it('GET /ready answers 503 once the gateway is draining', async () => {
    const slow = await startUpstream(async (req, res, body) => {
      await sleep(400);
      echoHandler(req, res, body);
    });
    const gw = await startGateway(`${LISTEN}limits: { drainTimeout: 5s }\nupstreams: { slow: { targets: ["${slow.url}"] } }\nroutes: [{ name: slow, match: { path: /slow }, upstream: slow }]\n`);
    try {
      expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);
      const pending = fetch(`${gw.url}/slow`);
      await eventually(() => expect(slow.requests).toHaveLength(1));
      const stopped = gw.stop();
      const ready = await fetch(`${gw.adminUrl}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready' });
      // Liveness is unaffected, and the request in flight still completes.
      expect((await fetch(`${gw.adminUrl}/health`)).status).toBe(200);
      expect((await pending).status).toBe(200);
      await stopped;
    } finally {
      await gw.stop();
      await slow.close();
    }
  });
});
