/**
 * JWT auth against a real OpenID Connect provider (oidc-provider, see test/helpers/oidc.ts):
 * the gateway is configured with the issuer alone and finds the keys through discovery and
 * JWKS; tokens come from the provider's token endpoint (RS256 and ES256). Then the provider
 * rotates its keys, goes down, and is down before the gateway starts.
 *
 * The verified-token cache is off (`tokenCache.maxEntries: 0`) so every request exercises the
 * keys, not a remembered verdict.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, httpRequest, type SimpleResponse } from '../helpers/cli.js';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { createOidcProvider, generateSigningKeys, OIDC_CLIENTS, type TestOidcProvider } from '../helpers/oidc.js';
import { startUpstream, type Echo, type TestUpstream } from '../helpers/upstream.js';

function gatewayYaml(issuer: string, audience: string, upstream: string): string {
  return `${LISTEN}
auth:
  idp:
    type: jwt
    issuer: "${issuer}"
    algorithms: [RS256, ES256]
    audience: "${audience}"
    tokenCache: { maxEntries: 0 }
upstreams:
  api: { targets: ["${upstream}"] }
routes:
  - name: orders
    match: { path: /orders }
    upstream: api
    auth: { use: [idp] }
`;
}

function get(gw: TestGateway, token?: string): Promise<SimpleResponse> {
  return httpRequest(gw.port, '/orders', { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

function errorCode(res: SimpleResponse): string | undefined {
  return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
}

function echoed(res: SimpleResponse): Echo {
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body) as Echo;
}

const foreignKeys = new Map<string, Promise<CryptoKeyPair>>();

/** A token with the provider's claims and the given kid, signed by a key the provider never had. */
async function forgedToken(idp: TestOidcProvider, kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<string> {
  if (!foreignKeys.has(alg)) foreignKeys.set(alg, generateKeyPair(alg) as Promise<CryptoKeyPair>);
  const { privateKey } = await foreignKeys.get(alg)!;
  return new SignJWT({ scope: 'orders:read', client_id: OIDC_CLIENTS.RS256.id })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(idp.issuer)
    .setAudience(idp.audience)
    .setSubject(OIDC_CLIENTS.RS256.id)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('JWT auth with a real OIDC provider (discovery + JWKS)', () => {
  let upstream: TestUpstream;
  let idp: TestOidcProvider;
  let gw: TestGateway;
  // The gateway's clock, moved forward to get past the 30 s unknown-kid refetch cooldown.
  const clock = { offset: 0, now: () => Date.now() + clock.offset };

  beforeAll(async () => {
    upstream = await startUpstream();
    idp = await createOidcProvider({ keys: await generateSigningKeys([{ kid: 'rs-1', alg: 'RS256' }, { kid: 'es-1', alg: 'ES256' }]) });
    gw = await startGateway(gatewayYaml(idp.issuer, idp.audience, upstream.url), { clock });
  });

  afterAll(async () => {
    await gw?.stop();
    await idp?.stop();
    await upstream?.close();
  });

  it('accepts RS256 and ES256 access tokens issued by the provider; the upstream sees X-User-ID = sub', async () => {
    const rs = echoed(await get(gw, await idp.token('RS256')));
    expect(rs.headers['x-user-id']).toBe(OIDC_CLIENTS.RS256.id);
    const es = echoed(await get(gw, await idp.token('ES256')));
    expect(es.headers['x-user-id']).toBe(OIDC_CLIENTS.ES256.id);
    expect(idp.jwksHits()).toBe(1); // one JWKS fetch served both keys
  });

  it('refuses a missing token, and tokens signed by a key the provider does not have', async () => {
    const before = upstream.requests.length;
    const hits = idp.jwksHits();
    const missing = await get(gw);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);

    for (const token of [await forgedToken(idp, 'rs-1'), await forgedToken(idp, 'es-1', 'ES256')]) {
      const res = await get(gw, token);
      expect(res.status, res.body).toBe(401);
      expect(errorCode(res)).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    }
    expect(idp.jwksHits()).toBe(hits); // a known kid with a bad signature is no reason to refetch
    // An unknown kid: one refetch (which does not know it either), then refused.
    const unknown = await get(gw, await forgedToken(idp, 'attacker-kid'));
    expect(unknown.status).toBe(401);
    expect(errorCode(unknown)).toBe('invalid_token');
    expect(idp.jwksHits()).toBe(hits + 1);
    expect(upstream.requests.length).toBe(before);
  });

  it('picks up rotated keys on the unknown-kid refetch, and forgets the removed ones', async () => {
    const oldToken = await idp.token('RS256');
    expect((await get(gw, oldToken)).status).toBe(200);
    await idp.rotate(await generateSigningKeys([{ kid: 'rs-2', alg: 'RS256' }, { kid: 'es-2', alg: 'ES256' }]));
    clock.offset += 31_000; // the previous test spent the refetch budget
    const hits = idp.jwksHits();
    const newToken = await idp.token('RS256');
    expect(newToken.split('.')[0]).toBe(Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'rs-2' })).toString('base64url'));
    const res = await get(gw, newToken);
    expect(echoed(res).headers['x-user-id']).toBe(OIDC_CLIENTS.RS256.id);
    expect(idp.jwksHits()).toBe(hits + 1);
    const es = echoed(await get(gw, await idp.token('ES256')));
    expect(es.headers['x-user-id']).toBe(OIDC_CLIENTS.ES256.id);
    expect(idp.jwksHits()).toBe(hits + 1);

    // rs-1 is gone from the provider's JWKS: its tokens are refused now, without a new fetch.
    const gone = await get(gw, oldToken);
    expect(gone.status).toBe(401);
    expect(errorCode(gone)).toBe('invalid_token');
    // Unknown kids are refused, and do not make the gateway hammer the provider (one refetch
    // per 30 s, already spent on rs-2 above).
    for (let i = 0; i < 5; i++) {
      const res = await get(gw, await forgedToken(idp, `junk-${i}`));
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('invalid_token');
    }
    expect(idp.jwksHits()).toBe(hits + 1);
  });

  it('keeps verifying with the known keys while the provider is down', async () => {
    // Minted before the outage, never seen by the gateway (and the token cache is off).
    const rs = await idp.token('RS256');
    const es = await idp.token('ES256');
    await idp.stop();
    // An unknown kid makes the gateway try the provider, which is down: that fetch fails.
    clock.offset += 31_000;
    const hits = idp.jwksHits();
    expect((await get(gw, await forgedToken(idp, 'after-outage'))).status).toBe(401);
    expect(gw.logs.filter((l) => l.msg === 'JWKS refresh failed; keeping the last good keys')).toHaveLength(1);
    expect(idp.jwksHits()).toBe(hits);

    expect(echoed(await get(gw, rs)).headers['x-user-id']).toBe(OIDC_CLIENTS.RS256.id);
    expect(echoed(await get(gw, es)).headers['x-user-id']).toBe(OIDC_CLIENTS.ES256.id);
    const forged = await get(gw, await forgedToken(idp, 'rs-2'));
    expect(forged.status).toBe(401);
    expect(errorCode(forged)).toBe('invalid_token');

    // Back up: the next unknown-kid refetch succeeds again.
    await idp.start();
    clock.offset += 31_000;
    expect((await get(gw, await forgedToken(idp, 'after-recovery'))).status).toBe(401);
    expect(idp.jwksHits()).toBeGreaterThan(hits); // (a background retry may have come first)
    await eventually(() => expect(gw.logs.some((l) => l.msg === 'JWKS fetched again; identity provider reachable')).toBe(true));
    expect(echoed(await get(gw, await idp.token('RS256'))).headers['x-user-id']).toBe(OIDC_CLIENTS.RS256.id);
  });
});

