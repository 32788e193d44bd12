/**
 * Hostile bytes over raw sockets, part 1: malformed request lines and headers, request smuggling
 * (CL/TE confusion, odd Content-Length spellings, chunk framing) and head limits.
 * Part 2 (Host, targets, traversal) is hostile-targets.test.ts; slow clients are hostile-slow.test.ts.
 *
 * What node's parser (llhttp, strict: no insecureHTTPParser) refuses never reaches the gateway's
 * handler; src/server/client-error.ts answers it with a JSON catalogue error and closes the
 * connection, so nothing left in the buffer (a smuggled request) is ever parsed. Findings that
 * are accepted, on purpose or because llhttp allows them, are marked "accepted" below:
 * - `GET  /x` (two spaces) — llhttp skips extra spaces before the target; the gateway forwards
 *   its own clean request line, so nothing odd reaches the upstream;
 * - `Transfer-Encoding: identity, chunked`, upper-case `CHUNKED`, a tab after the colon, chunk
 *   extensions and trailers — chunked is final so the framing is unambiguous; the gateway
 *   de-chunks and the upstream sees undici's own chunked framing, never the client's;
 * - two *identical* Content-Length headers are refused (RFC 9110 §8.6 would allow accepting them).
 * - bare-LF line endings are refused everywhere (request line, headers, chunk lines).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, LISTEN, type TestGateway } from '../helpers/gateway.js';
import { rawRequest, type RawResponse } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let upstream: TestUpstream;
let gw: TestGateway;
/** Requests the upstream received in full; upstream.requests lists every arrival. */
const seen: Seen[] = [];
/** Arrivals whose body never completed (the client side broke off mid-body). */
let aborted = 0;

beforeAll(async () => {
  upstream = await startUpstream(
    async (req, res) => {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      } catch {
        aborted++;
        res.destroy();
        return;
      }
      const echo: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('latin1') };
      seen.push(echo);
      const text = JSON.stringify(echo);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    },
    { streaming: true },
  );
  gw = await startGateway(`${LISTEN}
limits: { maxHeaderSize: 2kb, maxHeaders: 20 }
upstreams:
  u: { targets: ["${upstream.url}"] }
routes:
  - { name: public, match: { path: /public }, upstream: u }
  # The smuggling target: were a hidden request ever parsed, this route would forward it.
  - { name: admin, match: { path: /admin }, upstream: u }
`);
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

// Refusals close the connection, and requests expected to pass say `Connection: close`, so each
// exchange ends when the server closes; the wait is only a backstop.
const send = (payload: string): Promise<RawResponse> => rawRequest(gw.port, Buffer.from(payload, 'latin1'), 2000);

/** Waits until every request the upstream got has either completed or broken off. */
async function settled(): Promise<void> {
  for (let i = 0; i < 200 && upstream.requests.length !== seen.length + aborted; i++) await new Promise((r) => setTimeout(r, 10));
  expect(upstream.requests.length).toBe(seen.length + aborted);
}

function expectJsonError(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/json');
  const body = JSON.parse(res.body) as { error: { status: number; code: string; requestId: string } };
  expect(body.error.status).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['x-request-id']).toBe(body.error.requestId);
}

