/**
 * What the gateway adds to and removes from headers on the way through (CONTRACT "What the
 * gateway adds and removes"), seen from a real client and a real upstream, plus the access log.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection; header names are sent with the case given. */
function send(url: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Names of the raw headers the upstream received, as spelled on the wire. */
function rawNames(echo: Echo): string[] {
  return echo.rawHeaders.filter((_, i) => i % 2 === 0);
}

/** The access log line for a request id; the line is written when the response closes. */
async function accessLog(gw: TestGateway, requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = gw.logs.find((l) => l.msg === 'request' && l.requestId === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access log line for ${requestId}`);
}

describe('proxy headers', () => {
  let echo: TestUpstream;
  let fancy: TestUpstream;
  let gw: TestGateway;
  let trusting: TestGateway;

  beforeAll(async () => {
    echo = await startUpstream();
    // An upstream answering with hop-by-hop fields, fields named in its Connection, and cookies.
    fancy = await startUpstream((_req, res) => {
      res.setHeader('Connection', 'keep-alive, X-Upstream-Hop');
      res.setHeader('X-Upstream-Hop', 'secret');
      res.setHeader('Keep-Alive', 'timeout=77, max=999');
      res.setHeader('Proxy-Authenticate', 'Basic realm="upstream"');
      res.setHeader('Upgrade', 'h2c');
      res.setHeader('Trailer', 'X-Checksum');
      res.setHeader('Proxy-Connection', 'keep-alive');
      res.setHeader('X-Kept', 'yes');
      res.setHeader('Set-Cookie', ['a=1; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2; HttpOnly', 'c=3']);
      // Chunked (no Content-Length): node refuses a Trailer field on a fixed-length response.
      res.end('ok');
    });
    const routes = `
upstreams:
  echo: { targets: ["${echo.url}"] }
  fancy: { targets: ["${fancy.url}"] }
routes:
  - name: echo
    match: { path: /echo }
    upstream: echo
  - name: keep-host
    match: { path: /keep-host }
    upstream: echo
    preserveHost: true
  - name: fancy
    match: { path: /fancy }
    upstream: fancy
  - name: get-only
    match: { path: /get-only, methods: [GET] }
    upstream: echo
`;
    gw = await startGateway(LISTEN + routes);
    trusting = await startGateway(`${LISTEN}trustedProxies: [127.0.0.1/32]\n${routes}`);
  });

  afterAll(async () => {
    await gw?.stop();
    await trusting?.stop();
    await echo?.close();
    await fancy?.close();
  });

  describe('X-Request-ID', () => {
    it('is generated as a UUID when absent, and the same id goes upstream', async () => {
      const res = await send(`${gw.url}/echo`);
      expect(res.status).toBe(200);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(UUID);
      expect((JSON.parse(res.body) as Echo).headers['x-request-id']).toBe(id);
    });

    it('is different for each request', async () => {
      const a = await send(`${gw.url}/echo`);
      const b = await send(`${gw.url}/echo`);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it.each(['abc-123', 'trace.id:7@edge/a+b=', 'A'.repeat(128)])('keeps a valid incoming id %#', async (incoming) => {
      const res = await send(`${gw.url}/echo`, { headers: { 'X-Request-ID': incoming } });
      expect(res.headers['x-request-id']).toBe(incoming);
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers['x-request-id']).toBe(incoming);
      // Exactly one copy upstream: the client's is not forwarded beside the gateway's.
      expect(rawNames(up).filter((n) => n.toLowerCase() === 'x-request-id')).toHaveLength(1);
    });

    it.each([
      ['too long', 'A'.repeat(129)],
      ['with spaces', 'has some spaces'],
      ['with quotes and semicolons', '"x";drop'],
      ['non-ascii', 'caf\u00e9'],
    ])('replaces an invalid incoming id (%s)', async (_label, incoming) => {
      const res = await rawRequest(
        gw.port,
        Buffer.from(`GET /echo HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Request-ID: ${incoming}\r\n\r\n`, 'latin1'),
      );
      expect(res.status).toBe(200);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(UUID);
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers['x-request-id']).toBe(id);
      expect(rawNames(up).filter((n) => n.toLowerCase() === 'x-request-id')).toHaveLength(1);
    });

    it.each([
      ['404', '/nowhere', 'GET', 'not_found'],
      ['405', '/get-only', 'DELETE', 'method_not_allowed'],
    ])('is on error responses too (%s), generated or kept, and equals the body requestId', async (_label, path, method, code) => {
      const generated = await send(`${gw.url}${path}`, { method });
      expect(generated.headers['x-request-id']).toMatch(UUID);
      const body = JSON.parse(generated.body) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe(code);
      expect(body.error.requestId).toBe(generated.headers['x-request-id']);

      const kept = await send(`${gw.url}${path}`, { method, headers: { 'X-Request-ID': 'mine-42' } });
      expect(kept.headers['x-request-id']).toBe('mine-42');
      expect((JSON.parse(kept.body) as { error: { requestId: string } }).error.requestId).toBe('mine-42');
    });
  });

  describe('request headers the upstream never sees', () => {
    it('drops hop-by-hop fields and the fields named in Connection', async () => {
      // Odd spellings tell the client's copy apart from the framing the gateway's own client adds.
      const res = await rawRequest(gw.port, [
        'POST /echo HTTP/1.1\r\nHost: gw\r\n' +
          'CoNNecTion: keep-alive, X-Hop-A, x-hop-b\r\n' +
          'KeeP-AlivE: timeout=99\r\n' +
          'tE: trailers\r\n' +
          'TraileR: X-Checksum\r\n' +
          'UpgradE: websocket\r\n' +
          'Proxy-AuthorizatioN: Basic c2VjcmV0OnNlY3JldA==\r\n' +
          'Proxy-ConnectioN: keep-alive\r\n' +
          'X-Hop-A: 1\r\nX-HOP-B: 2\r\n' +
          'X-Plain: kept\r\n' +
          'TransfeR-EncodinG: chunked\r\n\r\n',
        '5\r\nhello\r\n0\r\n\r\n',
      ]);
      expect(res.status).toBe(200);
      const up = JSON.parse(res.body) as Echo;
      expect(up.body).toBe('hello');
      expect(up.headers['x-plain']).toBe('kept');
      for (const name of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-hop-a', 'x-hop-b']) {
        expect(up.headers[name], name).toBeUndefined();
      }
      // Connection and Transfer-Encoding may exist as the gateway's own framing, never as the client's copies.
      expect(rawNames(up)).not.toContain('CoNNecTion');
      expect(rawNames(up)).not.toContain('TransfeR-EncodinG');
      expect(String(up.headers.connection ?? '')).not.toMatch(/x-hop/i);
      expect(up.headers['transfer-encoding'] ?? 'chunked').toBe('chunked');
    });

    it('a Connection header cannot delete the gateway-set X-Forwarded-For and X-Request-ID', async () => {
      const res = await send(`${gw.url}/echo`, {
        headers: { Connection: 'X-Forwarded-For, X-Request-ID, X-Forwarded-Proto, X-Forwarded-Host', 'X-Forwarded-For': '6.6.6.6', 'X-Request-ID': 'client-id' },
      });
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(up.headers['x-forwarded-proto']).toBe('http');
      expect(up.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
      expect(up.headers['x-request-id']).toBe(res.headers['x-request-id']);
      expect(up.headers['x-request-id']).toBeTruthy();
    });

    it.each([
      ['plain', { 'X-User-ID': 'admin', 'X-User-Email': 'boss@example.com', 'X-User-Role': 'admin', 'X-Consumer': 'acme' }],
      ['odd case', { 'x-USER-id': 'admin', 'X-user-EMAIL': 'boss@example.com', 'X-USER-ROLE': 'admin', 'x-consumer': 'acme' }],
      ['named in Connection', { Connection: 'X-User-ID, X-Consumer', 'X-User-ID': 'admin', 'X-Consumer': 'acme', 'X-User-Role': 'admin' }],
    ])('removes client identity headers (%s)', async (_label, headers) => {
      for (const gateway of [gw, trusting]) {
        const res = await send(`${gateway.url}/echo`, { headers });
        const up = JSON.parse(res.body) as Echo;
        for (const name of ['x-user-id', 'x-user-email', 'x-user-role', 'x-consumer']) expect(up.headers[name], name).toBeUndefined();
      }
    });

    it('removes every copy of a repeated identity header', async () => {
      const res = await rawRequest(gw.port, 'GET /echo HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-User-ID: 1\r\nx-user-id: 2\r\nX-USER-ID: 3\r\n\r\n');
      const up = JSON.parse(res.body) as Echo;
      expect(rawNames(up).map((n) => n.toLowerCase())).not.toContain('x-user-id');
    });
  });

  describe('response headers the client never sees', () => {
    it('drops the upstream hop-by-hop fields and those its Connection names, keeps the rest', async () => {
      const res = await send(`${gw.url}/fancy`);
      expect(res.status).toBe(200);
      expect(res.body).toBe('ok');
      expect(res.headers['x-kept']).toBe('yes');
      for (const name of ['x-upstream-hop', 'proxy-authenticate', 'upgrade', 'trailer', 'proxy-connection']) expect(res.headers[name], name).toBeUndefined();
      // The gateway's own listener may send Connection/Keep-Alive; never the upstream's values.
      expect(String(res.headers.connection ?? '')).not.toMatch(/x-upstream-hop/i);
      expect(String(res.headers['keep-alive'] ?? '')).not.toMatch(/77|999/);
    });

    it('keeps every Set-Cookie value separate', async () => {
      const res = await send(`${gw.url}/fancy`);
      expect(res.headers['set-cookie']).toEqual(['a=1; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'b=2; HttpOnly', 'c=3']);
    });
  });

  describe('X-Forwarded-*', () => {
    const spoof = { 'X-Forwarded-For': '1.2.3.4', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example' };

    it("from an untrusted peer, replaces the client's values with what the gateway saw", async () => {
      const res = await send(`${gw.url}/echo`, { headers: { ...spoof, 'X-Request-ID': 'xff-untrusted' } });
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(up.headers['x-forwarded-proto']).toBe('http');
      expect(up.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
      expect((await accessLog(gw, 'xff-untrusted')).clientIp).toBe('127.0.0.1');
    });

    it.each([
      ['one untrusted hop', '203.0.113.7', '203.0.113.7'],
      ['nearest untrusted wins over a spoofed first entry', '198.51.100.9, 203.0.113.7', '203.0.113.7'],
      ['trusted hops are skipped', '203.0.113.7, 127.0.0.1', '203.0.113.7'],
    ])('from a trusted peer, appends to the chain (%s)', async (_label, xff, clientIp) => {
      const id = `xff-${clientIp}-${xff.length}`;
      const res = await send(`${trusting.url}/echo`, { headers: { ...spoof, 'X-Forwarded-For': xff, 'X-Request-ID': id } });
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers['x-forwarded-for']).toBe(`${xff}, 127.0.0.1`);
      expect(up.headers['x-forwarded-proto']).toBe('https');
      expect(up.headers['x-forwarded-host']).toBe('evil.example');
      expect((await accessLog(trusting, id)).clientIp).toBe(clientIp);
    });

    it('from a trusted peer without X-Forwarded-For, starts the chain with the peer', async () => {
      const res = await send(`${trusting.url}/echo`, { headers: { 'X-Request-ID': 'xff-none' } });
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(up.headers['x-forwarded-proto']).toBe('http');
      expect((await accessLog(trusting, 'xff-none')).clientIp).toBe('127.0.0.1');
    });
  });

  describe('Host', () => {
    it("is the target's host by default", async () => {
      const res = await send(`${gw.url}/echo`, { headers: { Host: 'api.example.com:8443' } });
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers.host).toBe(`127.0.0.1:${echo.port}`);
      expect(up.headers['x-forwarded-host']).toBe('api.example.com:8443');
    });

    it("is the client's with preserveHost: true", async () => {
      const res = await send(`${gw.url}/keep-host`, { headers: { Host: 'api.example.com:8443' } });
      const up = JSON.parse(res.body) as Echo;
      expect(up.headers.host).toBe('api.example.com:8443');
      expect(rawNames(up).filter((n) => n.toLowerCase() === 'host')).toHaveLength(1);
    });
  });

  describe('access log', () => {
    it.each([
      ['GET', undefined, 0],
      ['POST with Content-Length', 'twelve bytes', 12],
    ])('has every field for a proxied %s, bytesOut counting the response', async (method, body, bytesIn) => {
      const id = `log-${method.length}-${bytesIn}`;
      const res = await send(`${gw.url}/echo/x?q=1`, { method: method.split(' ')[0], headers: { 'X-Request-ID': id }, body });
      expect(res.status).toBe(200);
      const line = await accessLog(gw, id);
      expect(line).toMatchObject({
        requestId: id,
        method: method.split(' ')[0],
        path: '/echo/x',
        route: 'echo',
        status: 200,
        upstream: expect.stringContaining(`127.0.0.1:${echo.port}`),
        bytesIn,
        clientIp: '127.0.0.1',
      });
      expect(line.level).toBe('info');
      expect(typeof line.durationMs).toBe('number');
      expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
      // Status line, headers and body were written: at least the body's bytes.
      expect(line.bytesOut as number).toBeGreaterThan(Buffer.byteLength(res.body));
    });

    it('counts a chunked request body in bytesIn', async () => {
      const res = await rawRequest(gw.port, [
        'POST /echo HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Request-ID: log-chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
        '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
      ]);
      expect(res.status).toBe(200);
      const line = await accessLog(gw, 'log-chunked');
      expect(line.bytesIn).toBe(7);
      expect(line.bytesOut as number).toBeGreaterThan(res.body.length);
    });

    it('logs a gateway answer with route null and its error code', async () => {
      const res = await send(`${gw.url}/nowhere`, { headers: { 'X-Request-ID': 'log-404' } });
      const line = await accessLog(gw, 'log-404');
      expect(line).toMatchObject({ requestId: 'log-404', method: 'GET', path: '/nowhere', route: null, status: 404, upstream: null, bytesIn: 0, clientIp: '127.0.0.1', error: 'not_found' });
      expect(line.bytesOut as number).toBeGreaterThan(Buffer.byteLength(res.body));
    });
  });
});
