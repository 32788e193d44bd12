/**
 * The `request` plugin through YAML, a real gateway and a real upstream: content-type allow-lists
 * (415), per-route body caps (413, declared and streamed), JSON Schema validation (400 naming the
 * failing path; the upstream gets the exact bytes), Expect: 100-continue, schema files at load,
 * and hostile bodies (huge, deeply nested, invalid UTF-8, bad trailers).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest, type RawResponse } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

interface Seen {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: Buffer;
  complete: boolean;
}

/** Every request the upstream saw, recorded on arrival; `complete` once its body ended. */
const seen: Seen[] = [];
let up: TestUpstream;
let gw: TestGateway;
let dir: string;

const ORDER = { customerId: 'c-1', items: [{ sku: 'ABC-1', qty: 2 }] };

function yaml(upstream: string, routes: string, extra = ''): string {
  return `${LISTEN}${extra}upstreams:\n  up: { targets: ["${upstream}"] }\nroutes:\n${routes}`;
}

const ROUTES = `
  - name: typed
    match: { path: /typed }
    upstream: up
    request: { contentTypes: [application/json, "text/*", "application/*+xml"], maxBodySize: 1kb }
  - name: small
    match: { path: /small }
    upstream: up
    request: { maxBodySize: 1kb }
  - name: orders
    match: { path: /orders }
    upstream: up
    request: { maxBodySize: 4kb, jsonSchema: schemas/order.json }
  - name: deep
    match: { path: /deep }
    upstream: up
    request: { maxBodySize: 1mb, jsonSchema: schemas/any.json }
  - name: open
    match: { path: /open }
    upstream: up
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-request-'));
  mkdirSync(join(dir, 'schemas'));
  // The example shipped with the project, so it is tested too.
  copyFileSync(join(import.meta.dirname, '../../examples/schemas/order.json'), join(dir, 'schemas/order.json'));
  writeFileSync(join(dir, 'schemas/any.json'), '{}');
  up = await startUpstream(
    async (req, res) => {
      const entry: Seen = { url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0), complete: false };
      seen.push(entry);
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      } catch {
        return; // the gateway aborted the body
      }
      entry.body = Buffer.concat(chunks);
      entry.complete = true;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    },
    { streaming: true },
  );
  gw = await startGateway(yaml(up.url, ROUTES, 'limits: { maxBodySize: 1mb }\n'), { configDir: dir });
});

afterAll(async () => {
  await gw?.stop();
  await up?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw.url}${path}`, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (body: unknown, extra: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body) });

function errorOf(answer: Answer | RawResponse): { status: number; code: string; message: string; requestId: string } {
  const text = 'text' in answer && 'body' in answer ? (answer as RawResponse).body : (answer as Answer).text;
  return (JSON.parse(text) as { error: { status: number; code: string; message: string; requestId: string } }).error;
}

function expectError(answer: Answer, status: number, code: string): { message: string } {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers['x-request-id']).toBeTruthy();
  const error = errorOf(answer);
  expect(error).toMatchObject({ status, code, requestId: answer.headers['x-request-id'] });
  return error;
}

/** Runs `fn` and returns how many requests the upstream saw meanwhile. */
async function upstreamCount(fn: () => Promise<unknown>): Promise<number> {
  const before = seen.length;
  await fn();
  await new Promise((r) => setTimeout(r, 30));
  return seen.length - before;
}

