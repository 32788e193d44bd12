/**
 * JWT auth seen from outside: YAML config, a real gateway, a real echo upstream. Tokens are
 * signed in the test with jose (HS256/384/512; RS256, PS256, ES256, EdDSA with keys generated
 * here and given as PEM). Covers the attacks of issue 3 (alg none, algorithm confusion, expired,
 * not yet valid, wrong iss/aud, tampered payload, oversized and garbage tokens, two
 * Authorization headers, spoofed identity headers incl. `Connection: X-User-ID`) and roles and
 * scopes with any/all.
 */
import { createHmac } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

const SECRET = 'test-secret-that-is-long-enough-0123456789';
const ISSUER = 'https://issuer.test';
const now = () => Math.floor(Date.now() / 1000);

interface Keys {
  rs: { privateKey: CryptoKey; pem: string };
  ps: { privateKey: CryptoKey; pem: string };
  es: { privateKey: CryptoKey; pem: string };
  ed: { privateKey: CryptoKey; pem: string };
}

async function pair(alg: string): Promise<{ privateKey: CryptoKey; pem: string }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, pem: await exportSPKI(publicKey) };
}

async function sign(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  alg: string,
  opts: { exp?: number; nbf?: number; iss?: string; aud?: string | string[]; sub?: string | null } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt();
  if (opts.sub !== null) jwt.setSubject(opts.sub ?? 'user-1');
  jwt.setExpirationTime(opts.exp ?? now() + 600);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  if (opts.iss !== undefined) jwt.setIssuer(opts.iss);
  if (opts.aud !== undefined) jwt.setAudience(opts.aud);
  return jwt.sign(key);
}

const hs = (claims: Record<string, unknown> = {}, opts: Parameters<typeof sign>[3] = {}, alg = 'HS256') => sign(claims, new TextEncoder().encode(SECRET), alg, opts);

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

let upstream: TestUpstream;
let gw: TestGateway;
let keys: Keys;

function config(): string {
  return `${LISTEN}
upstreams: { echo: { targets: ["${upstream.url}"] } }
auth:
  hs256: { type: jwt, algorithms: [HS256], secret: "${SECRET}" }
  hs384: { type: jwt, algorithms: [HS384], secret: "${SECRET}" }
  hs512: { type: jwt, algorithms: [HS512], secret: "${SECRET}" }
  rs: { type: jwt, algorithms: [RS256], publicKey: ${JSON.stringify(keys.rs.pem)}, issuer: "${ISSUER}", audience: [api, other] }
  ps: { type: jwt, algorithms: [PS256], publicKey: ${JSON.stringify(keys.ps.pem)} }
  es: { type: jwt, algorithms: [ES256], publicKey: ${JSON.stringify(keys.es.pem)} }
  ed: { type: jwt, algorithms: [EdDSA], publicKey: ${JSON.stringify(keys.ed.pem)} }
  strict: { type: jwt, algorithms: [HS256], secret: "${SECRET}", requiredClaims: [email], clockSkew: 5s, maxTokenSize: 400b }
  keycloak:
    type: jwt
    algorithms: [HS256]
    secret: "${SECRET}"
    rolesClaim: realm_access.roles
    headers: { tenant: X-Tenant, email: null, scopes: X-User-Scopes }
routes:
  - { name: hs256, match: { path: /hs256 }, upstream: echo, auth: { use: [hs256] } }
  - { name: hs384, match: { path: /hs384 }, upstream: echo, auth: { use: [hs384] } }
  - { name: hs512, match: { path: /hs512 }, upstream: echo, auth: { use: [hs512] } }
  - { name: rs, match: { path: /rs }, upstream: echo, auth: { use: [rs] } }
  - { name: ps, match: { path: /ps }, upstream: echo, auth: { use: [ps] } }
  - { name: es, match: { path: /es }, upstream: echo, auth: { use: [es] } }
  - { name: ed, match: { path: /ed }, upstream: echo, auth: { use: [ed] } }
  - { name: multi, match: { path: /multi }, upstream: echo, auth: { use: [rs, hs256, es] } }
  - { name: strict, match: { path: /strict }, upstream: echo, auth: { use: [strict] } }
  - { name: open, match: { path: /open }, upstream: echo }
  - { name: roles-any, match: { path: /roles-any }, upstream: echo, auth: { use: [hs256], roles: [admin, ops] } }
  - { name: roles-all, match: { path: /roles-all }, upstream: echo, auth: { use: [hs256], roles: [admin, ops], match: all } }
  - { name: scopes-all, match: { path: /scopes-all }, upstream: echo, auth: { use: [hs256], scopes: ["orders:read", "orders:write"], match: all } }
  - { name: scopes-any, match: { path: /scopes-any }, upstream: echo, auth: { use: [hs256], scopes: ["orders:read", "orders:write"] } }
  - { name: kc, match: { path: /kc }, upstream: echo, auth: { use: [keycloak], roles: [admin] } }
`;
}

