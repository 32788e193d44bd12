/**
 * JWT key sources over the network and the verified-token cache, from outside: a JWKS served
 * by a real HTTP server, a JWKS that cannot be reached (503 auth_unavailable, not 401), the
 * cache honouring exp under an injected clock, and `portcullis token` output accepted by an
 * HS256 route end to end.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const SECRET = 'cache-test-secret-0123456789abcdefgh';
const toSeconds = (ms: number) => Math.floor(ms / 1000);

let upstream: TestUpstream;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await upstream?.close();
});

async function gateway(yaml: string, options: Parameters<typeof startGateway>[1] = {}): Promise<TestGateway> {
  const gw = await startGateway(`${LISTEN}upstreams: { echo: { targets: ["${upstream.url}"] } }\n${yaml}`, options);
  stops.push(() => gw.stop());
  return gw;
}

describe('JWKS key source', () => {
  it('RS256 tokens verify against keys served by a JWKS URL; an unknown key is 401', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    stops.push(() => jwks.close());
    const gw = await gateway(`auth: { idp: { type: jwt, algorithms: [RS256], jwksUri: "${jwks.url}/jwks" } }
routes: [{ name: r, match: { path: /r }, upstream: echo, auth: { use: [idp] } }]
`);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('idp-user').setExpirationTime('5m').sign(privateKey);
    const ok = await fetch(`${gw.url}/r`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { headers: Record<string, string> }).headers['x-user-id']).toBe('idp-user');
    const other = await generateKeyPair('RS256');
    const stranger = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime('5m').sign(other.privateKey);
    const bad = await fetch(`${gw.url}/r`, { headers: { authorization: `Bearer ${stranger}` } });
    expect(bad.status).toBe(401);
  });

  it('a JWKS never fetched answers 503 auth_unavailable with Retry-After, never 401', async () => {
    const port = await deadPort();
    const gw = await gateway(`auth: { idp: { type: jwt, algorithms: [RS256], jwksUri: "http://127.0.0.1:${port}/jwks" } }
routes: [{ name: r, match: { path: /r }, upstream: echo, auth: { use: [idp] } }]
`);
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime('5m').sign(privateKey);
    const res = await fetch(`${gw.url}/r`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('auth_unavailable');
    // Garbage is still garbage: no key is needed to refuse it.
    expect((await fetch(`${gw.url}/r`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    // No credentials at all: 401, the IdP being down changes nothing.
    expect((await fetch(`${gw.url}/r`)).status).toBe(401);
  });
});

describe('verified-token cache', () => {
  it('a cached token stops being accepted at its exp (injected clock, no skew)', async () => {
    let now = Date.now();
    const gw = await gateway(
      `auth: { users: { type: jwt, algorithms: [HS256], secret: "${SECRET}", clockSkew: 0s } }
routes: [{ name: r, match: { path: /r }, upstream: echo, auth: { use: [users] } }]
`,
      { clock: { now: () => now } },
    );
    const exp = toSeconds(now) + 60;
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setExpirationTime(exp).sign(new TextEncoder().encode(SECRET));
    const call = async () => (await fetch(`${gw.url}/r`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await call()).toBe(200);
    expect(await call()).toBe(200); // served from the cache
    now = exp * 1000 - 1000;
    expect(await call()).toBe(200);
    now = exp * 1000 + 1;
    expect(await call()).toBe(401);
  });
});

describe('portcullis token', () => {
  it('prints an HS256 token that an HS256 provider route accepts, with its role', async () => {
    const out = await runCli(['token', '--secret', SECRET, '--sub', 'dev-user', '--role', 'admin', '--ttl', '5m']);
    expect(out.code).toBe(0);
    const token = out.stdout.trim();
    const gw = await gateway(`auth: { users: { type: jwt, algorithms: [HS256], secret: "${SECRET}" } }
routes: [{ name: admin, match: { path: /admin }, upstream: echo, auth: { use: [users], roles: [admin] } }]
`);
    const res = await fetch(`${gw.url}/admin`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { headers: Record<string, string> };
    expect(echo.headers['x-user-id']).toBe('dev-user');
    expect(echo.headers['x-user-role']).toBe('admin');
    const wrong = await runCli(['token', '--secret', `${SECRET}x`, '--sub', 'dev-user', '--role', 'admin']);
    expect((await fetch(`${gw.url}/admin`, { headers: { authorization: `Bearer ${wrong.stdout.trim()}` } })).status).toBe(401);
  });
});
