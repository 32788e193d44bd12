/**
 * API keys, optional auth, hideCredentials and routes accepting several kinds of credentials,
 * seen from outside through YAML, a real gateway and a real echo upstream.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

const SECRET = 'api-keys-test-secret-0123456789abcdef';
const ACME_KEY = 'acme-key-7f1c2e9b4d';
const GLOBEX_KEY = 'globex-plain-key-55aa';
const digest = (key: string) => `sha256:${createHash('sha256').update(key).digest('hex')}`;
const hs = (claims: Record<string, unknown> = {}, sub = 'user-1') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

let upstream: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gw = await startGateway(`${LISTEN}
upstreams: { echo: { targets: ["${upstream.url}"] } }
auth:
  users: { type: jwt, algorithms: [HS256], secret: "${SECRET}" }
  partners: { type: apiKey, keys: { acme: "${digest(ACME_KEY)}", globex: "${GLOBEX_KEY}" } }
  internal: { type: apiKey, header: X-Internal-Key, query: key, keys: { ops: "${digest('ops-key-1234567890')}" } }
routes:
  - { name: keys, match: { path: /keys }, upstream: echo, auth: { use: [partners] } }
  - { name: keys-hidden, match: { path: /keys-hidden }, upstream: echo, auth: { use: [internal], hideCredentials: true } }
  - { name: keys-shown, match: { path: /keys-shown }, upstream: echo, auth: { use: [internal] } }
  - { name: either, match: { path: /either }, upstream: echo, auth: { use: [users, partners] } }
  - { name: optional, match: { path: /optional }, upstream: echo, auth: { use: [users], optional: true } }
  - { name: jwt-hidden, match: { path: /jwt-hidden }, upstream: echo, auth: { use: [users], hideCredentials: true } }
`);
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const before = upstream.requests.length;
  const res = await fetch(gw.url + path, { headers });
  const body = (await res.json()) as { error?: { code: string } };
  const reached = upstream.requests.length > before;
  return { status: res.status, headers: res.headers, body, reached, echo: reached ? upstream.requests.at(-1)! : null };
}

function expectInvalid(res: Awaited<ReturnType<typeof get>>) {
  expect(res.status).toBe(401);
  expect(res.body.error?.code).toBe('invalid_token');
  expect(res.reached).toBe(false);
}

describe('API keys', () => {
  it('a good key (stored as sha256) passes and names its consumer', async () => {
    const res = await get('/keys', { 'x-api-key': ACME_KEY });
    expect(res.status).toBe(200);
    expect(res.echo!.headers['x-consumer']).toBe('acme');
    expect(res.echo!.headers['x-user-id']).toBeUndefined();
    // Forwarded unless hideCredentials.
    expect(res.echo!.headers['x-api-key']).toBe(ACME_KEY);
  });

  it('a plain stored key works too (and was reported as a warning at load)', async () => {
    const res = await get('/keys', { 'x-api-key': GLOBEX_KEY });
    expect(res.status).toBe(200);
    expect(res.echo!.headers['x-consumer']).toBe('globex');
    const warning = gw.logs.find((l) => l['msg'] === 'config warning' && JSON.stringify(l).includes('partners'));
    expect(JSON.stringify(warning)).toContain('plain-text key');
  });

  it.each([
    ['wrong key', { 'x-api-key': 'acme-key-7f1c2e9b4e' }],
    ['the stored digest itself', { 'x-api-key': digest(ACME_KEY) }],
    ['the digest hex', { 'x-api-key': digest(ACME_KEY).slice(7) }],
    ['empty', { 'x-api-key': '' }],
    ['a prefix of a key', { 'x-api-key': ACME_KEY.slice(0, -1) }],
  ])('%s is refused', async (_name, headers) => {
    expectInvalid(await get('/keys', headers));
  });

  it('missing key: 401 with a bare challenge', async () => {
    const res = await get('/keys');
    expectInvalid(res);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="portcullis"');
  });

  it('the key header twice is refused', async () => {
    const res = await rawRequest(gw.port, `GET /keys HTTP/1.1\r\nHost: x\r\nX-API-Key: ${ACME_KEY}\r\nX-API-Key: ${ACME_KEY}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(401);
  });

  it('a key in the query parameter passes; the header name is configurable', async () => {
    expect((await get('/keys-shown?key=ops-key-1234567890')).status).toBe(200);
    expect((await get('/keys-shown', { 'x-internal-key': 'ops-key-1234567890' })).status).toBe(200);
    expectInvalid(await get('/keys-shown?key=nope'));
    // The default header is not read by a provider that names another one.
    expectInvalid(await get('/keys-shown', { 'x-api-key': 'ops-key-1234567890' }));
  });

  it('a key in two places (header and query, or the query twice) is refused', async () => {
    expectInvalid(await get('/keys-shown?key=ops-key-1234567890', { 'x-internal-key': 'ops-key-1234567890' }));
    expectInvalid(await get('/keys-shown?key=ops-key-1234567890&key=ops-key-1234567890'));
  });

  it('hideCredentials removes the key header and the query parameter, keeping other parameters as sent', async () => {
    const viaHeader = await get('/keys-hidden/x?a=1', { 'x-internal-key': 'ops-key-1234567890' });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.echo!.headers['x-internal-key']).toBeUndefined();
    expect(viaHeader.echo!.headers['x-consumer']).toBe('ops');
    const viaQuery = await get('/keys-hidden/x?a=%20b&key=ops-key-1234567890&c=d+e');
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.echo!.url).toBe('/keys-hidden/x?a=%20b&c=d+e');
    const only = await get('/keys-hidden/x?key=ops-key-1234567890');
    expect(only.echo!.url).toBe('/keys-hidden/x');
    const shown = await get('/keys-shown/x?key=ops-key-1234567890');
    expect(shown.echo!.url).toBe('/keys-shown/x?key=ops-key-1234567890');
  });
});

describe('several providers, optional, hideCredentials', () => {
  it('a route accepting JWT and API keys takes either', async () => {
    const jwt = await get('/either', { authorization: `Bearer ${await hs({}, 'ann')}` });
    expect(jwt.status).toBe(200);
    expect(jwt.echo!.headers['x-user-id']).toBe('ann');
    const key = await get('/either', { 'x-api-key': ACME_KEY });
    expect(key.status).toBe(200);
    expect(key.echo!.headers['x-consumer']).toBe('acme');
  });

  it('a JWT and an API key together are refused (credentials in two places)', async () => {
    expectInvalid(await get('/either', { authorization: `Bearer ${await hs()}`, 'x-api-key': ACME_KEY }));
  });

  it('a bad JWT does not fall back to a good API key, nor the reverse', async () => {
    expectInvalid(await get('/either', { authorization: 'Bearer x.y.z' }));
    expectInvalid(await get('/either', { 'x-api-key': 'wrong' }));
  });

  it('optional: no credentials pass without identity; bad credentials are still 401', async () => {
    const anon = await get('/optional', { 'x-user-id': 'root' });
    expect(anon.status).toBe(200);
    expect(anon.echo!.headers['x-user-id']).toBeUndefined();
    const good = await get('/optional', { authorization: `Bearer ${await hs({}, 'bob')}` });
    expect(good.echo!.headers['x-user-id']).toBe('bob');
    expectInvalid(await get('/optional', { authorization: 'Bearer nope' }));
    expectInvalid(await get('/optional', { authorization: 'Basic dXNlcjpwYXNz' }));
  });

  it('hideCredentials removes Authorization before forwarding', async () => {
    const token = await hs({}, 'carl');
    const res = await get('/jwt-hidden', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.echo!.headers.authorization).toBeUndefined();
    expect(res.echo!.headers['x-user-id']).toBe('carl');
  });
});