describe('contentTypes (415)', () => {
  it.each([
    ['application/json', 200],
    ['Application/JSON; charset=utf-8', 200],
    ['application/json;charset="UTF-8"', 200],
    ['text/plain', 200],
    ['text/csv; header=present', 200],
    ['application/soap+xml', 200],
    ['application/xml', 415],
    ['application/jsonx', 415],
    ['application/x-www-form-urlencoded', 415],
    ['multipart/form-data; boundary=x', 415],
    ['application/json, text/plain', 415],
    ['json', 415],
    ['', 415],
  ])('a body with Content-Type %j → %i', async (type, status) => {
    let answer!: Answer;
    const reached = await upstreamCount(async () => {
      answer = await send('/typed', { headers: { 'content-type': type }, body: '{"a":1}' });
    });
    if (status === 200) {
      expect(answer.status).toBe(200);
      expect(reached).toBe(1);
      expect(seen.at(-1)?.body.toString()).toBe('{"a":1}');
    } else {
      // The allow-list is told to the client.
      expect(expectError(answer, 415, 'unsupported_media_type').message).toContain('application/json, text/*, application/*+xml');
      expect(reached).toBe(0);
    }
  });

  it('a body without Content-Type → 415', async () => {
    const reached = await upstreamCount(async () => {
      const res = await rawRequest(gw.port, 'POST /typed HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}');
      expect(res.status).toBe(415);
      expect(errorOf(res).code).toBe('unsupported_media_type');
    });
    expect(reached).toBe(0);
  });

  it('a chunked body without Content-Type → 415', async () => {
    const res = await rawRequest(gw.port, 'POST /typed HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
    expect(res.status).toBe(415);
  });

  it.each([
    ['GET without a body', 'GET /typed HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n'],
    ['DELETE without a body', 'DELETE /typed HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n'],
    ['POST with Content-Length: 0', 'POST /typed HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'],
  ])('%s passes without Content-Type', async (_label, payload) => {
    const res = await rawRequest(gw.port, payload);
    expect(res.status).toBe(200);
  });

  it('two Content-Type headers → 400 invalid_header (node keeps the first, the upstream might read the last)', async () => {
    const reached = await upstreamCount(async () => {
      const res = await rawRequest(gw.port, 'POST /typed HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Type: application/x-evil\r\nContent-Length: 2\r\n\r\n{}');
      expect(res.status).toBe(400);
      expect(errorOf(res).code).toBe('invalid_header');
    });
    expect(reached).toBe(0);
  });
});

describe('maxBodySize (413)', () => {
  it.each([
    ['at the cap', 1024, 200],
    ['one byte over', 1025, 413],
    ['far over (20 MB declared, nothing sent)', 20 * 1024 * 1024, 413],
  ])('Content-Length %s', async (_label, size, status) => {
    const body = size > 1e6 ? '' : 'x'.repeat(size);
    let res!: RawResponse;
    const reached = await upstreamCount(async () => {
      res = await rawRequest(gw.port, `POST /small HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: ${size}\r\n\r\n${body}`);
    });
    expect(res.status).toBe(status);
    if (status === 413) {
      expect(errorOf(res).code).toBe('payload_too_large');
      expect(res.closed).toBe(true);
      expect(reached).toBe(0); // answered from the declared length, before any upstream contact
    } else {
      expect(seen.at(-1)).toMatchObject({ complete: true });
      expect(seen.at(-1)?.body.length).toBe(size);
    }
  });

  it.each([
    ['within the cap', [400, 400, 224], 200],
    ['over the cap in one chunk', [4096], 413],
    ['over the cap, counted while streaming', [400, 400, 400], 413],
  ])('chunked %s (streaming route)', async (label, sizes, status) => {
    const before = seen.length;
    const chunks = sizes.map((n) => `${n.toString(16)}\r\n${'y'.repeat(n)}\r\n`);
    const res = await rawRequest(gw.port, [`POST /small HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`, ...chunks, '0\r\n\r\n']);
    expect(res.status, label).toBe(status);
    await new Promise((r) => setTimeout(r, 30));
    if (status === 413) {
      expect(errorOf(res).code).toBe('payload_too_large');
      // The route streams: the upstream may have seen the start, never a complete request.
      expect(seen.slice(before).filter((s) => s.complete)).toEqual([]);
    } else {
      expect(seen.slice(before).map((s) => s.body.length)).toEqual([1024]);
    }
  });

  it('the global limit still applies when a route sets a larger cap (with a warning at load)', async () => {
    const strict = await startGateway(yaml(up.url, '  - name: r\n    match: { path: /r }\n    upstream: up\n    request: { maxBodySize: 10mb }\n', 'limits: { maxBodySize: 1kb }\n'));
    try {
      expect(strict.logs.some((l) => String(l['warning']).includes('routes[0].request.maxBodySize: is above limits.maxBodySize'))).toBe(true);
      const res = await rawRequest(strict.port, `POST /r HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Length: 1025\r\n\r\n${'x'.repeat(1025)}`);
      expect(res.status).toBe(413);
    } finally {
      await strict.stop();
    }
  });

  it('a route without the plugin keeps the global limit', async () => {
    const answer = await send('/open', { body: 'x'.repeat(5000) });
    expect(answer.status).toBe(200);
  });
});

describe('jsonSchema: passing bodies', () => {
  it('forwards the exact bytes with a correct Content-Length', async () => {
    // Odd spacing, escapes and non-ASCII: anything re-serialised would differ.
    const body = Buffer.from('{ "customerId" : "c-\\u00e9-ü", "items":[ {"sku":"ABC-1","qty":2} ],\n"note":null }\n', 'utf8');
    const answer = await send('/orders', { headers: { 'content-type': 'application/json; charset=utf-8' }, body });
    expect(answer.status).toBe(200);
    const got = seen.at(-1)!;
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers['content-length']).toBe(String(body.length));
  });

  it('a chunked body is forwarded with Content-Length, not chunked', async () => {
    const body = JSON.stringify(ORDER);
    const half = body.length >> 1;
    const res = await rawRequest(gw.port, [
      'POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${half.toString(16)}\r\n${body.slice(0, half)}\r\n`,
      `${(body.length - half).toString(16)}\r\n${body.slice(half)}\r\n0\r\n\r\n`,
    ]);
    expect(res.status).toBe(200);
    const got = seen.at(-1)!;
    expect(got.body.toString()).toBe(body);
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(got.headers['transfer-encoding']).toBeUndefined();
  });

  it.each([['application/vnd.orders+json'], ['application/json;charset=US-ASCII']])('a +json or ASCII type (%s) is JSON too', async (type) => {
    const answer = await send('/orders', json(ORDER, { 'content-type': type }));
    expect(answer.status).toBe(200);
  });

  it('GET without a body passes; a header with obs-text reaches the upstream as sent', async () => {
    const res = await rawRequest(gw.port, Buffer.from('GET /orders/7 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nX-Note: caf\xe9\r\n\r\n', 'latin1'));
    expect(res.status).toBe(200);
    const got = seen.at(-1)!;
    expect(got.url).toBe('/orders/7');
    expect(got.headers['x-note']).toBe('caf\xe9');
  });
});

