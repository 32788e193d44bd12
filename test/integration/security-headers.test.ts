/**
 * Security headers seen from a real client: the defaults on proxied answers and on the gateway's
 * own error answers (404, 405, 502, preflight), per-route and top-level changes, `null` removal,
 * the upstream's Server / X-Powered-By removed, HSTS only for HTTPS vouched for by a trusted proxy.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  /** [name, value, …] as received, to count repeated fields. */
  raw: string[];
  body: string;
}

function send(url: string, options: { method?: string; headers?: OutgoingHttpHeaders } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const count = (reply: Reply, name: string) => reply.raw.filter((v, i) => i % 2 === 0 && v.toLowerCase() === name).length;
const codeOf = (reply: Reply) => (JSON.parse(reply.body) as { error: { code: string } }).error.code;

const HSTS = 'max-age=31536000; includeSubDomains';

function expectDefaults(reply: Reply): void {
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['x-frame-options']).toBe('DENY');
  expect(reply.headers['referrer-policy']).toBe('no-referrer');
  expect(reply.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
}

describe('security headers', () => {
  let loud: TestUpstream;
  let gw: TestGateway;
  let trusting: TestGateway;
  let topLevel: TestGateway;

  beforeAll(async () => {
    // An upstream that announces itself and sets its own (weaker) versions of the headers.
    loud = await startUpstream((_req, res) => {
      res.setHeader('Server', 'Apache/2.4.1 (Unix)');
      res.setHeader('X-Powered-By', 'PHP/5.6');
      res.setHeader('X-Frame-Options', 'ALLOWALL');
      res.setHeader('Content-Security-Policy', "default-src *");
      res.setHeader('X-Custom', 'kept');
      res.setHeader('Content-Type', 'text/plain');
      res.end('hello');
    });
    const dead = await deadPort();
    const upstreams = `upstreams:\n  loud: { targets: ["${loud.url}"] }\n  dead: { targets: ["http://127.0.0.1:${dead}"] }\n`;
    const routes = `routes:
  - { name: plain, match: { path: /plain }, upstream: loud }
  - { name: getonly, match: { path: /getonly, methods: [GET] }, upstream: loud }
  - { name: dead, match: { path: /dead }, upstream: dead }
  - name: custom
    match: { path: /custom }
    upstream: loud
    securityHeaders: { X-Frame-Options: SAMEORIGIN, Content-Security-Policy: null, Permissions-Policy: "geolocation=(), camera=()" }
  - { name: keep, match: { path: /keep }, upstream: loud, securityHeaders: { hideUpstream: [] } }
  - { name: browser, match: { path: /browser }, upstream: loud, cors: { origins: [https://app.example.com] } }
  - { name: hide-more, match: { path: /hide-more }, upstream: loud, securityHeaders: { hideUpstream: [X-Custom] } }
  - { name: no-hsts, match: { path: /no-hsts }, upstream: loud, securityHeaders: { Strict-Transport-Security: null } }
  - { name: short-hsts, match: { path: /short-hsts }, upstream: loud, securityHeaders: { Strict-Transport-Security: "max-age=300" } }
`;
    gw = await startGateway(`${LISTEN}${upstreams}${routes}`);
    trusting = await startGateway(`${LISTEN}trustedProxies: [127.0.0.1/32]\n${upstreams}${routes}`);
    topLevel = await startGateway(`${LISTEN}${upstreams}securityHeaders:
  Referrer-Policy: strict-origin-when-cross-origin
  X-Frame-Options: null
  Cross-Origin-Opener-Policy: same-origin
  hideUpstream: [X-Powered-By]
routes:
  - { name: inherit, match: { path: /inherit }, upstream: loud }
  - { name: readd, match: { path: /readd }, upstream: loud, securityHeaders: { X-Frame-Options: SAMEORIGIN, Cross-Origin-Opener-Policy: null } }
`);
  });

  afterAll(async () => {
    await Promise.all([gw?.stop(), trusting?.stop(), topLevel?.stop()]);
    await loud?.close();
  });

  it('puts the defaults on a proxied answer, replacing the upstream values, once each', async () => {
    const reply = await send(`${gw.url}/plain`);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('hello');
    expectDefaults(reply);
    expect(count(reply, 'x-frame-options')).toBe(1);
    expect(count(reply, 'content-security-policy')).toBe(1);
    expect(reply.headers['x-custom']).toBe('kept');
    expect(reply.headers['content-type']).toBe('text/plain');
  });

  it('removes the upstream Server and X-Powered-By by default', async () => {
    const reply = await send(`${gw.url}/plain`);
    expect(reply.headers['server']).toBeUndefined();
    expect(reply.headers['x-powered-by']).toBeUndefined();
  });

  it.each<[string, string, string, number, string]>([
    ['no route (404)', 'GET', '/nowhere', 404, 'not_found'],
    ['a method the route does not take (405)', 'DELETE', '/getonly', 405, 'method_not_allowed'],
    ['an upstream that refuses (502)', 'GET', '/dead', 502, 'bad_gateway'],
  ])('puts the defaults on the error answer for %s', async (_name, method, path, status, code) => {
    const reply = await send(`${gw.url}${path}`, { method });
    expect(reply.status).toBe(status);
    expect(codeOf(reply)).toBe(code);
    expect(reply.headers['content-type']).toBe('application/json');
    expectDefaults(reply);
    expect(reply.headers['x-request-id']).toBeTruthy();
    if (status === 405) expect(reply.headers['allow']).toContain('GET');
  });

  it('puts them on a malformed request answered before routing (400)', async () => {
    const reply = await rawRequest(gw.port, 'GET /a/%2e%2e%2f..%00 HTTP/1.1\r\nHost: x\r\n\r\n', 150);
    expect(reply.status).toBe(400);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['x-frame-options']).toBe('DENY');
  });

  it('puts them on a CORS preflight answered by the gateway, without calling the upstream', async () => {
    const before = loud.requests.length;
    const reply = await send(`${gw.url}/browser`, { method: 'OPTIONS', headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'POST' } });
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expectDefaults(reply);
    expect(loud.requests.length).toBe(before);
  });

  it('merges a route value over the defaults: a new value, an added header, null removing one', async () => {
    const reply = await send(`${gw.url}/custom`);
    expect(reply.status).toBe(200);
    expect(reply.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(reply.headers['permissions-policy']).toBe('geolocation=(), camera=()');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['referrer-policy']).toBe('no-referrer');
    // The gateway no longer sets a CSP here, so the upstream's own passes unchanged.
    expect(reply.headers['content-security-policy']).toBe('default-src *');
    expect(reply.headers['server']).toBeUndefined();
  });

  it('keeps the upstream Server and X-Powered-By with hideUpstream: []', async () => {
    const reply = await send(`${gw.url}/keep`);
    expect(reply.headers['server']).toBe('Apache/2.4.1 (Unix)');
    expect(reply.headers['x-powered-by']).toBe('PHP/5.6');
    expectDefaults(reply);
  });

  it('hides exactly the listed upstream headers when hideUpstream is set', async () => {
    const reply = await send(`${gw.url}/hide-more`);
    expect(reply.headers['x-custom']).toBeUndefined();
    expect(reply.headers['server']).toBe('Apache/2.4.1 (Unix)');
  });

  it('applies the top-level value to every route and to route-less answers, and routes merge over it', async () => {
    const inherit = await send(`${topLevel.url}/inherit`);
    expect(inherit.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(inherit.headers['x-frame-options']).toBe('ALLOWALL'); // removed from the set: the upstream's passes
    expect(inherit.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(inherit.headers['x-powered-by']).toBeUndefined();
    expect(inherit.headers['server']).toBe('Apache/2.4.1 (Unix)'); // hideUpstream replaced the default list

    const readd = await send(`${topLevel.url}/readd`);
    expect(readd.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(readd.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(readd.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');

    const missing = await send(`${topLevel.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(missing.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(missing.headers['x-frame-options']).toBeUndefined();
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  describe('Strict-Transport-Security', () => {
    it('is never sent over plain http', async () => {
      expect((await send(`${gw.url}/plain`)).headers['strict-transport-security']).toBeUndefined();
      expect((await send(`${trusting.url}/plain`)).headers['strict-transport-security']).toBeUndefined();
    });

    it('is not sent for X-Forwarded-Proto: https from an untrusted peer', async () => {
      const reply = await send(`${gw.url}/plain`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(reply.status).toBe(200);
      expect(reply.headers['strict-transport-security']).toBeUndefined();
      const missing = await send(`${gw.url}/nowhere`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(missing.headers['strict-transport-security']).toBeUndefined();
    });

    it('is sent when a trusted proxy forwards an https request, on proxied and error answers', async () => {
      const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' };
      expect((await send(`${trusting.url}/plain`, { headers })).headers['strict-transport-security']).toBe(HSTS);
      const failed = await send(`${trusting.url}/dead`, { headers });
      expect(failed.status).toBe(502);
      expect(failed.headers['strict-transport-security']).toBe(HSTS);
      const missing = await send(`${trusting.url}/nowhere`, { headers });
      expect(missing.status).toBe(404);
      expect(missing.headers['strict-transport-security']).toBe(HSTS);
    });

    it.each([['http'], ['https, http'], ['wss']])('is not sent when the trusted proxy says %j', async (proto) => {
      const reply = await send(`${trusting.url}/plain`, { headers: { 'X-Forwarded-Proto': proto } });
      expect(reply.headers['strict-transport-security']).toBeUndefined();
    });

    it('follows the route: null removes it, a value replaces it', async () => {
      const headers = { 'X-Forwarded-Proto': 'https' };
      expect((await send(`${trusting.url}/no-hsts`, { headers })).headers['strict-transport-security']).toBeUndefined();
      expect((await send(`${trusting.url}/short-hsts`, { headers })).headers['strict-transport-security']).toBe('max-age=300');
    });
  });

  it.each<[string, string, RegExp]>([
    ['a CR/LF in a route value', '    securityHeaders: { X-Frame-Options: "DENY\\r\\nSet-Cookie: a=1" }\n', /^routes\[0\]\.securityHeaders\.X-Frame-Options: must be visible ASCII/],
    ['a bad header name', '    securityHeaders: { "X Frame": DENY }\n', /^routes\[0\]\.securityHeaders\["X Frame"\]: is not a valid header name/],
    ['a number as value', '    securityHeaders: { X-Frame-Options: 1 }\n', /^routes\[0\]\.securityHeaders\.X-Frame-Options: must be a header value/],
    ['a reserved header', '    securityHeaders: { Content-Length: "0" }\n', /^routes\[0\]\.securityHeaders\.Content-Length: is set by the gateway/],
  ])('refuses a config with %s, naming its path', async (_name, extra, pattern) => {
    const yaml = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes:\n  - name: r\n    match: { path: /r }\n    upstream: u\n${extra}`;
    const err = await Gateway.create({ configText: yaml, logger: captureLogger([]) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(pattern)]);
  });
});
