/**
 * The plugin API's lifecycle and its context fields, seen from outside with test plugins:
 * top-level (global) config, defaults for routes without the key, shared state made once per
 * compiled config and disposed when that config is retired, preflight chains, and what a plugin
 * can change in the forwarded request and the returned response.
 */
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugins/define-plugin.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

interface Shared {
  id: number;
  label: string;
}

const events: string[] = [];
let nextId = 0;

/** Stamps a header from its shared state; global `stamp: { label }`, per route `stamp: { suffix }` or the default. */
const stamp = definePlugin({
  name: 'test-stamp',
  configKey: 'stamp',
  priority: 500,
  schema: Type.Object({ suffix: Type.String() }, { additionalProperties: false }),
  globalSchema: Type.Object({ label: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  validateGlobal: (value) => (value.label === 'bad' ? [{ path: ['label'], message: 'must not be bad' }] : []),
  defaultFor: (_route, global) => (global ? { suffix: 'default' } : undefined),
  prepare(global): Shared {
    const shared = { id: ++nextId, label: global?.label ?? 'none' };
    events.push(`prepare ${shared.id}`);
    return shared;
  },
  dispose(shared: Shared) {
    events.push(`dispose ${shared.id}`);
  },
  create: (value, _route, deps) => (next) =>
    async function stampIt(ctx) {
      const shared = deps.shared as Shared;
      ctx.responseHeaders['x-stamp'] = `${shared.label}-${value.suffix}-${shared.id}`;
      await next(ctx);
    },
});

/** Exercises the context fields that change what is forwarded and returned. */
const rewrite = definePlugin({
  name: 'test-rewrite',
  configKey: 'rewriteTest',
  priority: 400,
  runsOnPreflight: true,
  answersPreflight: true,
  schema: Type.Object({ body: Type.Optional(Type.String()) }, { additionalProperties: false }),
  create: (value) => (next) =>
    async function rewriteIt(ctx) {
      if (ctx.preflight) {
        ctx.res.writeHead(204, { ...ctx.responseHeaders, 'x-preflight-route': ctx.route!.name });
        ctx.res.end();
        return;
      }
      ctx.upstreamHeaders = ['x-added', 'by-plugin'];
      ctx.hiddenRequestHeaders = new Set(['x-secret']);
      ctx.hideResponseHeaders(new Set(['server']));
      if (value.body !== undefined) ctx.requestBody = Buffer.from(value.body);
      await next(ctx);
    },
});

const registry = () => new PluginRegistry([stamp, rewrite]);

describe('plugin lifecycle and context fields', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  const config = (label: string) => `${LISTEN}
stamp: { label: ${label} }
upstreams:
  u: { targets: ["${upstream.url}"] }
routes:
  - { name: plain, match: { path: /plain }, upstream: u }
  - { name: custom, match: { path: /custom }, upstream: u, stamp: { suffix: mine } }
  - { name: rw, match: { path: /rw, methods: [GET, PUT] }, upstream: u, rewriteTest: {} }
  - { name: body, match: { path: /body, methods: [POST] }, upstream: u, rewriteTest: { body: replaced } }
  - { name: post-only, match: { path: /post-only, methods: [POST] }, upstream: u }
`;

  beforeAll(async () => {
    upstream = await startUpstream((req, res, body) => {
      const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() });
      res.writeHead(200, { 'content-type': 'application/json', server: 'upstream/1.0', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    gw = await startGateway(config('one'), { plugins: registry() });
  });
  afterAll(async () => {
    await gw.stop();
    await upstream.close();
  });

  it('applies the global default to routes without the key, and the route value where set', async () => {
    const plain = await fetch(`${gw.url}/plain`);
    const custom = await fetch(`${gw.url}/custom`);
    const id = Number(plain.headers.get('x-stamp')!.split('-').at(-1));
    expect(plain.headers.get('x-stamp')).toBe(`one-default-${id}`);
    expect(custom.headers.get('x-stamp')).toBe(`one-mine-${id}`);
  });

  it('prepares shared state once per config and disposes the old one after a reload', async () => {
    const before = Number((await fetch(`${gw.url}/plain`)).headers.get('x-stamp')!.split('-').at(-1));
    expect(events.filter((e) => e === `prepare ${before}`)).toHaveLength(1);
    const outcome = await gw.gateway.reload(config('two'));
    expect(outcome.ok).toBe(true);
    const after = (await fetch(`${gw.url}/plain`)).headers.get('x-stamp')!;
    expect(after).toBe(`two-default-${before + 1}`);
    expect(events).toContain(`dispose ${before}`);
    expect(events).not.toContain(`dispose ${before + 1}`);
  });

  it('refuses an invalid global value with its path, and keeps serving', async () => {
    const outcome = await gw.gateway.reload(config('bad'));
    expect(outcome.ok).toBe(false);
    expect(outcome.errors).toEqual([expect.stringMatching(/^stamp\.label: must not be bad \(config\.yaml:\d+\)$/)]);
    expect((await fetch(`${gw.url}/plain`)).status).toBe(200);
  });

  it('adds and hides request headers, hides response headers', async () => {
    const res = await fetch(`${gw.url}/rw`, { headers: { 'x-secret': 'token', 'x-kept': 'yes' } });
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-added']).toBe('by-plugin');
    expect(echo.headers['x-secret']).toBeUndefined();
    expect(echo.headers['x-kept']).toBe('yes');
    expect(res.headers.get('server')).toBeNull();
    // Routes without the plugin return the upstream's Server header untouched.
    expect((await fetch(`${gw.url}/plain`)).headers.get('server')).toBe('upstream/1.0');
  });

  it('forwards a buffered body instead of the stream, with its own Content-Length', async () => {
    const res = await fetch(`${gw.url}/body`, { method: 'POST', body: 'original body that is longer' });
    const echo = (await res.json()) as Echo;
    expect(echo.body).toBe('replaced');
    expect(echo.headers['content-length']).toBe('8');
  });

  it('routes a preflight by the announced method to the route preflight chain; upstream never sees it', async () => {
    const seen = upstream.requests.length;
    const res = await fetch(`${gw.url}/rw`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'PUT' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-preflight-route')).toBe('rw');
    expect(upstream.requests.length).toBe(seen);
  });

  it('treats a preflight on a route without preflight plugins as a plain OPTIONS (405 here)', async () => {
    const res = await fetch(`${gw.url}/post-only`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
