/**
 * Hostile bytes over raw sockets, part 2: the Host header, request-target forms and path
 * traversal spellings (part 1, parsing and smuggling, is hostile-input.test.ts).
 *
 * Behaviour documented here:
 * - absolute-form (`GET http://h/x HTTP/1.1`) is accepted and its authority, not the Host
 *   header, is the host used for routing (RFC 9112 §3.2.2) and sent as X-Forwarded-Host;
 * - authority-form (`CONNECT h:443`) is refused as JSON 400 invalid_path: this is no forward proxy;
 *   `GET h:443` is refused by node's parser; asterisk-form `OPTIONS *` is refused 400 invalid_path;
 * - a traversal spelling is normalised (dot segments, `%2e`) and the route table decides on the
 *   result, or refused 400 invalid_path (encoded slash or backslash, raw backslash, `..;`);
 *   overlong UTF-8 (`%c0%ae`) and double encoding (`%252e`) are not dots: they are forwarded
 *   under the route that matched, escapes kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, LISTEN, type TestGateway } from '../helpers/gateway.js';
import { rawRequest, type RawResponse } from '../helpers/raw.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

let upstream: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gw = await startGateway(`${LISTEN}
upstreams:
  u: { targets: ["${upstream.url}"] }
routes:
  - { name: public, match: { path: /public }, upstream: u }
  # Only for this host: no other Host or absolute-form authority may reach it.
  - { name: internal, match: { path: /internal, host: internal.example }, upstream: u }
`);
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

/** Every request says Connection: close, so the exchange ends when the gateway closes. */
const get = (target: string, headers = 'Host: 127.0.0.1\r\n', method = 'GET'): Promise<RawResponse> =>
  rawRequest(gw.port, Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`, 'latin1'), 2000);

function expectJsonError(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/json');
  const body = JSON.parse(res.body) as { error: { status: number; code: string; requestId: string } };
  expect(body.error.status).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers['x-request-id']).toBe(body.error.requestId);
}

/** Sends, then checks the answer and exactly what (if anything) the upstream received. */
async function expectOutcome(res: Promise<RawResponse>, status: number, codeOrUrl: string | null): Promise<Echo | undefined> {
  const before = upstream.requests.length;
  const answer = await res;
  const got = upstream.requests.slice(before);
  if (status === 200) {
    expect(answer.status).toBe(200);
    expect(got.map((r) => r.url)).toEqual([codeOrUrl]);
    return got[0];
  }
  expectJsonError(answer, status, codeOrUrl!);
  expect(got).toEqual([]);
  return undefined;
}

describe('Host', () => {
  it.each([
    ['missing on HTTP/1.1', '', 400, 'bad_request'],
    ['two Host headers', 'Host: 127.0.0.1\r\nHost: internal.example\r\n', 400, 'bad_request'],
    ['two Host headers, different case', 'host: internal.example\r\nHOST: 127.0.0.1\r\n', 400, 'bad_request'],
    ['a Host with a slash', 'Host: internal.example/x\r\n', 400, 'bad_request'],
    ['a Host with a space', 'Host: internal.example x\r\n', 400, 'bad_request'],
    ['a Host with a quote', 'Host: "internal.example"\r\n', 400, 'bad_request'],
  ])('%s → %i %s, upstream sees nothing', async (_name, headers, status, code) => {
    await expectOutcome(get('/internal', headers), status, code);
  });

  it.each([
    ['internal.example', 'Host: internal.example\r\n'],
    ['upper case with a port', 'Host: INTERNAL.Example:8080\r\n'],
  ])('the host-restricted route serves its own host (%s)', async (_name, headers) => {
    await expectOutcome(get('/internal/x', headers), 200, '/internal/x');
  });
});

describe('request-target forms', () => {
  it('absolute-form: the authority, not Host, picks the route (another host cannot reach a restricted route)', async () => {
    await expectOutcome(get('http://evil.example/internal', 'Host: internal.example\r\n'), 404, 'not_found');
    await expectOutcome(get('http://evil.example/public/../internal', 'Host: internal.example\r\n'), 404, 'not_found');
  });

  it('absolute-form: the authority is used as the host and forwarded as X-Forwarded-Host', async () => {
    const echo = await expectOutcome(get('http://Internal.Example:8080/public/../internal/x?q=1', 'Host: evil.example\r\n'), 200, '/internal/x?q=1');
    expect(echo!.headers['x-forwarded-host']).toBe('internal.example:8080');
    expect(echo!.headers.host).toBe(`127.0.0.1:${upstream.port}`);
  });

  it.each([
    ['with userinfo', 'http://u@internal.example/internal'],
    ['with another scheme', 'ftp://internal.example/internal'],
    ['with an invalid authority', 'http://internal[example/internal'],
  ])('absolute-form %s → 400 invalid_path', async (_name, target) => {
    await expectOutcome(get(target), 400, 'invalid_path');
  });

  it('authority-form CONNECT → 400 invalid_path as JSON, connection closed', async () => {
    const before = upstream.requests.length;
    const res = await get('internal.example:443', 'Host: internal.example:443\r\n', 'CONNECT');
    expectJsonError(res, 400, 'invalid_path');
    expect(res.closed).toBe(true);
    expect(upstream.requests.length).toBe(before);
  });

  it('authority-form with GET is refused by the parser → 400 bad_request', async () => {
    await expectOutcome(get('internal.example:443', 'Host: internal.example:443\r\n'), 400, 'bad_request');
  });

  it('asterisk-form OPTIONS * → 400 invalid_path', async () => {
    await expectOutcome(get('*', 'Host: 127.0.0.1\r\n', 'OPTIONS'), 400, 'invalid_path');
  });
});

// [raw target, status, upstream path (200) or error code]. Host is 127.0.0.1, so `/internal`
// (restricted to internal.example) is not found whatever the spelling.
const traversal: [string, number, string][] = [
  ['/public/x/../y', 200, '/public/y'],
  ['/../public/x', 200, '/public/x'],
  ['/public//x/./y', 200, '/public/x/y'],
  ['/public/%2e/x', 200, '/public/x'],
  ['/public/../internal', 404, 'not_found'],
  ['/public/x/../../../internal', 404, 'not_found'],
  ['/public/%2e%2e/internal', 404, 'not_found'],
  ['/public/%2E%2e/internal', 404, 'not_found'],
  ['/public/.%2e/internal', 404, 'not_found'],
  ['/public/..', 404, 'not_found'],
  ['/public/%2E%2e%2finternal', 400, 'invalid_path'],
  ['/public/..%2finternal', 400, 'invalid_path'],
  ['/public/..%2Finternal', 400, 'invalid_path'],
  ['/public/..;/internal', 400, 'invalid_path'],
  ['/public/.;/x', 400, 'invalid_path'],
  ['/public/%2e%2e;x/internal', 400, 'invalid_path'],
  ['/public\\..\\internal', 400, 'invalid_path'],
  ['/public/%5c..%5cinternal', 400, 'invalid_path'],
  ['/public/..%5Cinternal', 400, 'invalid_path'],
  ['/public/%00/x', 400, 'invalid_path'],
  ['/public/%zz', 400, 'invalid_path'],
  ['/public/%c0%ae%c0%ae/internal', 200, '/public/%C0%AE%C0%AE/internal'],
  ['/public/%252e%252e/internal', 200, '/public/%252e%252e/internal'],
];

describe('path traversal spellings', () => {
  it.each(traversal)('%s → %i %s', async (target, status, expected) => {
    await expectOutcome(get(target), status, expected);
  });

  it('no upstream path ever held a dot segment, an encoded slash or backslash, or a backslash', () => {
    expect(upstream.requests.length).toBeGreaterThan(0);
    for (const { url } of upstream.requests) {
      const path = url.split('?')[0]!;
      expect(path).not.toMatch(/%2f|%5c|\\/i);
      for (const segment of path.split('/')) {
        let decoded = segment;
        try {
          decoded = decodeURIComponent(segment);
        } catch {
          // Not valid UTF-8 once decoded (overlong forms): no compliant upstream reads it as a dot.
        }
        expect(['.', '..']).not.toContain(decoded.split(';')[0]);
      }
    }
  });
});

describe('after all of the above', () => {
  it('the gateway still serves a normal request', async () => {
    const res = await fetch(`${gw.url}/public/alive`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).url).toBe('/public/alive');
    // No hostile input made the gateway fail inside (that would log at error level).
    expect(gw.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
