/**
 * Bodies through the gateway: streamed both ways byte-exact, with backpressure, under the size
 * limit, with Expect: 100-continue; and the request line (path, query) as the upstream gets it.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Deterministic, non-repeating-looking chunk `i` of a generated body. */
function chunkOf(i: number): Buffer {
  const buf = Buffer.alloc(CHUNK);
  let x = (i + 1) * 2654435761;
  for (let j = 0; j < CHUNK; j += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    buf.writeUInt32LE(x, j);
  }
  return buf;
}

function sha256(data: Buffer | Buffer[]): string {
  const h = createHash('sha256');
  for (const d of Array.isArray(data) ? data : [data]) h.update(d);
  return h.digest('hex');
}

/** Writes `chunks` generated chunks with backpressure, counting what was written. */
async function writeGenerated(res: ServerResponse, chunks: number, progress?: { written: number; sawFalse: boolean }): Promise<void> {
  for (let i = 0; i < chunks; i++) {
    if (res.destroyed) return;
    const ok = res.write(chunkOf(i));
    if (progress) progress.written += CHUNK;
    if (!ok) {
      if (progress) progress.sawFalse = true;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

/** Reads a request body without throwing when the client aborts. */
async function readBody(req: IncomingMessage): Promise<{ body: Buffer; complete: boolean }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  } catch {
    return { body: Buffer.concat(chunks), complete: false };
  }
  return { body: Buffer.concat(chunks), complete: req.complete };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request on a fresh connection; the path after the origin is sent exactly as written (no URL parsing). */
function send(url: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string | Readable } = {}): Promise<Reply> {
  const [, host = '', port = '', path = '/'] = /^http:\/\/([^:/]+):(\d+)(.*)$/.exec(url) ?? [];
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = options.body;
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

function errorCode(reply: { body: Buffer | string }): string {
  return (JSON.parse(reply.body.toString()) as { error: { code: string } }).error.code;
}

describe('proxy bodies', () => {
  let up: TestUpstream;
  let based: TestUpstream;
  let gw: TestGateway;
  let small: TestGateway;
  /** What the upstream saw of each request body, by path. */
  const uploads = new Map<string, { length: number; sha: string; complete: boolean; expect: string | undefined }>();
  const slow = { written: 0, sawFalse: false, done: false };

  beforeAll(async () => {
    up = await startUpstream(
      async (req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname.startsWith('/big/')) {
          const chunks = Number(url.pathname.slice('/big/'.length));
          if (url.searchParams.has('length')) res.setHeader('content-length', String(chunks * CHUNK));
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          await writeGenerated(res, chunks);
          return;
        }
        if (url.pathname === '/slow-reader') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          await writeGenerated(res, (128 * MB) / CHUNK, slow);
          slow.done = true;
          return;
        }
        if (url.pathname.startsWith('/status/')) {
          await readBody(req);
          const status = Number(url.pathname.slice('/status/'.length));
          res.writeHead(status, { etag: '"v1"', 'x-status': String(status) });
          res.end();
          return;
        }
        if (url.pathname === '/hello') {
          await readBody(req);
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11', 'x-method': req.method ?? '' });
          res.end(req.method === 'HEAD' ? undefined : 'hello world');
          return;
        }
        // Default: hash the body as it streams in, answer what was seen.
        const { body, complete } = await readBody(req);
        const seen = { length: body.length, sha: sha256(body), complete, expect: req.headers.expect };
        uploads.set(req.url ?? '', seen);
        if (!complete) return;
        const text = JSON.stringify({ ...seen, url: req.url, method: req.method, headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      { streaming: true },
    );
    based = await startUpstream();
    const routes = `
upstreams:
  up: { targets: ["${up.url}"] }
  based: { targets: ["${based.url}/base/"] }
routes:
  - name: all
    match: { path: / }
    upstream: up
  - name: strip
    match: { path: /strip/me }
    upstream: based
    stripPrefix: true
  - name: rewrite
    match: { path: /old }
    upstream: based
    rewrite: /new/v2
  - name: based
    match: { path: /q }
    upstream: based
`;
    gw = await startGateway(`${LISTEN}limits: { maxBodySize: 10mb }\n${routes}`);
    small = await startGateway(`${LISTEN}limits: { maxBodySize: 1kb }\n${routes}`);
  });

  afterAll(async () => {
    await gw?.stop();
    await small?.stop();
    await up?.close();
    await based?.close();
  });

  describe('streaming', () => {
    it.each([
      ['chunked', ''],
      ['with Content-Length', '?length'],
    ])('streams a 20 MB response byte-exact (%s), whatever maxBodySize says', async (_label, query) => {
      const chunks = (20 * MB) / CHUNK;
      const res = await send(`${gw.url}/big/${chunks}${query}`);
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(20 * MB);
      expect(sha256(res.body)).toBe(sha256(Array.from({ length: chunks }, (_, i) => chunkOf(i))));
      if (query) expect(res.headers['content-length']).toBe(String(20 * MB));
    });

    it.each([
      ['with Content-Length', false],
      ['chunked', true],
    ])('streams a 5 MB upload byte-exact (%s)', async (label, chunked) => {
      const parts = Array.from({ length: (5 * MB) / CHUNK }, (_, i) => chunkOf(i + 1000));
      const path = `/upload/${chunked ? 'chunked' : 'length'}`;
      const res = await send(`${gw.url}${path}`, {
        method: 'POST',
        headers: chunked ? {} : { 'content-length': String(5 * MB) },
        body: chunked ? Readable.from(parts) : Buffer.concat(parts),
      });
      expect(res.status, label).toBe(200);
      const seen = JSON.parse(res.body.toString()) as { length: number; sha: string; headers: Echo['headers'] };
      expect(seen.length).toBe(5 * MB);
      expect(seen.sha).toBe(sha256(parts));
      if (!chunked) expect(seen.headers['content-length']).toBe(String(5 * MB));
    });

    it('applies backpressure: a client that stops reading stalls the upstream instead of the gateway buffering', async () => {
      const total = 128 * MB;
      const received: Buffer[] = [];
      let receivedBytes = 0;
      const finished = new Promise<void>((resolve, reject) => {
        const req = httpRequest(`${gw.url}/slow-reader`, { agent: false }, (res) => {
          res.on('data', (c: Buffer) => {
            received.push(c);
            receivedBytes += c.length;
          });
          res.on('end', resolve);
          res.on('error', reject);
          res.pause();
          // Read nothing for a while, then everything.
          void (async () => {
            const stalled = await waitForPlateau(() => slow.written, 150, 5000);
            try {
              // Everything between the upstream and this client is socket buffers plus a few
              // chunks: nowhere near the 128 MB the upstream wants to send.
              expect(stalled).toBeLessThan(40 * MB);
              expect(slow.sawFalse).toBe(true);
              expect(slow.done).toBe(false);
            } catch (err) {
              req.destroy();
              reject(err as Error);
              return;
            }
            res.resume();
          })();
        });
        req.on('error', reject);
        req.end();
      });
      await finished;
      expect(slow.done).toBe(true);
      expect(receivedBytes).toBe(total);
      // Spot-check content at both ends instead of hashing 128 MB.
      const all = Buffer.concat(received);
      expect(all.subarray(0, CHUNK).equals(chunkOf(0))).toBe(true);
      expect(all.subarray(total - CHUNK).equals(chunkOf(total / CHUNK - 1))).toBe(true);
    });
  });

  describe('maxBodySize (1kb here)', () => {
    it.each([
      ['at the limit', 1024, 200],
      ['one byte over', 1025, 413],
      ['far over', 50 * 1024, 413],
    ])('with Content-Length %s', async (_label, size, status) => {
      const before = up.requests.length;
      const path = `/limit/cl-${size}`;
      const res = await rawRequest(small.port, `POST ${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: ${size}\r\n\r\n${'x'.repeat(size)}`);
      expect(res.status).toBe(status);
      if (status === 413) {
        expect(errorCode(res)).toBe('payload_too_large');
        expect(res.headers['content-type']).toBe('application/json');
        expect(res.headers['x-request-id']).toBeTruthy();
        // Answered from the declared length, before the upstream was contacted.
        expect(up.requests.length).toBe(before);
        expect(uploads.has(path)).toBe(false);
      } else {
        expect(uploads.get(path)?.length).toBe(size);
      }
    });

    it('with Content-Length, answers before the body is sent at all', async () => {
      const before = up.requests.length;
      const res = await rawRequest(small.port, 'POST /limit/headers-only HTTP/1.1\r\nHost: gw\r\nContent-Length: 20000000\r\n\r\n');
      expect(res.status).toBe(413);
      expect(errorCode(res)).toBe('payload_too_large');
      expect(res.closed).toBe(true);
      expect(up.requests.length).toBe(before);
    });

    it.each([
      ['within the limit', [400, 400, 224], 200],
      ['over the limit, counted while streaming', [400, 400, 400], 413],
      ['over the limit in one chunk', [4096], 413],
    ])('chunked %s', async (label, sizes, status) => {
      const path = `/limit/chunked-${sizes.join('-')}`;
      const chunks = sizes.map((n) => `${n.toString(16)}\r\n${'y'.repeat(n)}\r\n`);
      const res = await rawRequest(small.port, [`POST ${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`, ...chunks, '0\r\n\r\n']);
      expect(res.status, label).toBe(status);
      if (status === 413) {
        expect(errorCode(res)).toBe('payload_too_large');
        // Whatever reached the upstream, it never saw a complete body.
        await new Promise((r) => setTimeout(r, 50));
        expect(uploads.get(path)?.complete ?? false).toBe(false);
      } else {
        expect(uploads.get(path)).toMatchObject({ length: 1024, complete: true });
      }
    });

    it('the gateway keeps serving after a 413', async () => {
      const res = await send(`${small.url}/q/after`);
      expect(res.status).toBe(200);
    });
  });

  describe('Expect: 100-continue', () => {
    /** Sends the head, waits for the first answer, sends the body only after a 100. */
    function expectExchange(port: number, head: string, body: string): Promise<{ first: string; all: string }> {
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        let first = '';
        let timer: NodeJS.Timeout | undefined;
        const finish = () => {
          clearTimeout(timer);
          socket.destroy();
          resolve({ first, all: text });
        };
        socket.on('connect', () => socket.write(head));
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (first === '') {
            first = text;
            if (text.startsWith('HTTP/1.1 100')) socket.write(body);
          }
          clearTimeout(timer);
          // Done once a final response is complete (its body follows Content-Length).
          const finalStart = text.startsWith('HTTP/1.1 100') ? text.indexOf('\r\n\r\n') + 4 : 0;
          const rest = text.slice(finalStart);
          const end = rest.indexOf('\r\n\r\n');
          const length = /content-length: *(\d+)/i.exec(rest);
          if (end !== -1 && length && rest.length >= end + 4 + Number(length[1])) finish();
          else timer = setTimeout(finish, 1000);
        });
        socket.on('close', finish);
        socket.on('error', (err) => (text ? finish() : reject(err)));
      });
    }

    it('answers 100 Continue on a matched route, then the body reaches the upstream', async () => {
      const { first, all } = await expectExchange(
        gw.port,
        'POST /expect/ok HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
        'hello',
      );
      expect(first.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
      expect(all).toContain('HTTP/1.1 200 OK\r\n');
      const seen = uploads.get('/expect/ok');
      expect(seen).toMatchObject({ length: 5, sha: sha256(Buffer.from('hello')), complete: true });
      // The expectation was met by the gateway; it is not forwarded.
      expect(seen?.expect).toBeUndefined();
    });

    it('answers 404 without 100 first when no route matches', async () => {
      const none = await startGateway(`${LISTEN}
upstreams:
  up: { targets: ["${up.url}"] }
routes:
  - name: only
    match: { path: /only }
    upstream: up
`);
      try {
        const before = up.requests.length;
        const res = await rawRequest(none.port, 'POST /elsewhere HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
        expect(res.text.startsWith('HTTP/1.1 404 ')).toBe(true);
        expect(res.text).not.toContain('100 Continue');
        expect(errorCode(res)).toBe('not_found');
        expect(up.requests.length).toBe(before);
      } finally {
        await none.stop();
      }
    });

    it('answers 413 without 100 first when the declared body is too large', async () => {
      const res = await rawRequest(small.port, 'POST /expect/big HTTP/1.1\r\nHost: gw\r\nContent-Length: 4096\r\nExpect: 100-continue\r\n\r\n');
      expect(res.text.startsWith('HTTP/1.1 413 ')).toBe(true);
      expect(res.text).not.toContain('100 Continue');
      expect(errorCode(res)).toBe('payload_too_large');
    });
  });

  describe('request line', () => {
    it.each([
      '?a=%2f&b=%2F',
      '?q=a+b%20c',
      '?a=1;b=2',
      '?x=&=y&&',
      '?k=1&k=2&k=3',
      '?%zz=%G1',
      '?a=b?c=d/e',
      "?s=!$'()*,",
      '?utf=%C3%A9',
    ])('forwards the query %s byte for byte', async (query) => {
      const res = await send(`${gw.url}/q/x${query}`);
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body.toString()) as Echo).url).toBe(`/base/q/x${query}`);
    });

    it.each([
      ['stripPrefix', '/strip/me/a/b?x=1', '/base/a/b?x=1'],
      ['stripPrefix, prefix only', '/strip/me', '/base'],
      ['stripPrefix, prefix and slash', '/strip/me/', '/base/'],
      ['rewrite', '/old/items/7?y=2', '/base/new/v2/items/7?y=2'],
      ['rewrite, prefix only', '/old', '/base/new/v2'],
      ['base path only', '/q', '/base/q'],
      ['base path and more', '/q/deep/er', '/base/q/deep/er'],
    ])('%s: %s reaches the upstream as %s', async (_label, path, expected) => {
      const res = await send(`${gw.url}${path}`);
      expect(res.status).toBe(200);
      expect((JSON.parse(res.body.toString()) as Echo).url).toBe(expected);
    });
  });

  describe('responses without a body', () => {
    it('HEAD keeps the headers of GET and has no body', async () => {
      const res = await send(`${gw.url}/hello`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers['x-method']).toBe('HEAD');
      expect(res.headers['content-length']).toBe('11');
      expect(res.body.length).toBe(0);
      // A raw read shows nothing after the head, and the connection stays usable.
      const raw = await rawRequest(gw.port, 'HEAD /hello HTTP/1.1\r\nHost: gw\r\n\r\nGET /hello HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
      const second = raw.text.indexOf('HTTP/1.1 200', 1);
      expect(raw.text.slice(0, second)).toMatch(/\r\n\r\n$/);
      expect(raw.text.slice(second)).toMatch(/\r\n\r\nhello world$/);
    });

    it.each([204, 304])('%i from the upstream reaches the client without a body', async (status) => {
      const raw = await rawRequest(gw.port, `GET /status/${status} HTTP/1.1\r\nHost: gw\r\n\r\nGET /hello HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
      expect(raw.status).toBe(status);
      expect(raw.headers['x-status']).toBe(String(status));
      expect(raw.headers['transfer-encoding']).toBeUndefined();
      // The next response starts right after the head: no body, no chunk terminator.
      const second = raw.text.indexOf('HTTP/1.1 200');
      expect(second).toBeGreaterThan(0);
      expect(raw.text.slice(0, second)).toMatch(/\r\n\r\n$/);
      expect(raw.text.slice(second)).toMatch(/hello world$/);
    });
  });
});

/** Polls `read` until it stops changing for `quietMs`; returns the settled value. */
async function waitForPlateau(read: () => number, quietMs: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = read();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  return read();
}
