/**
 * The JWKS source against a real local HTTP server playing the IdP: JWKS documents generated with
 * jose, a hit counter, and handlers that break in the ways real IdPs do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../../test/helpers/gateway.js';
import { eventually as poll } from '../../../test/helpers/eventually.js';
import { createJwksSource, JwksUnavailableError, parseJwks, type JwksSource, type JwksSourceOptions } from './jwks-source.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FakeIdp {
  url: string;
  port: number;
  hits: { jwks: number; discovery: number };
  handle: Handler;
  close(): Promise<void>;
}

async function startIdp(handle: Handler, port = 0): Promise<FakeIdp> {
  const idp = { hits: { jwks: 0, discovery: 0 }, handle } as FakeIdp;
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith('/.well-known/openid-configuration')) idp.hits.discovery++;
    else idp.hits.jwks++;
    idp.handle(req, res);
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  idp.port = (server.address() as AddressInfo).port;
  idp.url = `http://127.0.0.1:${idp.port}`;
  idp.close = () => new Promise((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
  return idp;
}

const json = (body: unknown): Handler => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: 'ES256' | 'RS256' = 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function token(key: SigningKey, kid: string | undefined = key.kid): Promise<string> {
  return new SignJWT({ sub: 'user-1' }).setProtectedHeader(kid === undefined ? { alg: key.alg } : { alg: key.alg, kid }).setIssuedAt().setExpirationTime('5m').sign(key.privateKey);
}

const jwksOf = (...keys: SigningKey[]) => ({ keys: keys.map((k) => k.jwk) });

let k1: SigningKey;
let k2: SigningKey;
let rsa: SigningKey;
beforeAll(async () => {
  [k1, k2, rsa] = await Promise.all([signingKey('k1'), signingKey('k2'), signingKey('r1', 'RS256')]);
});

// Everything a test starts, stopped after it.
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

function source(options: Partial<JwksSourceOptions> & { jwksUri?: string; issuer?: string }) {
  const logs: Record<string, unknown>[] = [];
  const clock = fakeClock();
  const jwks: JwksSource = createJwksSource({ logger: captureLogger(logs, 'debug'), clock, timeoutMs: 1000, ...options });
  cleanup.push(() => jwks.close());
  return { jwks, logs, clock };
}

async function idp(handle: Handler): Promise<FakeIdp> {
  const server = await startIdp(handle);
  cleanup.push(() => server.close());
  return server;
}

/** This file's polls: 4 s default deadline, 25 ms steps. */
const eventually = (check: () => unknown, timeoutMs = 4000) => poll(check, timeoutMs, 25);

const warnings = (logs: Record<string, unknown>[]) => logs.filter((l) => l.level === 'warn');

describe('parseJwks', () => {
  it.each([
    ['keys not an array', { keys: 'x' }],
    ['no keys', { keys: [] }],
    ['only encryption keys', { keys: [{ kty: 'EC', use: 'enc', crv: 'P-256', x: 'a', y: 'b' }] }],
    ['only symmetric keys', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }],
    ['only private keys', { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] }],
    ['key_ops without verify', { keys: [{ kty: 'EC', key_ops: ['encrypt'], crv: 'P-256', x: 'a', y: 'b' }] }],
    ['non-object members', { keys: [null, 1, 'k', []] }],
    ['kid not a string', { keys: [{ kty: 'EC', kid: 7, crv: 'P-256', x: 'a', y: 'b' }] }],
  ])('refuses a JWKS with %s', (_name, doc) => {
    expect(() => parseJwks(doc as Record<string, unknown>, 10)).toThrow(/JWKS/);
  });

  it('keeps only signature keys, at most maxKeys', () => {
    const doc = {
      keys: [
        { kty: 'EC', use: 'enc', kid: 'e' },
        { kty: 'EC', kid: 'a' },
        { kty: 'EC', use: 'sig', kid: 'b' },
        { kty: 'oct', kid: 'h', k: 'x' },
        { kty: 'RSA', kid: 'c' },
      ],
    };
    const parsed = parseJwks(doc, 2);
    expect([...parsed.kids]).toEqual(['a', 'b']);
    expect(parsed.dropped).toBe(1);
  });
});