beforeAll(async () => {
  const [rs, ps, es, ed] = await Promise.all([pair('RS256'), pair('PS256'), pair('ES256'), pair('EdDSA')]);
  keys = { rs, ps, es, ed };
  upstream = await startUpstream();
  gw = await startGateway(config());
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const before = upstream.requests.length;
  const res = await fetch(gw.url + path, { headers });
  const text = await res.text();
  const body = text.startsWith('{') ? (JSON.parse(text) as { error?: { code: string; status: number }; headers?: Echo['headers'] }) : {};
  return { status: res.status, headers: res.headers, body, reached: upstream.requests.length > before, echo: upstream.requests.length > before ? upstream.requests.at(-1)! : null };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectInvalid(res: Awaited<ReturnType<typeof get>>) {
  expect(res.status).toBe(401);
  expect(res.body.error?.code).toBe('invalid_token');
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="portcullis", error="invalid_token"');
  expect(res.reached).toBe(false);
}

describe('algorithms and key sources', () => {
  it.each(['HS256', 'HS384', 'HS512'])('%s with the shared secret passes and sets identity headers', async (alg) => {
    const token = await hs({ email: 'ann@example.com', role: 'admin' }, { sub: 'ann' }, alg);
    const res = await get(`/${alg.toLowerCase()}/x`, bearer(token));
    expect(res.status).toBe(200);
    expect(res.echo!.headers['x-user-id']).toBe('ann');
    expect(res.echo!.headers['x-user-email']).toBe('ann@example.com');
    expect(res.echo!.headers['x-user-role']).toBe('admin');
    expect(res.echo!.headers['x-consumer']).toBe('ann');
    // Not hidden by default: the upstream may want the token itself.
    expect(res.echo!.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('a token signed with another HMAC size is refused (HS512 token on the HS256 route)', async () => {
    expectInvalid(await get('/hs256', bearer(await hs({}, {}, 'HS512'))));
  });

  it.each([
    ['rs', 'RS256'],
    ['ps', 'PS256'],
    ['es', 'ES256'],
    ['ed', 'EdDSA'],
  ] as const)('%s: %s verified with the PEM public key', async (route, alg) => {
    const opts = route === 'rs' ? { iss: ISSUER, aud: 'api' } : {};
    const token = await sign({ roles: ['reader', 'writer'] }, keys[route].privateKey, alg, { ...opts, sub: `sub-${route}` });
    const res = await get(`/${route}`, bearer(token));
    expect(res.status).toBe(200);
    expect(res.echo!.headers['x-user-id']).toBe(`sub-${route}`);
    expect(res.echo!.headers['x-user-role']).toBe('reader,writer');
  });

  it('a token signed by another key of the same type is refused', async () => {
    const other = await pair('ES256');
    expectInvalid(await get('/es', bearer(await sign({}, other.privateKey, 'ES256'))));
  });

  it('several JWT providers on one route: the token picks the one that verifies it', async () => {
    const rsToken = await sign({}, keys.rs.privateKey, 'RS256', { iss: ISSUER, aud: 'other', sub: 'from-rs' });
    const hsToken = await hs({}, { sub: 'from-hs' });
    const esToken = await sign({}, keys.es.privateKey, 'ES256', { sub: 'from-es' });
    for (const [token, sub] of [[rsToken, 'from-rs'], [hsToken, 'from-hs'], [esToken, 'from-es']] as const) {
      const res = await get('/multi', bearer(token));
      expect(res.status).toBe(200);
      expect(res.echo!.headers['x-user-id']).toBe(sub);
    }
    expectInvalid(await get('/multi', bearer(await sign({}, keys.ed.privateKey, 'EdDSA'))));
  });
});

describe('attacks and bad tokens (401 invalid_token, upstream never reached)', () => {
  it('no credentials: 401 with a bare Bearer challenge (RFC 6750 §3.1: no error code)', async () => {
    const res = await get('/hs256');
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="portcullis"');
    expect(res.reached).toBe(false);
  });

  it('alg none is refused, on HMAC and asymmetric providers alike', async () => {
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'root', exp: now() + 600, iss: ISSUER, aud: 'api' })}.`;
    expectInvalid(await get('/hs256', bearer(unsigned)));
    expectInvalid(await get('/rs', bearer(unsigned)));
  });

  it('algorithm confusion: an HS256 token whose secret is the RS256 public key PEM', async () => {
    const header = b64url({ alg: 'HS256', typ: 'JWT' });
    const payload = b64url({ sub: 'root', exp: now() + 600, iss: ISSUER, aud: 'api' });
    const sig = createHmac('sha256', keys.rs.pem).update(`${header}.${payload}`).digest('base64url');
    expectInvalid(await get('/rs', bearer(`${header}.${payload}.${sig}`)));
    // Also through jose, signing with the PEM bytes as an HMAC secret.
    expectInvalid(await get('/rs', bearer(await sign({}, new TextEncoder().encode(keys.rs.pem), 'HS256', { iss: ISSUER, aud: 'api' }))));
  });

  it('expired beyond the 30 s default skew is refused; within it passes', async () => {
    expectInvalid(await get('/hs256', bearer(await hs({}, { exp: now() - 120 }))));
    expect((await get('/hs256', bearer(await hs({}, { exp: now() - 10 })))).status).toBe(200);
  });

  it('nbf in the future is refused beyond clockSkew and accepted within it', async () => {
    expectInvalid(await get('/hs256', bearer(await hs({}, { nbf: now() + 120 }))));
    expect((await get('/hs256', bearer(await hs({}, { nbf: now() + 10 })))).status).toBe(200);
    // The strict provider's skew is 5 s.
    expectInvalid(await get('/strict', bearer(await hs({ email: 'a@b.c' }, { nbf: now() + 20 }))));
  });

  it('wrong or missing iss and aud are refused; any listed audience passes', async () => {
    const rs = (opts: Parameters<typeof sign>[3]) => sign({}, keys.rs.privateKey, 'RS256', opts);
    expectInvalid(await get('/rs', bearer(await rs({ iss: 'https://evil.test', aud: 'api' }))));
    expectInvalid(await get('/rs', bearer(await rs({ iss: ISSUER, aud: 'someone-else' }))));
    expectInvalid(await get('/rs', bearer(await rs({ aud: 'api' }))));
    expectInvalid(await get('/rs', bearer(await rs({ iss: ISSUER }))));
    expect((await get('/rs', bearer(await rs({ iss: ISSUER, aud: ['x', 'other'] })))).status).toBe(200);
  });

  it('a tampered payload (claims changed after signing) is refused', async () => {
    const token = await hs({ role: 'user' }, { sub: 'mallory' });
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64url({ sub: 'mallory', role: 'admin', exp: now() + 600 })}.${s}`;
    expectInvalid(await get('/roles-any', bearer(forged)));
  });

  it('required claims are enforced', async () => {
    expectInvalid(await get('/strict', bearer(await hs({}))));
    expect((await get('/strict', bearer(await hs({ email: 'a@b.c' })))).status).toBe(200);
  });

  it('an oversized token is refused before parsing (maxTokenSize 400b)', async () => {
    const big = await hs({ email: 'a@b.c', pad: 'x'.repeat(400) });
    expect(big.length).toBeGreaterThan(400);
    expectInvalid(await get('/strict', bearer(big)));
    // Oversized garbage: refused the same way, never parsed.
    expectInvalid(await get('/strict', bearer('a'.repeat(5000))));
  });

  it.each([
    ['Bearer'],
    ['Bearer '],
    ['Bearer a.b'],
    ['Bearer a.b.c'],
    ['Bearer !!!.@@@.###'],
    ['Bearer ey$.ey$.sig'],
    ['Basic dXNlcjpwYXNz'],
    ['bearer'],
    ['Token abc'],
    ['Bearer a.b.c d.e.f'],
  ])('garbage Authorization %j is refused', async (value) => {
    expectInvalid(await get('/hs256', { authorization: value }));
  });

  it('the Bearer scheme is case-insensitive', async () => {
    const token = await hs();
    expect((await get('/hs256', { authorization: `bEaReR ${token}` })).status).toBe(200);
  });

  it('two Authorization headers are refused, even when both are valid', async () => {
    const token = await hs();
    const res = await rawRequest(gw.port, `GET /hs256 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="portcullis", error="invalid_token"');
    expect(JSON.parse(res.body).error.code).toBe('invalid_token');
  });

  it('a token in the Authorization header and in access_token is refused', async () => {
    const token = await hs();
    expectInvalid(await get(`/hs256?access_token=${token}`, bearer(token)));
  });
});

describe('identity headers cannot be spoofed', () => {
  it('client X-User-* and X-Consumer never reach the upstream, on open and protected routes', async () => {
    const spoof = { 'x-user-id': 'root', 'x-user-email': 'root@evil', 'x-user-role': 'admin', 'x-consumer': 'root' };
    const open = await get('/open', spoof);
    expect(open.status).toBe(200);
    for (const h of Object.keys(spoof)) expect(open.echo!.headers[h]).toBeUndefined();
    const prot = await get('/hs256', { ...spoof, ...bearer(await hs({}, { sub: 'real' })) });
    expect(prot.echo!.headers['x-user-id']).toBe('real');
    expect(prot.echo!.headers['x-user-role']).toBeUndefined();
    expect(prot.echo!.rawHeaders.filter((h) => h.toLowerCase() === 'x-user-id')).toHaveLength(1);
  });

  it('Connection: X-User-ID removes the client copy, never the gateway value', async () => {
    const token = await hs({}, { sub: 'real' });
    const res = await rawRequest(gw.port, `GET /hs256 HTTP/1.1\r\nHost: x\r\nConnection: close, X-User-ID\r\nX-User-ID: root\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as Echo;
    expect(echo.headers['x-user-id']).toBe('real');
    expect(echo.rawHeaders.filter((h) => h.toLowerCase() === 'x-user-id')).toHaveLength(1);
  });

  it('a custom mapped header (X-Tenant) from the client is dropped; the claim value is sent', async () => {
    const token = await hs({ tenant: 'acme', email: 'a@b.c', realm_access: { roles: ['admin'] }, scope: 'a b' });
    const res = await get('/kc', { ...bearer(token), 'x-tenant': 'evil' });
    expect(res.status).toBe(200);
    expect(res.echo!.headers['x-tenant']).toBe('acme');
    expect(res.echo!.headers['x-user-scopes']).toBe('a,b');
    // email mapped to null: not sent.
    expect(res.echo!.headers['x-user-email']).toBeUndefined();
    const anon = await get('/kc', { ...bearer(await hs({ realm_access: { roles: ['admin'] } })), 'x-tenant': 'evil' });
    expect(anon.echo!.headers['x-tenant']).toBeUndefined();
  });

  it('a claim with CR/LF is not turned into a header', async () => {
    const res = await get('/hs256', bearer(await hs({ email: 'a@b.c\r\nX-Injected: 1' })));
    expect(res.status).toBe(200);
    expect(res.echo!.headers['x-user-email']).toBeUndefined();
    expect(res.echo!.headers['x-injected']).toBeUndefined();
  });
});

describe('roles and scopes', () => {
  const forbidden = (res: Awaited<ReturnType<typeof get>>) => {
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('insufficient_scope');
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.reached).toBe(false);
  };

  it('match any: one listed role suffices (role string or roles list)', async () => {
    expect((await get('/roles-any', bearer(await hs({ role: 'ops' })))).status).toBe(200);
    expect((await get('/roles-any', bearer(await hs({ roles: ['x', 'admin'] })))).status).toBe(200);
    forbidden(await get('/roles-any', bearer(await hs({ roles: ['user'] }))));
    forbidden(await get('/roles-any', bearer(await hs({}))));
  });

  it('match all: every listed role is needed', async () => {
    expect((await get('/roles-all', bearer(await hs({ roles: ['admin', 'ops', 'x'] })))).status).toBe(200);
    forbidden(await get('/roles-all', bearer(await hs({ roles: ['admin'] }))));
  });

  it('space-separated scope claim, any and all; the challenge names the scopes', async () => {
    expect((await get('/scopes-all', bearer(await hs({ scope: 'orders:read orders:write profile' })))).status).toBe(200);
    const res = await get('/scopes-all', bearer(await hs({ scope: 'orders:read' })));
    forbidden(res);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="portcullis", error="insufficient_scope", scope="orders:read orders:write"');
    expect((await get('/scopes-any', bearer(await hs({ scope: 'orders:write' })))).status).toBe(200);
    expect((await get('/scopes-any', bearer(await hs({ scp: ['orders:read'] })))).status).toBe(200);
    forbidden(await get('/scopes-any', bearer(await hs({ scope: 'orders:readx' }))));
  });

  it('realm_access.roles (Keycloak) via rolesClaim', async () => {
    expect((await get('/kc', bearer(await hs({ realm_access: { roles: ['admin'] } })))).status).toBe(200);
    forbidden(await get('/kc', bearer(await hs({ role: 'admin', realm_access: { roles: ['user'] } }))));
  });

  it('a bad token on a role route is 401, not 403', async () => {
    expectInvalid(await get('/roles-any', bearer('x.y.z')));
  });
});