describe('jsonSchema: refused bodies (400 validation_failed naming the path)', () => {
  const item = (extra: object) => ({ ...ORDER, items: [{ sku: 'ABC-1', qty: 1 }, extra] });
  it.each([
    ['a missing property', { items: ORDER.items }, 'body/customerId: is required'],
    ['the root type', [ORDER], 'body: must be object'],
    ['a type error', { ...ORDER, customerId: 7 }, 'body/customerId: must be string'],
    ['a nested type error in an array', item({ sku: 'ABC-2', qty: 'two' }), 'body/items/1/qty: must be integer'],
    ['a nested missing property', item({ sku: 'ABC-2' }), 'body/items/1/qty: is required'],
    ['additionalProperties at the root', { ...ORDER, isAdmin: true }, 'body/isAdmin: is not an allowed property'],
    ['additionalProperties nested', item({ sku: 'ABC-2', qty: 1, price: 0 }), 'body/items/1/price: is not an allowed property'],
    ['a nested object in an array', item({ sku: 'ABC-2', qty: 1, options: { colour: 3 } }), 'body/items/1/options/colour: must be string'],
    ['an object in an object', { ...ORDER, shipping: { address: 'x', country: 'France' } }, 'body/shipping/country: must match pattern "^[A-Z]{2}$"'],
    ['a format', { ...ORDER, shipping: { address: 'x', country: 'FR', email: 'nope' } }, 'body/shipping/email: must match format "email"'],
    ['an enum', { ...ORDER, currency: 'BTC' }, 'body/currency: must be one of "EUR", "USD", "GBP"'],
    ['an empty array', { ...ORDER, items: [] }, 'body/items: must NOT have fewer than 1 items'],
  ])('%s', async (_label, body, message) => {
    let answer!: Answer;
    const reached = await upstreamCount(async () => {
      answer = await send('/orders', json(body));
    });
    expect(expectError(answer, 400, 'validation_failed').message).toBe(message);
    expect(reached).toBe(0);
  });

  it.each([
    ['invalid JSON', '{"customerId": "c-1", items: []}', 'body: is not valid JSON'],
    ['truncated JSON', '{"customerId": "c-1"', 'body: is not valid JSON'],
    ['a duplicate key', '{"customerId":"c-1","customerId":7,"items":[{"sku":"A","qty":1}]}', 'body/customerId: appears twice in the same object'],
  ])('%s', async (_label, body, message) => {
    const answer = await send('/orders', json(body));
    expect(expectError(answer, 400, 'validation_failed').message).toBe(message);
  });

  it('invalid UTF-8 → 400', async () => {
    const answer = await send('/orders', { headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) });
    expect(expectError(answer, 400, 'validation_failed').message).toBe('body: is not valid UTF-8');
  });

  it.each([
    ['POST with Content-Length: 0', 'POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n'],
    ['POST without any body', 'POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n'],
    ['an empty chunked body', 'POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('an empty body: %s → 400', async (_label, payload) => {
    const res = await rawRequest(gw.port, payload);
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'validation_failed', message: 'body: a JSON body is required' });
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['no Content-Type', {}],
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=utf-16' }],
    ['a Content-Encoding', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ])('a body that is not plain JSON (%s) → 415', async (_label, headers) => {
    const answer = await send('/orders', { headers, body: JSON.stringify(ORDER) });
    expectError(answer, 415, 'unsupported_media_type');
  });

  it('a huge value is never echoed', async () => {
    const answer = await send('/orders', json({ ...ORDER, customerId: ['z'.repeat(3000)] }));
    const error = expectError(answer, 400, 'validation_failed');
    expect(error.message).toBe('body/customerId: must be string');
    expect(answer.text.length).toBeLessThan(400);
  });
});