describe('createJwksSource', () => {
  it('fetches at creation without blocking, then verifies tokens from its keys (ES256 and RS256)', async () => {
    const server = await idp(json(jwksOf(k1, rsa)));
    const { jwks } = source({ jwksUri: `${server.url}/jwks` });
    expect(server.hits.jwks).toBe(0); // creation returned before the fetch completed
    const [a, b] = await Promise.all([jwtVerify(await token(k1), jwks.getKey), jwtVerify(await token(rsa), jwks.getKey)]);
    expect(a.payload.sub).toBe('user-1');
    expect(b.protectedHeader.alg).toBe('RS256');
    expect(server.hits.jwks).toBe(1);
  });

  it('refetches for an unknown kid at most once per cooldown; concurrent misses share one fetch', async () => {
    const server = await idp(json(jwksOf(k1)));
    const { jwks, clock } = source({ jwksUri: `${server.url}/jwks` });
    await jwtVerify(await token(k1), jwks.getKey);
    expect(server.hits.jwks).toBe(1);

    const forged = await Promise.all(Array.from({ length: 20 }, (_, i) => token(k2, `unknown-${i}`)));
    const results = await Promise.allSettled(forged.map((t) => jwtVerify(t, jwks.getKey)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY')).toBe(true);
    expect(server.hits.jwks).toBe(2);

    await expect(jwtVerify(forged[0]!, jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    clock.t += 29_000;
    await expect(jwtVerify(forged[1]!, jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(server.hits.jwks).toBe(2);

    clock.t += 1_000;
    await expect(jwtVerify(forged[2]!, jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(server.hits.jwks).toBe(3);
  });

  it('does not refetch for a known kid used with another algorithm, nor for a valid token', async () => {
    const server = await idp(json(jwksOf(k1)));
    const { jwks } = source({ jwksUri: `${server.url}/jwks` });
    for (let i = 0; i < 5; i++) await jwtVerify(await token(k1), jwks.getKey);
    await expect(jwtVerify(await token(rsa, 'k1'), jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(server.hits.jwks).toBe(1);
  });

  it('picks up a rotated key on the unknown-kid refetch', async () => {
    const server = await idp(json(jwksOf(k1)));
    const { jwks } = source({ jwksUri: `${server.url}/jwks` });
    await jwtVerify(await token(k1), jwks.getKey);
    server.handle = json(jwksOf(k2));
    const { payload } = await jwtVerify(await token(k2), jwks.getKey);
    expect(payload.sub).toBe('user-1');
    expect(server.hits.jwks).toBe(2);
    // k1 is gone from the set: refused now, without another fetch within the cooldown.
    await expect(jwtVerify(await token(k1), jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(server.hits.jwks).toBe(2);
  });

  it('refreshes in the background every refreshIntervalMs', async () => {
    const server = await idp(json(jwksOf(k1)));
    const { jwks } = source({ jwksUri: `${server.url}/jwks`, refreshIntervalMs: 40 });
    await jwtVerify(await token(k1), jwks.getKey);
    server.handle = json(jwksOf(k1, k2));
    await eventually(() => expect(server.hits.jwks).toBeGreaterThanOrEqual(3));
    const before = server.hits.jwks;
    await jwtVerify(await token(k2), jwks.getKey); // already known: no on-demand fetch needed
    expect(server.hits.jwks - before).toBeLessThanOrEqual(1); // at most a background tick
  });

  it('keeps the last good keys while the IdP fails, warns once per outage, and logs the recovery', async () => {
    const server = await idp(json(jwksOf(k1)));
    const { jwks, logs } = source({ jwksUri: `${server.url}/jwks`, refreshIntervalMs: 30 });
    await jwtVerify(await token(k1), jwks.getKey);
    server.handle = (_req, res) => void res.writeHead(503).end('down');
    const hitsAtOutage = server.hits.jwks;
    await eventually(() => expect(server.hits.jwks).toBeGreaterThanOrEqual(hitsAtOutage + 4));
    expect((await jwtVerify(await token(k1), jwks.getKey)).payload.sub).toBe('user-1');
    expect(warnings(logs).map((l) => l.msg)).toEqual(['JWKS refresh failed; keeping the last good keys']);
    expect(warnings(logs)[0]).toMatchObject({ reason: 'answered HTTP 503', keptKeys: 1 });

    server.handle = json(jwksOf(k1));
    await eventually(() => expect(logs.some((l) => l.msg === 'JWKS fetched again; identity provider reachable')).toBe(true));
    server.handle = (req) => req.socket.destroy();
    await eventually(() => expect(warnings(logs)).toHaveLength(2)); // a new outage, a new warning
    expect(warnings(logs)[1]).toMatchObject({ reason: expect.stringMatching(/^request failed/) });
    await jwtVerify(await token(k1), jwks.getKey);
  });

  it('throws JwksUnavailableError while no keys were ever fetched, retries in the background, recovers', async () => {
    const parked = await startIdp(json(jwksOf(k1)));
    const port = parked.port;
    await parked.close(); // nothing listens there now: connection refused
    const { jwks, logs } = source({ jwksUri: `http://127.0.0.1:${port}/jwks`, refreshIntervalMs: 50 });
    const t = await token(k1);
    await expect(jwtVerify(t, jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(jwtVerify(t, jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(warnings(logs).map((l) => l.msg)).toEqual(['JWKS fetch failed; tokens are refused with 503 until keys are fetched']);

    const server = await startIdp(json(jwksOf(k1)), port);
    cleanup.push(() => server.close());
    await eventually(() => expect(server.hits.jwks).toBeGreaterThanOrEqual(1));
    expect((await jwtVerify(t, jwks.getKey)).payload.sub).toBe('user-1');
  });

  it('bounds the fetches that requests cause while no keys exist: shared, then one per cooldown', async () => {
    // Each failure answers after 200 ms, so a batch surely starts while the fetch is in flight
    // (an instant 500 could finish before the batch and make it start a fetch of its own).
    const server = await idp((_req, res) => void setTimeout(() => res.writeHead(500).end(), 200));
    // No background retry during the test (it runs on real timers; the cooldown on the fake clock).
    const t = await token(k1);
    const { jwks, clock } = source({ jwksUri: `${server.url}/jwks`, retryBaseMs: 600_000, refreshIntervalMs: 600_000 });
    const batch = async () => {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => jwtVerify(t, jwks.getKey)));
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof JwksUnavailableError)).toBe(true);
    };
    await batch(); // all wait for the fetch started at creation
    expect(server.hits.jwks).toBe(1);
    await batch(); // one on-demand fetch, shared
    expect(server.hits.jwks).toBe(2);
    await batch(); // within the cooldown: no fetch, an immediate 503
    expect(server.hits.jwks).toBe(2);
    clock.t += 30_000;
    server.handle = json(jwksOf(k1));
    expect((await jwtVerify(t, jwks.getKey)).payload.sub).toBe('user-1');
    expect(server.hits.jwks).toBe(3);
  });

  it.each<[string, Handler]>([
    ['not JSON', (_req, res) => void res.end('<html>oops</html>')],
    ['a JSON array', json([{ kty: 'EC' }])],
    ['JSON without keys', json({ hello: 'world' })],
    ['a key set of garbage members', json({ keys: [1, null, 'x', { kty: 7 }] })],
    ['an error status', (_req, res) => void res.writeHead(500).end(JSON.stringify(jwksOf(k1)))],
    ['a redirect', (_req, res) => void res.writeHead(302, { location: '/elsewhere' }).end()],
    ['a declared oversized body', (_req, res) => void res.writeHead(200, { 'content-length': String(300 * 1024) }).end('{"keys":[' + ' '.repeat(300 * 1024 - 10) + ']}')],
    ['a chunked oversized body', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      for (let i = 0; i < 40; i++) res.write(chunk);
      res.end(']}');
    }],
    ['deeply nested JSON', (_req, res) => void res.end('['.repeat(100_000) + ']'.repeat(100_000))],
    ['a connection reset', (req) => req.socket.destroy()],
  ])('survives a JWKS response that is %s: 503 error, no crash', async (_name, handler) => {
    const server = await idp(handler);
    const { jwks, logs } = source({ jwksUri: `${server.url}/jwks`, maxBytes: 64 * 1024 });
    await expect(jwtVerify(await token(k1), jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(warnings(logs)).toHaveLength(1);
    expect(JSON.stringify(warnings(logs)[0])).not.toContain('oops');
  });

  it.each<[string, Handler]>([
    ['never answers', () => undefined],
    ['sends headers then stalls the body', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
    }],
    ['drips the body slower than the deadline', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    }],
  ])('gives up on an IdP that %s within the timeout', async (_name, handler) => {
    const server = await idp(handler);
    const { jwks, logs } = source({ jwksUri: `${server.url}/jwks`, timeoutMs: 300 });
    const started = Date.now();
    await expect(jwtVerify(await token(k1), jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(warnings(logs)[0]).toMatchObject({ reason: 'no complete answer within 300ms' });
  });

  it('keeps the good keys when a later answer is garbage', async () => {
    const server = await idp(json(jwksOf(k1)));
    const { jwks, clock } = source({ jwksUri: `${server.url}/jwks` });
    await jwtVerify(await token(k1), jwks.getKey);
    server.handle = (_req, res) => void res.end('{"keys": [{"kty":"oct","k":"c2VjcmV0"}]}');
    clock.t += 60_000;
    await expect(jwtVerify(await token(k2), jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(server.hits.jwks).toBe(2);
    await jwtVerify(await token(k1), jwks.getKey);
  });

  it('keeps at most maxKeys keys and warns once', async () => {
    const many = await Promise.all(Array.from({ length: 5 }, (_, i) => signingKey(`m${i}`)));
    const server = await idp(json(jwksOf(...many)));
    const { jwks, logs } = source({ jwksUri: `${server.url}/jwks`, maxKeys: 3 });
    await jwtVerify(await token(many[2]!), jwks.getKey);
    await expect(jwtVerify(await token(many[4]!), jwks.getKey)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    expect(warnings(logs)).toEqual([expect.objectContaining({ kept: 3, dropped: 2 })]);
  });

  describe('OIDC discovery', () => {
    it.each([
      ['a path issuer', '/realms/main', '/realms/main/.well-known/openid-configuration'],
      ['an issuer with a trailing slash', '/', '/.well-known/openid-configuration'],
    ])('finds jwks_uri through the discovery document of %s', async (_name, suffix, wellKnown) => {
      const seen: string[] = [];
      const server = await idp((req, res) => {
        seen.push(req.url!);
        if (req.url === wellKnown) return json({ issuer: `${server.url}${suffix}`, jwks_uri: `${server.url}/certs` })(req, res);
        if (req.url === '/certs') return json(jwksOf(k1))(req, res);
        res.writeHead(404).end();
      });
      const { jwks } = source({ issuer: `${server.url}${suffix}` });
      await jwtVerify(await token(k1), jwks.getKey);
      expect(seen).toEqual([wellKnown, '/certs']);
    });

    it.each([
      ['names another issuer', (url: string) => ({ issuer: 'https://evil.example', jwks_uri: `${url}/certs` }), 'discovery document names a different issuer'],
      ['differs by a trailing slash', (url: string) => ({ issuer: `${url}/`, jwks_uri: `${url}/certs` }), 'discovery document names a different issuer'],
      ['has no jwks_uri', (url: string) => ({ issuer: url }), 'discovery jwks_uri is not a URL string'],
      ['points jwks_uri at a file', (url: string) => ({ issuer: url, jwks_uri: 'file:///etc/passwd' }), 'discovery jwks_uri must be an http(s) URL'],
    ])('refuses a discovery document that %s', async (_name, doc, reason) => {
      const server = await idp((req, res) => {
        if (req.url === '/.well-known/openid-configuration') return json(doc(server.url))(req, res);
        json(jwksOf(k1))(req, res);
      });
      const { jwks, logs } = source({ issuer: server.url });
      await expect(jwtVerify(await token(k1), jwks.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
      expect(server.hits.jwks).toBe(0);
      expect(warnings(logs)[0]).toMatchObject({ reason });
    });
  });

  it('refuses bad construction options', () => {
    const logger = captureLogger([]);
    const clock = fakeClock();
    expect(() => createJwksSource({ logger, clock })).toThrow(/jwksUri or issuer/);
    expect(() => createJwksSource({ logger, clock, jwksUri: 'ftp://idp/jwks' })).toThrow(/http/);
    expect(() => createJwksSource({ logger, clock, jwksUri: 'https://user:pw@idp/jwks' })).toThrow(/credentials/);
  });

  it('close() leaves no timer or socket behind, even during a fetch', async () => {
    // The source's timers are unref'd, which hides them from getActiveResourcesInfo(); record
    // the ones it creates and ref() them before counting: a cleared or fired timer stays hidden.
    const created: NodeJS.Timeout[] = [];
    // undici's process-wide tick timer, started by our fetches; it stops by itself when idle.
    const undiciTimers: NodeJS.Timeout[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = realSetTimeout(fn, ms);
      const stack = new Error().stack ?? '';
      if (/auth[\\/](jwks-source|oidc-discovery)/.test(stack)) (stack.includes('undici') ? undiciTimers : created).push(timer);
      return timer;
    }) as unknown as typeof setTimeout);
    cleanup.push(() => spy.mockRestore());
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    /** The source's timers still pending: ref'd, they show up. */
    const liveTimers = (list = created) => {
      const hidden = timers();
      for (const timer of list) timer.ref();
      const shown = timers();
      for (const timer of list) timer.unref();
      return shown - hidden;
    };
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const server = await idp(json(jwksOf(k1)));
    const hanging = await idp(() => undefined);
    const socketsBefore = sockets();

    const a = createJwksSource({ jwksUri: `${server.url}/jwks`, refreshIntervalMs: 50, logger: captureLogger([]), clock: fakeClock() });
    await jwtVerify(await token(k1), a.getKey); // refresh timer armed, keep-alive socket open
    // Closed while its first fetch hangs: the fetch deadline timer and its socket are live.
    const b = createJwksSource({ jwksUri: `${hanging.url}/jwks`, logger: captureLogger([]), clock: fakeClock() });
    await eventually(() => expect(hanging.hits.jwks).toBe(1));
    expect(liveTimers()).toBeGreaterThanOrEqual(2); // a's refresh, b's fetch deadline (+ undici's own)
    expect(sockets()).toBeGreaterThan(socketsBefore);

    a.close();
    b.close();
    await expect(jwtVerify(await token(k1), b.getKey)).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(liveTimers()).toBe(0);
    await eventually(() => expect(liveTimers(undiciTimers)).toBe(0), 3000);
    await eventually(() => expect(sockets()).toBeLessThanOrEqual(socketsBefore), 2000);
    // No refresh after close (the interval was 50 ms), and the last keys still verify.
    await new Promise((r) => realSetTimeout(r, 150));
    expect(server.hits.jwks).toBe(1);
    expect((await jwtVerify(await token(k1), a.getKey)).payload.sub).toBe('user-1');
  });
});