/** Exactly one response on the connection: no second (smuggled) request was answered. */
function expectOneResponse(res: RawResponse): void {
  expect(res.text.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
}

const H = 'Host: 127.0.0.1\r\n';
const CLOSE = 'Connection: close\r\n';
const GET = (extra: string) => `GET /public/x HTTP/1.1\r\n${H}${extra}\r\n`;

// [case, status, code, payload] — all refused before any route runs.
const refused: [string, number, string, string][] = [
  // request line
  ['missing version (llhttp: HTTP/0.9 with headers)', 400, 'bad_request', `GET /public/x\r\n${H}\r\n`],
  ['HTTP/0.9 style GET /', 400, 'bad_request', 'GET /\r\n\r\n'],
  ['lower-case method', 400, 'bad_request', `get /public/x HTTP/1.1\r\n${H}\r\n`],
  ['garbage method', 400, 'bad_request', `G@T /public/x HTTP/1.1\r\n${H}\r\n`],
  ['very long method', 400, 'bad_request', `${'A'.repeat(5000)} /public/x HTTP/1.1\r\n${H}\r\n`],
  ['unknown version HTTP/9.9', 400, 'bad_request', `GET /public/x HTTP/9.9\r\n${H}\r\n`],
  ['HTTP/2.0 in HTTP/1 framing', 400, 'bad_request', `GET /public/x HTTP/2.0\r\n${H}\r\n`],
  ['NUL in target', 400, 'bad_request', `GET /public/x\x00y HTTP/1.1\r\n${H}\r\n`],
  ['CR in target', 400, 'bad_request', `GET /public/x\ry HTTP/1.1\r\n${H}\r\n`],
  ['bare LF line endings', 400, 'bad_request', 'GET /public/x HTTP/1.1\nHost: 127.0.0.1\n\n'],
  ['bare LF after one header', 400, 'bad_request', `GET /public/x HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n`],
  // headers
  ['header without colon', 400, 'bad_request', GET('NoColon\r\n')],
  ['space before colon (Host : x)', 400, 'bad_request', `GET /public/x HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n`],
  ['space before colon (other header)', 400, 'bad_request', GET('X-A : b\r\n')],
  ['parenthesis in name', 400, 'bad_request', GET('X(A): b\r\n')],
  ['@ in name', 400, 'bad_request', GET('X@A: b\r\n')],
  ['space in name', 400, 'bad_request', GET('X A: b\r\n')],
  ['non-ASCII byte in name', 400, 'bad_request', GET('X-\xc4: b\r\n')],
  ['empty name', 400, 'bad_request', GET(': b\r\n')],
  ['CR inside value', 400, 'bad_request', GET('X-A: b\rc\r\n')],
  ['LF inside value', 400, 'bad_request', GET('X-A: b\nc\r\n')],
  ['NUL inside value', 400, 'bad_request', GET('X-A: b\x00c\r\n')],
  ['control byte inside value', 400, 'bad_request', GET('X-A: b\x01c\r\n')],
  ['DEL inside value', 400, 'bad_request', GET('X-A: b\x7fc\r\n')],
  ['obs-fold with space', 400, 'bad_request', GET('X-A: b\r\n c\r\n')],
  ['obs-fold with tab', 400, 'bad_request', GET('X-A: b\r\n\tc\r\n')],
];

describe('malformed request lines and headers', () => {
  it.each(refused)('%s → %i %s, connection closed, upstream sees nothing', async (_name, status, code, payload) => {
    const before = upstream.requests.length;
    const res = await send(payload);
    expectJsonError(res, status, code);
    expectOneResponse(res);
    expect(res.closed).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it('accepted: two spaces after the method (llhttp skips them); the upstream gets a clean request', async () => {
    const before = seen.length;
    const res = await send(`GET  /public/x HTTP/1.1\r\n${H}${CLOSE}\r\n`);
    expect(res.status).toBe(200);
    expect(seen.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /public/x']);
  });

  it('accepted: HTTP/1.0 without Host (Host is required only in HTTP/1.1)', async () => {
    const before = seen.length;
    const res = await send('GET /public/x HTTP/1.0\r\n\r\n');
    expect(res.closed).toBe(true);
    expect(res.status).toBe(200);
    expect(seen.slice(before).map((r) => r.url)).toEqual(['/public/x']);
  });
});

// A complete request for /admin: if any parser on the way read it as a request of its own, the
// `admin` route would forward it and the upstream would record it.
const SMUGGLED = 'GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const L = SMUGGLED.length;
const POST = (headers: string, body: string) => `POST /public/x HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const TE = 'Transfer-Encoding: chunked\r\n';

const smuggling: [string, string][] = [
  ['CL.TE: CL covers the smuggled request, chunked ends before it', POST(`Content-Length: ${5 + L}\r\n${TE}`, `0\r\n\r\n${SMUGGLED}`)],
  ['TE.CL: chunk holds the smuggled request, CL ends before it', POST(`Content-Length: 4\r\n${TE}`, `${L.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`)],
  ['two different Content-Length', POST(`Content-Length: 0\r\nContent-Length: ${L}\r\n`, SMUGGLED)],
  ['two identical Content-Length', POST(`Content-Length: ${L}\r\nContent-Length: ${L}\r\n`, SMUGGLED)],
  ['Content-Length: +N', POST(`Content-Length: +${L}\r\n`, SMUGGLED)],
  ['Content-Length: N, N', POST(`Content-Length: ${L}, ${L}\r\n`, SMUGGLED)],
  ['Content-Length: -1', POST('Content-Length: -1\r\n', SMUGGLED)],
  ['Content-Length in hex', POST(`Content-Length: 0x${L.toString(16)}\r\n`, SMUGGLED)],
  ['Content-Length with inner space', POST(`Content-Length: ${L} 0\r\n`, SMUGGLED)],
  ['Transfer-Encoding: chunked, identity', POST('Transfer-Encoding: chunked, identity\r\n', `0\r\n\r\n${SMUGGLED}`)],
  ['Transfer-Encoding: xchunked', POST('Transfer-Encoding: xchunked\r\n', `0\r\n\r\n${SMUGGLED}`)],
  ['Transfer-Encoding: xchunked with Content-Length', POST(`Transfer-Encoding: xchunked\r\nContent-Length: ${5 + L}\r\n`, `0\r\n\r\n${SMUGGLED}`)],
  ['two Transfer-Encoding headers (chunked, then x)', POST(`${TE}Transfer-Encoding: x\r\n`, `0\r\n\r\n${SMUGGLED}`)],
  ['Transfer-Encoding with space before colon, plus CL', POST(`Transfer-Encoding : chunked\r\nContent-Length: ${5 + L}\r\n`, `0\r\n\r\n${SMUGGLED}`)],
  ['Transfer-Encoding by obs-fold, plus CL', POST(`Transfer-Encoding: x\r\n chunked\r\nContent-Length: ${5 + L}\r\n`, `0\r\n\r\n${SMUGGLED}`)],
  ['chunk size garbage', POST(TE, `zz\r\n${SMUGGLED}\r\n0\r\n\r\n`)],
  ['chunk size with 0x prefix', POST(TE, `0x${L.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`)],
  ['negative chunk size', POST(TE, `-${L.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`)],
  ['chunk size overflowing 64 bits', POST(TE, `1${'0'.repeat(16)}5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ['chunk size with trailing space', POST(TE, `5 \r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ['chunk extension ending in bare LF', POST(TE, `5;a\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
];

// Framing errors found only after the head: the gateway has already started streaming the body
// upstream, so the upstream sees the request begin and then break off — never complete.
const midBody: [string, string][] = [
  ['chunk data longer than its size', POST(TE, `3\r\nhello\r\n0\r\n\r\n${SMUGGLED}`)],
  ['chunk data ending in bare LF', POST(TE, `5\r\nhello\n0\r\n\r\n${SMUGGLED}`)],
  ['bad chunk size after a good chunk', POST(TE, `5\r\nhello\r\nzz\r\n${SMUGGLED}\r\n0\r\n\r\n`)],
];

describe('request smuggling', () => {
  it.each(smuggling)('%s → 400 bad_request, closed, upstream sees nothing', async (_name, payload) => {
    const before = upstream.requests.length;
    const res = await send(payload);
    expectJsonError(res, 400, 'bad_request');
    expectOneResponse(res);
    expect(res.closed).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it.each(midBody)('%s → 400 bad_request, closed; the upstream never gets a complete request', async (_name, payload) => {
    const arrivals = upstream.requests.length;
    const complete = seen.length;
    const res = await send(payload);
    expectJsonError(res, 400, 'bad_request');
    expectOneResponse(res);
    expect(res.closed).toBe(true);
    await settled();
    expect(seen.length).toBe(complete);
    expect(upstream.requests.length - arrivals).toBeLessThanOrEqual(1);
    for (const r of upstream.requests.slice(arrivals)) expect(r.url).toBe('/public/x');
  });

  // Accepted framings: one request reaches the upstream, with exactly the de-chunked body (here a
  // request-shaped text, which stays data), framed by the gateway itself.
  const accepted: [string, string][] = [
    ['Transfer-Encoding: identity, chunked', 'Transfer-Encoding: identity, chunked\r\n'],
    ['Transfer-Encoding: CHUNKED', 'Transfer-Encoding: CHUNKED\r\n'],
    ['Transfer-Encoding:<tab>chunked', 'Transfer-Encoding:\tchunked\r\n'],
  ];
  it.each(accepted)('accepted: %s; the upstream gets one request with the de-chunked body', async (_name, te) => {
    const before = seen.length;
    const res = await send(POST(CLOSE + te, `${L.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`));
    expect(res.status).toBe(200);
    expectOneResponse(res);
    const got = seen.slice(before);
    expect(got.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /public/x']);
    expect(got[0]!.body).toBe(SMUGGLED);
    expect(got[0]!.headers['transfer-encoding']).toBe('chunked');
  });

  it.each([
    ['token extension', '5;foo=bar'],
    ['quoted extension with ;', '5;a="b;c"'],
  ])('accepted: chunk %s; the extension is not forwarded, the body is', async (_name, sizeLine) => {
    const before = seen.length;
    const res = await send(POST(CLOSE + TE, `${sizeLine}\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n`));
    expect(res.status).toBe(200);
    const got = seen.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toBe('hello');
  });

  it('no upstream request was ever for the smuggled path', () => {
    expect(upstream.requests.filter((r) => r.url.startsWith('/admin'))).toEqual([]);
  });
});

describe('head limits (maxHeaderSize 2kb, maxHeaders 20)', () => {
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');

  it.each([
    ['one header value over the limit', GET(`X-Big: ${'a'.repeat(3000)}\r\n`)],
    ['many small headers adding up over the limit', GET(fields(15).replace(/: v/g, `: ${'b'.repeat(200)}`))],
    ['a target over the limit', `GET /public/${'p'.repeat(3000)} HTTP/1.1\r\n${H}\r\n`],
  ])('%s → 431 headers_too_large, closed, upstream sees nothing', async (_name, payload) => {
    const before = upstream.requests.length;
    const res = await send(payload);
    expectJsonError(res, 431, 'headers_too_large');
    expect(res.closed).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it('21 fields → 431 headers_too_large, never forwarded with some dropped', async () => {
    const before = upstream.requests.length;
    const res = await send(GET(CLOSE + fields(19)));
    expectJsonError(res, 431, 'headers_too_large');
    expect(upstream.requests.length).toBe(before);
  });

  it('20 fields pass, and the upstream gets every one of them', async () => {
    const before = seen.length;
    const res = await send(GET(CLOSE + fields(18)));
    expect(res.status).toBe(200);
    const got = seen.slice(before);
    expect(got).toHaveLength(1);
    for (let i = 0; i < 18; i++) expect(got[0]!.headers[`x-h${i}`]).toBe('v');
  });
});

describe('after all of the above', () => {
  it('the gateway still serves a normal request', async () => {
    const res = await fetch(`${gw.url}/public/alive`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Seen).url).toBe('/public/alive');
    // No hostile input made the gateway fail inside (that would log at error level).
    expect(gw.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