describe('jsonSchema: hostile bodies', () => {
  it('100k nested arrays under the size cap → 400, and the gateway keeps serving', async () => {
    const body = '['.repeat(100_000) + ']'.repeat(100_000);
    const started = performance.now();
    const answer = await send('/deep', json(body));
    expect(expectError(answer, 400, 'validation_failed').message).toBe('body: is nested more than 64 levels deep');
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await send('/deep', json('[[1]]'))).status).toBe(200);
  });

  it('100k nested objects → 400', async () => {
    const body = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const answer = await send('/deep', json(body));
    expect(expectError(answer, 400, 'validation_failed').message).toMatch(/nested more than/);
  });

  it('a 20 MB chunked body on a 4kb route → 413 after reading the cap, upstream never contacted', async () => {
    let res!: RawResponse;
    const chunk = `${(64 * 1024).toString(16)}\r\n${'['.repeat(64 * 1024)}\r\n`;
    const reached = await upstreamCount(async () => {
      res = await rawRequest(gw.port, ['POST /orders HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', ...Array.from({ length: 320 }, () => chunk)]);
    });
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe('payload_too_large');
    expect(res.closed).toBe(true);
    expect(reached).toBe(0);
  });

  it('a Content-Length over the cap → 413 before reading, upstream never contacted', async () => {
    const reached = await upstreamCount(async () => {
      const res = await rawRequest(gw.port, 'POST /orders HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n');
      expect(res.status).toBe(413);
      expect(res.closed).toBe(true);
    });
    expect(reached).toBe(0);
  });

  it('a chunked body just over the cap → 413 (counted, not declared)', async () => {
    const body = JSON.stringify({ ...ORDER, note: 'n'.repeat(4100) });
    const res = await rawRequest(gw.port, `POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    expect(res.status).toBe(413);
  });

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\x00b'],
  ])('a trailer with %s is refused by the parser (400), the upstream never sees the request', async (_label, value) => {
    const reached = await upstreamCount(async () => {
      const res = await rawRequest(gw.port, `POST /orders HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: ${value}\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(errorOf(res).code).toBe('bad_request');
    });
    expect(reached).toBe(0);
    expect((await send('/orders', json(ORDER))).status).toBe(200);
  });

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['NUL', 'a\x00b'],
  ])('a header value with %s is refused before any route (400)', async (_label, value) => {
    const reached = await upstreamCount(async () => {
      const res = await rawRequest(gw.port, `GET /orders HTTP/1.1\r\nHost: gw\r\nX-A: ${value}\r\n\r\n`);
      expect(res.status).toBe(400);
    });
    expect(reached).toBe(0);
  });
});

