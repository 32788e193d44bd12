import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { pino } from 'pino';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ROLE_CLAIMS, DEFAULT_SCOPE_CLAIMS } from './authorize.js';
import { resolveMapping } from './identity-headers.js';
import { AuthFailure, JwtProvider, KeysUnavailable, secretKey, type JwtKey } from './jwt-provider.js';

class Unavailable extends Error {}

let privateKey: CryptoKey;
let jwks: JWTVerifyGetKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] });
});

function provider(key: JwtKey, clock = { now: () => Date.now() }, extra: Partial<ConstructorParameters<typeof JwtProvider>[0]> = {}) {
  return new JwtProvider({
    name: 'p',
    algorithms: ['ES256'],
    key,
    clockSkewSeconds: 0,
    requiredClaims: [],
    maxTokenSize: 2048,
    roleClaims: DEFAULT_ROLE_CLAIMS,
    scopeClaims: DEFAULT_SCOPE_CLAIMS,
    mapping: resolveMapping(undefined),
    cacheEntries: 100,
    clock,
    logger: pino({ level: 'silent' }),
    ...extra,
  });
}

function remote(getKey: JWTVerifyGetKey = jwks) {
  const spy = vi.fn(getKey);
  const key: JwtKey = { kind: 'remote', getKey: spy, close: vi.fn(), isUnavailable: (err) => err instanceof Unavailable };
  return { key, spy };
}

const es = (claims: Record<string, unknown>, exp: number) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('u1').setExpirationTime(exp).sign(privateKey);

describe('JwtProvider', () => {
  it('verifies once per token: later requests are served from the cache', async () => {
    const { key, spy } = remote();
    const p = provider(key);
    const token = await es({ roles: ['a'], scope: 'r w' }, Math.floor(Date.now() / 1000) + 60);
    const first = await p.authenticate(token);
    expect(first.identity).toMatchObject({ subject: 'u1', consumer: 'u1', roles: ['a'], scopes: ['r', 'w'] });
    expect(first.headers).toEqual(['X-User-ID', 'u1', 'X-User-Role', 'a', 'X-Consumer', 'u1']);
    expect(await p.authenticate(token)).toBe(first);
    expect(spy).toHaveBeenCalledTimes(1);
    await p.authenticate(await es({}, Math.floor(Date.now() / 1000) + 61));
    expect(spy).toHaveBeenCalledTimes(2);
    expect(p.cacheSize).toBe(2);
  });

  it('a cached token is verified again, and refused, once the clock passes exp', async () => {
    const clock = { t: Date.now(), now: () => clock.t };
    const { key, spy } = remote();
    const p = provider(key, clock);
    const exp = Math.floor(clock.t / 1000) + 30;
    const token = await es({}, exp);
    await p.authenticate(token);
    clock.t = exp * 1000 + 1;
    await expect(p.authenticate(token)).rejects.toThrow(AuthFailure);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('failures are not cached', async () => {
    const { key, spy } = remote();
    const p = provider(key);
    const token = await es({}, Math.floor(Date.now() / 1000) + 60);
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expect(p.authenticate(tampered)).rejects.toThrow(AuthFailure);
    await expect(p.authenticate(tampered)).rejects.toThrow(AuthFailure);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(p.cacheSize).toBe(0);
  });

  it('an oversized token is refused before anything parses it', async () => {
    const { key, spy } = remote();
    const p = provider(key, undefined, { maxTokenSize: 100 });
    const token = await es({ pad: 'x'.repeat(200) }, Math.floor(Date.now() / 1000) + 60);
    await expect(p.authenticate(token)).rejects.toMatchObject({ reason: expect.stringContaining('longer than 100') });
    expect(spy).not.toHaveBeenCalled();
  });

  it('keys never fetched: KeysUnavailable (the plugin answers 503), not AuthFailure', async () => {
    const { key } = remote(async () => {
      throw new Unavailable('no keys');
    });
    const p = provider(key);
    await expect(p.authenticate(await es({}, Math.floor(Date.now() / 1000) + 60))).rejects.toThrow(KeysUnavailable);
  });

  it('cacheEntries 0: every request verifies', async () => {
    const { key, spy } = remote();
    const p = provider(key, undefined, { cacheEntries: 0 });
    const token = await es({}, Math.floor(Date.now() / 1000) + 60);
    await p.authenticate(token);
    await p.authenticate(token);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('mightAccept looks at alg and iss only', async () => {
    const p = provider({ kind: 'static', key: secretKey('s'.repeat(32)) }, undefined, { algorithms: ['HS256'], issuer: 'https://a' });
    const hs = (iss: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(iss).sign(new TextEncoder().encode('other'));
    expect(p.mightAccept(await hs('https://a'))).toBe(true);
    expect(p.mightAccept(await hs('https://b'))).toBe(false);
    expect(p.mightAccept(await es({}, 9_999_999_999))).toBe(false);
    expect(p.mightAccept('garbage')).toBe(false);
  });

  it('close closes a remote key source', () => {
    const { key } = remote();
    provider(key).close();
    expect((key as { close: () => void }).close).toHaveBeenCalledTimes(1);
  });
});
