/**
 * Plugins seen from outside: test plugins registered through a custom PluginRegistry. A plugin
 * that throws is a 500 `internal_error` with nothing of the exception in the body and the stack
 * in the log; short-circuits, GatewayErrors, schema validation and priority order.
 */
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { definePlugin, type Problem } from '../../src/plugins/define-plugin.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import type { Handler } from '../../src/pipeline/compose.js';
import { captureLogger, LISTEN, startGateway, waitForLog, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

const SECRET = 'secret-detail-7f3a';

const boom = definePlugin({
  name: 'test-boom',
  configKey: 'boom',
  priority: 500,
  schema: Type.Object(
    {
      mode: Type.Union([Type.Literal('sync'), Type.Literal('async'), Type.Literal('forbidden'), Type.Literal('answer'), Type.Literal('pass')]),
      status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599 })),
    },
    { additionalProperties: false },
  ),
  validate: (value): Problem[] => (value.mode === 'answer' && value.status === undefined ? [{ path: ['status'], message: 'is required when mode is answer' }] : []),
  create: (value) => (next) => {
    switch (value.mode) {
      case 'sync':
        // Not async: the throw happens synchronously inside the chain.
        return function boomSync(): Promise<void> {
          throw new Error(`sync ${SECRET}`);
        };
      case 'async':
        return async function boomAsync() {
          await new Promise((r) => setTimeout(r, 5));
          throw new TypeError(`async ${SECRET}`);
        };
      case 'forbidden':
        return async function boomForbidden() {
          throw new GatewayError('forbidden');
        };
      case 'answer': {
        const status = value.status ?? 200;
        return async function boomAnswer(ctx) {
          const body = JSON.stringify({ answeredBy: 'plugin' });
          ctx.res.writeHead(status, { ...ctx.responseHeaders, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          ctx.res.end(body);
        };
      }
      case 'pass':
        return next;
    }
  },
});

/** Appends its name to `X-Order` on the response, then calls next: shows the chain's order. */
function tagger(name: string, configKey: string, priority: number) {
  return definePlugin({
    name,
    configKey,
    priority,
    schema: Type.Object({ on: Type.Boolean() }, { additionalProperties: false }),
    create: () => (next: Handler) =>
      async function tag(ctx) {
        const prev = ctx.responseHeaders['x-order'];
        ctx.responseHeaders['x-order'] = prev === undefined ? name : `${String(prev)},${name}`;
        await next(ctx);
      },
  });
}

// Registered lowest priority first: the order must come from priorities, not registration.
const registry = () =>
  new PluginRegistry([tagger('tag-low', 'tagLow', 100), boom, tagger('tag-high', 'tagHigh', 2000), tagger('tag-mid', 'tagMid', 900)]);

interface ErrorBody {
  error: { status: number; code: string; message: string; requestId: string };
}