describe('Expect: 100-continue on a validated route', () => {
  /** Sends the head, and the body only after a 100; returns everything received. */
  function exchange(head: string, body: string): Promise<{ first: string; all: string }> {
    return new Promise((resolve, reject) => {
      const socket = connect(gw.port, '127.0.0.1');
      let all = '';
      let first = '';
      const done = () => {
        socket.destroy();
        resolve({ first, all });
      };
      let timer = setTimeout(done, 1000);
      socket.on('connect', () => socket.write(head));
      socket.on('data', (d: Buffer) => {
        all += d.toString('latin1');
        if (first === '') {
          first = all;
          if (all.startsWith('HTTP/1.1 100')) socket.write(body);
        }
        clearTimeout(timer);
        timer = setTimeout(done, 200);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        done();
      });
      socket.on('error', (err) => (all ? done() : reject(err)));
    });
  }
  const head = (length: number, type = 'application/json') => `POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;

  it('a valid body: 100 Continue, then the upstream gets it', async () => {
    const body = JSON.stringify(ORDER);
    const { first, all } = await exchange(head(body.length), body);
    expect(first.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
    expect(all).toContain('HTTP/1.1 200 OK\r\n');
    expect(all.match(/100 Continue/g)).toHaveLength(1);
    expect(seen.at(-1)?.body.toString()).toBe(body);
    expect(seen.at(-1)?.headers['expect']).toBeUndefined();
  });

  it('an invalid body: 100 Continue, then 400', async () => {
    const body = JSON.stringify({ ...ORDER, items: 'none' });
    const reached = await upstreamCount(async () => {
      const { first, all } = await exchange(head(body.length), body);
      expect(first.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
      expect(all).toContain('HTTP/1.1 400 Bad Request\r\n');
      expect(all).toContain('body/items: must be array');
    });
    expect(reached).toBe(0);
  });

  it.each([
    ['413 when the declared body is over the cap', head(5000), 'HTTP/1.1 413 '],
    ['415 for a body that is not JSON', head(2, 'text/plain'), 'HTTP/1.1 415 '],
  ])('%s, without 100 first', async (_label, h, status) => {
    const { first } = await exchange(h, '{}');
    expect(first.startsWith(status)).toBe(true);
    expect(first).not.toContain('100 Continue');
  });
});

describe('schema files at load', () => {
  const route = (schema: string) => `  - name: orders\n    match: { path: /orders }\n    upstream: up\n    request: { jsonSchema: ${schema} }\n`;
  const problemsOf = async (text: string, configDir = dir) => {
    try {
      const g = await Gateway.create({ configText: text, configDir, logger: captureLogger([]) });
      await g.stop();
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
  };

  it.each([
    ['missing', 'schemas/nope.json', /^routes\[0\]\.request\.jsonSchema: .*schemas\/nope\.json: no such file \(config\.yaml:\d+\)$/],
    ['not JSON', 'schemas/broken.json', /^routes\[0\]\.request\.jsonSchema: .*broken\.json: is not valid JSON/],
    ['not a schema', 'schemas/typo.json', /^routes\[0\]\.request\.jsonSchema: .*typo\.json: is not a valid JSON Schema: .*requird/],
  ])('a schema file that is %s is a config error naming routes[0].request.jsonSchema', async (_label, schema, message) => {
    writeFileSync(join(dir, 'schemas/broken.json'), '{"type":');
    writeFileSync(join(dir, 'schemas/typo.json'), '{"type":"object","requird":["a"]}');
    const problems = await problemsOf(yaml(up.url, route(schema)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('contentTypes without a JSON type beside jsonSchema is a config error', async () => {
    const problems = await problemsOf(yaml(up.url, '  - name: r\n    match: { path: /r }\n    upstream: up\n    request: { contentTypes: [text/plain], jsonSchema: schemas/order.json }\n'));
    expect(problems).toEqual([expect.stringMatching(/^routes\[0\]\.request\.contentTypes: lists no JSON media type/)]);
  });

  it('bad media types and an empty request object are config errors', async () => {
    const problems = await problemsOf(yaml(up.url, '  - name: r\n    match: { path: /r }\n    upstream: up\n    request: { contentTypes: ["*/*", json] }\n  - name: s\n    match: { path: /s }\n    upstream: up\n    request: {}\n'));
    expect(problems).toEqual([
      expect.stringMatching(/^routes\[1\]\.request: must be an object setting contentTypes, maxBodySize or jsonSchema/),
    ]);
    const semantic = await problemsOf(yaml(up.url, '  - name: r\n    match: { path: /r }\n    upstream: up\n    request: { contentTypes: ["*/*", json] }\n'));
    expect(semantic).toEqual([expect.stringMatching(/^routes\[0\]\.request\.contentTypes\[0\]: must name a type/), expect.stringMatching(/^routes\[0\]\.request\.contentTypes\[1\]: must be a media type/)]);
  });

  it('a relative path resolves against the config file\'s directory, not the cwd', async () => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, yaml(up.url, route('schemas/order.json')));
    const g = await Gateway.create({ configFile: file, watch: false, logger: captureLogger([]) });
    try {
      await g.start();
      const answer = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${g.url()}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{"items":[]}');
      });
      expect(answer).toBe(400);
    } finally {
      await g.stop();
    }
  });

  it('a reload whose schema file is broken keeps the old config serving', async () => {
    const text = yaml(up.url, route('schemas/order.json'));
    const g = await startGateway(text, { configDir: dir });
    try {
      const outcome = await g.gateway.reload(yaml(up.url, route('schemas/nope.json')));
      expect(outcome.ok).toBe(false);
      expect(outcome.errors.join('\n')).toMatch(/routes\[0\]\.request\.jsonSchema: .*no such file/);
      const res = await rawRequest(g.port, 'POST /orders HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
      expect(errorOf(res)).toMatchObject({ code: 'validation_failed', message: 'body/customerId: is required' });
    } finally {
      await g.stop();
    }
  });
});