describe('a gateway started while the OIDC provider is down', () => {
  let upstream: TestUpstream;
  let idp: TestOidcProvider;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startUpstream();
    idp = await createOidcProvider({ started: false });
  });

  afterAll(async () => {
    await gw?.stop();
    await idp?.stop();
    await upstream?.close();
  });

  it('answers 503 auth_unavailable (not 401) until the provider is up, then accepts its tokens', async () => {
    gw = await startGateway(gatewayYaml(idp.issuer, idp.audience, upstream.url));
    // Any well-formed token: the gateway has no key to judge it with.
    const someToken = await forgedToken(idp, 'rs-1');
    for (let i = 0; i < 3; i++) {
      const res = await get(gw, someToken);
      expect(res.status, res.body).toBe(503);
      expect(errorCode(res)).toBe('auth_unavailable');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
    expect(upstream.requests).toHaveLength(0);
    expect(gw.logs.some((l) => l.level === 'warn' && /JWKS fetch failed/.test(String(l.msg)))).toBe(true);

    await idp.start();
    const token = await idp.token('ES256');
    // Background retries (1 s, then doubling) find the provider.
    const res = await eventually(async () => {
      const r = await get(gw, token);
      if (r.status !== 200) throw new Error(`still ${r.status}: ${r.body}`);
      return r;
    }, 10_000, 200);
    expect(echoed(res).headers['x-user-id']).toBe(OIDC_CLIENTS.ES256.id);
    // The forged token is now judged, and refused as a token problem.
    expect((await get(gw, someToken)).status).toBe(401);
  });
});