describe('plugin errors and order', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startUpstream();
    gw = await startGateway(
      `${LISTEN}
upstreams: { u: { targets: ["${upstream.url}"] } }
routes:
  - { name: sync, match: { path: /sync }, upstream: u, boom: { mode: sync } }
  - { name: async, match: { path: /async }, upstream: u, boom: { mode: async } }
  - { name: forbidden, match: { path: /forbidden }, upstream: u, boom: { mode: forbidden } }
  - { name: answer, match: { path: /answer }, upstream: u, boom: { mode: answer, status: 202 } }
  - { name: ordered, match: { path: /ordered }, upstream: u, tagMid: { on: true }, tagLow: { on: true }, boom: { mode: pass }, tagHigh: { on: true } }
  - { name: plain, match: { path: /plain }, upstream: u }
`,
      { plugins: registry() },
    );
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  it.each([
    ['sync', '/sync', 'Error'],
    ['async', '/async', 'TypeError'],
  ])('a plugin that throws (%s) → 500 internal_error, nothing leaked, stack logged, next request fine', async (_mode, path, type) => {
    const seen = upstream.requests.length;
    const res = await fetch(`${gw.url}${path}`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/\bat .*:\d+:\d+|Error:|\.ts\b|\.js\b/);
    const body = JSON.parse(text) as ErrorBody;
    expect(body.error).toMatchObject({ status: 500, code: 'internal_error' });
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(upstream.requests.length).toBe(seen);

    const logged = gw.logs.find((l) => l['level'] === 'error' && l['requestId'] === body.error.requestId);
    expect(logged, 'an error log line for this request').toBeDefined();
    const err = logged!['err'] as { type: string; message: string; stack: string };
    expect(err.type).toBe(type);
    expect(err.message).toContain(SECRET);
    expect(err.stack).toMatch(/plugin-errors\.test\.ts/);
    expect(logged!['route']).toBe(path.slice(1));

    // The access log records the error too, and the gateway keeps serving.
    const access = await waitForLog(gw, (l) => l['msg'] === 'request' && l['requestId'] === body.error.requestId);
    expect(access).toMatchObject({ status: 500, error: 'internal_error' });
    expect((await fetch(`${gw.url}/plain`)).status).toBe(200);
    expect((await fetch(`${gw.url}${path}`)).status).toBe(500);
  });

  it('a plugin throwing GatewayError("forbidden") → 403 forbidden, not logged as an internal error', async () => {
    const errorsBefore = gw.logs.filter((l) => l['level'] === 'error').length;
    const res = await fetch(`${gw.url}/forbidden`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ status: 403, code: 'forbidden' });
    expect(gw.logs.filter((l) => l['level'] === 'error').length).toBe(errorsBefore);
  });

  it('a plugin that answers itself short-circuits the upstream', async () => {
    const seen = upstream.requests.length;
    const res = await fetch(`${gw.url}/answer/x`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ answeredBy: 'plugin' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(upstream.requests.length).toBe(seen);
  });

  it('runs plugins by priority, highest first, whatever the registration or YAML order', async () => {
    const res = await fetch(`${gw.url}/ordered`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-order')).toBe('tag-high,tag-mid,tag-low');
    expect(((await res.json()) as Echo).url).toBe('/ordered');
    const routes = (await (await fetch(`${gw.adminUrl}/admin/routes`)).json()) as { routes: { name: string; plugins: string[] }[] };
    expect(routes.routes.find((r) => r.name === 'ordered')?.plugins).toEqual(['tag-high', 'tag-mid', 'test-boom', 'tag-low']);
    expect(routes.routes.find((r) => r.name === 'plain')?.plugins).toEqual([]);
  });
});

describe('plugin config validation', () => {
  const problemsOf = async (routeExtra: string): Promise<string[]> => {
    const yaml = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes:\n  - { name: r, match: { path: /r }, upstream: u, ${routeExtra} }\n`;
    try {
      await Gateway.create({ configText: yaml, plugins: registry(), logger: captureLogger([]) });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('the config was accepted');
  };

  it.each([
    ['an unknown key in the plugin config', 'boom: { mode: sync, extra: 1 }', /^routes\[0\]\.boom\.extra: .* \(config\.yaml:5\)$/],
    ['a value outside the schema', 'boom: { mode: explode }', /^routes\[0\]\.boom\.mode: /],
    ['a wrong type', 'boom: { mode: answer, status: "ok" }', /^routes\[0\]\.boom\.status: /],
    ['a missing required field', 'tagHigh: {}', /^routes\[0\]\.tagHigh\.on: /],
    ["the plugin's own semantic check", 'boom: { mode: answer }', /^routes\[0\]\.boom\.status: /],
    ['an unregistered plugin key', 'nosuch: { on: true }', /^routes\[0\]\.nosuch: /],
  ])('rejects %s with a path into the plugin config', async (_what, extra, pattern) => {
    const problems = await problemsOf(extra);
    expect(problems).toEqual([expect.stringMatching(pattern)]);
  });

  it('accepts the same keys with the registry that knows them, and rejects them with the default one', async () => {
    const yaml = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes: [{ name: r, match: { path: /r }, upstream: u, tagLow: { on: true } }]\n`;
    await expect(Gateway.create({ configText: yaml, plugins: registry(), logger: captureLogger([]) })).resolves.toBeInstanceOf(Gateway);
    await expect(Gateway.create({ configText: yaml, logger: captureLogger([]) })).rejects.toMatchObject({ problems: [expect.stringMatching(/^routes\[0\]\.tagLow: /)] });
  });
});
