/**
 * CORS through YAML, seen by a plain HTTP client: the global default, a per-route policy,
 * `cors: false`, credentials, `*`, Vary, preflights answered before auth without reaching the
 * upstream, CORS headers on the gateway's own errors, hostile and look-alike origins, and the
 * config errors. (The browser's view is in cors-browser.test.ts.)
 *
 * Auth is stood in for by a test plugin at auth's priority (1000) that answers 401 to
 * everything: the preflight must be answered before it, and its 401 must carry CORS headers.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { BUILTIN_PLUGINS } from '../../src/plugins/builtin.js';
import { definePlugin } from '../../src/plugins/define-plugin.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** Stands for the auth plugin: every request it sees is refused with 401. */
const denyAll = definePlugin({
  name: 'test-deny-all',
  configKey: 'testDenyAll',
  priority: 1000,
  schema: Type.Boolean({ description: 'test only' }),
  create: () => () =>
    async function denyAll() {
      throw new GatewayError('invalid_token', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    },
});
const registry = () => new PluginRegistry([...BUILTIN_PLUGINS, denyAll]);

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(url: string, options: { method?: string; headers?: OutgoingHttpHeaders } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const corsHeaders = (reply: Reply) => Object.keys(reply.headers).filter((name) => name.startsWith('access-control-')).sort();
const preflight = (origin: string, method: string, requestHeaders?: string): OutgoingHttpHeaders => ({
  origin,
  'access-control-request-method': method,
  ...(requestHeaders === undefined ? {} : { 'access-control-request-headers': requestHeaders }),
});

const APP = 'https://app.example.com';
const CREDS_ORIGIN = 'http://127.0.0.1:5173';

describe('cors', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    // Echoes, with a Vary of its own, a header worth exposing, and (under /leaky) its own CORS headers.
    upstream = await startUpstream((req, res) => {
      const body = JSON.stringify({ method: req.method, url: req.url });
      res.setHeader('content-type', 'application/json');
      res.setHeader('vary', 'Accept-Encoding');
      res.setHeader('x-upstream-note', 'n1');
      if (req.url?.includes('leaky')) {
        res.setHeader('access-control-allow-origin', '*');
        res.setHeader('access-control-allow-credentials', 'true');
      }
      res.end(body);
    });
    gw = await startGateway(
      `${LISTEN}
upstreams:
  u: { targets: ["${upstream.url}"] }
  dead: { targets: ["http://127.0.0.1:${await deadPort()}"] }
cors:
  origins: [${APP}, "https://*.example.com"]
  methods: [GET, POST, PUT]
  headers: [Content-Type, X-Custom]
  exposeHeaders: [X-Request-ID, X-Upstream-Note]
  maxAge: 10m
routes:
  - { name: default, match: { path: /default }, upstream: u }
  - name: creds
    match: { path: /creds }
    upstream: u
    cors: { origins: ["${CREDS_ORIGIN}"], credentials: true, headers: [Authorization], exposeHeaders: [X-Upstream-Note] }
  - { name: off, match: { path: /off }, upstream: u, cors: false }
  - { name: public, match: { path: /public }, upstream: u, cors: { origins: ["*"], exposeHeaders: [X-Upstream-Note] } }
  - { name: protected, match: { path: /protected, methods: [GET, DELETE] }, upstream: u, testDenyAll: true }
  - { name: down, match: { path: /down }, upstream: dead }
`,
      { plugins: registry() },
    );
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
  });

  describe('the global default', () => {
    it.each([APP, 'https://a.example.com', 'https://deep.sub.example.com'])('answers an allowed origin (%s) with its own origin and the exposed headers', async (origin) => {
      const res = await send(`${gw.url}/default/x`, { headers: { origin } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-expose-headers']).toBe('X-Request-ID, X-Upstream-Note');
      // Not credentialed, and the preflight-only headers stay off a plain answer.
      expect(corsHeaders(res)).toEqual(['access-control-allow-origin', 'access-control-expose-headers']);
      // The upstream's Vary is kept and Origin appended.
      expect(res.headers['vary']).toBe('Accept-Encoding, Origin');
    });

    it.each([
      ['a hyphenated look-alike', 'https://evil-example.com'],
      ['a suffix trick', 'https://example.com.evil.net'],
      ['userinfo', 'https://app.example.com@evil.net'],
      ['the bare domain of the pattern', 'https://example.com'],
      ['another scheme', 'http://app.example.com'],
      ['another port', 'https://app.example.com:8443'],
      ['upper case', 'HTTPS://APP.EXAMPLE.COM'],
      ['a trailing dot', 'https://app.example.com.'],
      ['null', 'null'],
      ['two origins in one header', `${APP}, https://evil.net`],
    ])('gives %s (%s) no CORS header at all, yet the simple request proceeds', async (_what, origin) => {
      const seen = upstream.requests.length;
      const res = await send(`${gw.url}/default/x`, { headers: { origin } });
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
      expect(res.headers['vary']).toBe('Accept-Encoding, Origin');
      expect(upstream.requests.length).toBe(seen + 1);
    });

    it('a request without Origin gets no CORS headers but still Vary: Origin', async () => {
      const res = await send(`${gw.url}/default`);
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
      expect(res.headers['vary']).toBe('Accept-Encoding, Origin');
    });

    it('drops the upstream’s own CORS headers: the gateway’s policy is the only one', async () => {
      const evil = await send(`${gw.url}/default/leaky`, { headers: { origin: 'https://evil.net' } });
      expect(evil.status).toBe(200);
      expect(corsHeaders(evil)).toEqual([]);
      const ok = await send(`${gw.url}/default/leaky`, { headers: { origin: APP } });
      expect(ok.headers['access-control-allow-origin']).toBe(APP);
      expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    });
  });

  describe('preflight', () => {
    it('is answered 204 by the gateway with the allow-lists, and never reaches the upstream', async () => {
      const seen = upstream.requests.length;
      const res = await send(`${gw.url}/default/items/7`, { method: 'OPTIONS', headers: preflight(APP, 'PUT', 'content-type, x-custom') });
      expect(res.status).toBe(204);
      expect(res.body).toBe('');
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-allow-methods']).toBe('GET, POST, PUT');
      expect(res.headers['access-control-allow-headers']).toBe('Content-Type, X-Custom');
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers['access-control-expose-headers']).toBeUndefined();
      expect(res.headers['vary']).toBe('Origin');
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(upstream.requests.length).toBe(seen);
    });

    it('answers a disallowed origin with a bare 204: no CORS headers, so the browser never sends the call', async () => {
      const seen = upstream.requests.length;
      for (const origin of ['https://evil-example.com', 'https://example.com', 'null']) {
        const res = await send(`${gw.url}/default`, { method: 'OPTIONS', headers: preflight(origin, 'PUT', 'x-custom') });
        expect(res.status).toBe(204);
        expect(corsHeaders(res)).toEqual([]);
        expect(res.headers['vary']).toBe('Origin');
      }
      expect(upstream.requests.length).toBe(seen);
    });

    it('lists only the configured headers, whatever the browser asks for (the browser then refuses)', async () => {
      const res = await send(`${gw.url}/default`, { method: 'OPTIONS', headers: preflight(APP, 'POST', 'x-evil, authorization') });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBe('Content-Type, X-Custom');
      expect(res.headers['access-control-allow-methods']).toBe('GET, POST, PUT');
    });

    it('on a protected route is answered 204 without credentials, before auth; the real call gets a 401 the page can read', async () => {
      const seen = upstream.requests.length;
      const pre = await send(`${gw.url}/protected/1`, { method: 'OPTIONS', headers: preflight(APP, 'DELETE', 'content-type') });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(APP);
      // The route's match.methods do not narrow an explicit cors.methods list.
      expect(pre.headers['access-control-allow-methods']).toBe('GET, POST, PUT');
      expect(pre.headers['www-authenticate']).toBeUndefined();

      const res = await send(`${gw.url}/protected/1`, { method: 'DELETE', headers: { origin: APP } });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { status: 401, code: 'invalid_token' } });
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(res.headers['access-control-allow-origin']).toBe(APP);
      expect(res.headers['access-control-expose-headers']).toBe('X-Request-ID, X-Upstream-Note');
      expect(res.headers['vary']).toBe('Origin');
      expect(upstream.requests.length).toBe(seen);
    });

    it('a plain OPTIONS (no Access-Control-Request-Method) is no preflight: it goes through the route', async () => {
      const res = await send(`${gw.url}/protected/1`, { method: 'OPTIONS', headers: { origin: APP } });
      // The route takes only GET and DELETE: 405 from the router, before any route (or CORS) ran.
      expect(res.status).toBe(405);
      expect(corsHeaders(res)).toEqual([]);
      const plain = await send(`${gw.url}/default`, { method: 'OPTIONS', headers: { origin: APP } });
      expect(plain.status).toBe(200);
      expect(JSON.parse(plain.body)).toEqual({ method: 'OPTIONS', url: '/default' });
      expect(plain.headers['access-control-allow-origin']).toBe(APP);
      expect(plain.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  it('puts CORS headers on the gateway’s own error answers (502 upstream down)', async () => {
    const res = await send(`${gw.url}/down`, { headers: { origin: APP } });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_gateway' } });
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-expose-headers']).toBe('X-Request-ID, X-Upstream-Note');
    expect(res.headers['vary']).toBe('Origin');
  });

  describe('a per-route policy with credentials', () => {
    it('echoes the exact origin with Allow-Credentials, never *', async () => {
      const res = await send(`${gw.url}/creds`, { headers: { origin: CREDS_ORIGIN } });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(CREDS_ORIGIN);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-expose-headers']).toBe('X-Upstream-Note');
    });

    it('replaces the global default as a whole', async () => {
      const res = await send(`${gw.url}/creds`, { headers: { origin: APP } });
      expect(corsHeaders(res)).toEqual([]);
      const pre = await send(`${gw.url}/creds`, { method: 'OPTIONS', headers: preflight(CREDS_ORIGIN, 'PATCH', 'authorization') });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-credentials']).toBe('true');
      expect(pre.headers['access-control-allow-headers']).toBe('Authorization');
      // No methods on the route or in its policy: the default list; no maxAge: none sent.
      expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
      expect(pre.headers['access-control-max-age']).toBeUndefined();
    });

    it('gives a look-alike of the credentialed origin nothing', async () => {
      for (const origin of ['http://127.0.0.1:5174', 'http://localhost:5173', 'https://127.0.0.1:5173', 'http://127.0.0.1:5173.evil.net']) {
        expect(corsHeaders(await send(`${gw.url}/creds`, { headers: { origin } }))).toEqual([]);
      }
    });
  });

  it('origins ["*"] answers * (never the echoed origin), without credentials, and not to null', async () => {
    const res = await send(`${gw.url}/public`, { headers: { origin: 'https://anyone.test' } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['access-control-expose-headers']).toBe('X-Upstream-Note');
    expect(res.headers['vary']).toBe('Accept-Encoding, Origin');
    expect(corsHeaders(await send(`${gw.url}/public`, { headers: { origin: 'null' } }))).toEqual([]);
  });

  it('cors: false turns the default off: no CORS headers, no Vary: Origin, the upstream’s own CORS headers pass', async () => {
    const res = await send(`${gw.url}/off`, { headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual([]);
    expect(res.headers['vary']).toBe('Accept-Encoding');
    const leaky = await send(`${gw.url}/off/leaky`, { headers: { origin: APP } });
    expect(leaky.headers['access-control-allow-origin']).toBe('*');
    const pre = await send(`${gw.url}/off`, { method: 'OPTIONS', headers: preflight(APP, 'PUT') });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const routes = (await (await fetch(`${gw.adminUrl}/admin/routes`)).json()) as { routes: { name: string; plugins: string[] }[] };
    const pluginsOf = (name: string) => routes.routes.find((r) => r.name === name)?.plugins ?? [];
    expect(pluginsOf('off')).not.toContain('cors');
    expect(pluginsOf('default')).toContain('cors');
    expect(pluginsOf('protected')).toEqual(expect.arrayContaining(['cors', 'test-deny-all']));
  });
});

describe('cors config errors', () => {
  const problemsOf = async (top: string, routeExtra = ''): Promise<string[]> => {
    const yaml = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\n${top}routes:\n  - { name: r, match: { path: /r }, upstream: u${routeExtra} }\n`;
    try {
      await Gateway.create({ configText: yaml, logger: captureLogger([]) });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('the config was accepted');
  };

  it.each([
    ['"*" with credentials on a route', '', ', cors: { origins: ["*"], credentials: true }', /^routes\[0\]\.cors\.origins: never "\*" with credentials/],
    ['"*" with credentials at the top level', 'cors: { origins: ["*"], credentials: true }\n', '', /^cors\.origins: never "\*" with credentials/],
    ['the null origin', '', ', cors: { origins: [https://a.example.com, "null"] }', /^routes\[0\]\.cors\.origins\[1\]: .*never allowed/],
    ['an origin with a path', 'cors: { origins: ["https://a.example.com/"] }\n', '', /^cors\.origins\[0\]: .*no path/],
    ['a pattern over a whole TLD', '', ', cors: { origins: ["https://*.com"] }', /^routes\[0\]\.cors\.origins\[0\]: .*two labels/],
    ['a mistyped key at the top level', 'cors: { origins: ["*"], exposeHeader: [X-A] }\n', '', /^cors\.exposeHeader: unknown key/],
    ['a bad maxAge', 'cors: { origins: ["*"], maxAge: 10 minutes }\n', '', /^cors\.maxAge: must be a duration/],
    ['an unknown method', 'cors: { origins: ["*"], methods: [FETCH] }\n', '', /^cors\.methods\[0\]: must be one of GET, /],
    ['a bad header name', 'cors: { origins: ["*"], headers: ["X Bad"] }\n', '', /^cors\.headers\[0\]: must be a header name/],
    ['no origins', 'cors: { origins: [] }\n', '', /^cors\.origins: /],
    ['cors: true on a route', '', ', cors: true', /^routes\[0\]\.cors: must be false or \{ origins/],
    ['a mistyped key on a route', '', ', cors: { origins: ["https://app.example.com"], origin: ["*"] }', /^routes\[0\]\.cors\.origin: unknown key/],
  ])('refuses %s', async (_what, top, routeExtra, pattern) => {
    expect(await problemsOf(top, routeExtra)).toEqual([expect.stringMatching(pattern)]);
  });

  it('cors: false is not accepted at the top level (no default is simply no key)', async () => {
    expect(await problemsOf('cors: false\n')).toEqual([expect.stringMatching(/^cors: /)]);
  });
});
