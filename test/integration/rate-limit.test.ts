/**
 * Rate limits seen from real clients, through YAML, a real gateway with a fake clock and a real
 * echo upstream: 429 with Retry-After and the ratelimit headers, buckets per client address
 * (X-Forwarded-For believed only from trusted proxies, IPv6 per /64), per API-key consumer, a
 * list of limits, the top-level default with route overrides and `false`, the metric, and
 * refused requests never reaching the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** A clock the test moves by hand (ms). */
const clock = { t: 1_000_000, now() { return this.t; } };

let upstream: TestUpstream;
let direct: TestGateway; // no trusted proxies: every test request comes from 127.0.0.1
let proxied: TestGateway; // 127.0.0.1 is a trusted proxy: the client is the X-Forwarded-For address

beforeAll(async () => {
  upstream = await startUpstream();
  const ups = `upstreams: { u: { targets: ["${upstream.url}"] } }\n`;
  direct = await startGateway(
    `${LISTEN}${ups}rateLimit: { limit: 5, window: 1m }
auth:
  partners: { type: apiKey, header: X-API-Key, keys: { acme: plainkey-acme-123, globex: plainkey-globex-456 } }
routes:
  - { name: tiny, match: { path: /tiny }, upstream: u, rateLimit: { limit: 2, window: 10s } }
  - { name: burst, match: { path: /burst }, upstream: u, rateLimit: { limit: 1, window: 10s, burst: 2 } }
  - { name: two, match: { path: /two }, upstream: u, rateLimit: [{ limit: 2, window: 1s }, { limit: 3, window: 1h }] }
  - { name: sliding, match: { path: /sliding }, upstream: u, rateLimit: { limit: 2, window: 10s, algorithm: sliding-window } }
  - { name: defaulted, match: { path: /defaulted }, upstream: u }
  - { name: unlimited, match: { path: /unlimited }, upstream: u, rateLimit: false }
  - { name: shared, match: { path: /shared }, upstream: u, rateLimit: { limit: 1, window: 1m, key: route } }
  - { name: tenant, match: { path: /tenant }, upstream: u, rateLimit: { limit: 1, window: 1m, key: header:X-Tenant } }
  - name: partners
    match: { path: /partners }
    upstream: u
    auth: { use: [partners], optional: true }
    rateLimit: { limit: 1, window: 1m, key: consumer }
`,
    { clock },
  );
  proxied = await startGateway(
    `${LISTEN}trustedProxies: [127.0.0.1/32]\n${ups}routes:
  - { name: per-ip, match: { path: /per-ip }, upstream: u, rateLimit: { limit: 1, window: 1m } }
`,
    { clock },
  );
});

afterAll(async () => {
  await Promise.all([direct?.stop(), proxied?.stop()]);
  await upstream?.close();
});

interface Reply {
  status: number;
  headers: Headers;
  code: string | undefined;
  reached: boolean;
}

async function get(gw: TestGateway, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const before = upstream.requests.length;
  const res = await fetch(gw.url + path, { headers });
  const body = (await res.json()) as { error?: { code: string; status: number } };
  return { status: res.status, headers: res.headers, code: body.error?.code, reached: upstream.requests.length > before };
}

/** Statuses of `n` requests in a row. */
async function statuses(gw: TestGateway, path: string, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await get(gw, path, headers)).status);
  return out;
}

function expectRefused(res: Reply, retryAfter: string) {
  expect(res.status).toBe(429);
  expect(res.code).toBe('rate_limited');
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(res.headers.get('retry-after')).toBe(retryAfter);
  expect(res.reached).toBe(false);
}

describe('rate limits', () => {
  it('answers 429 rate_limited with Retry-After and the ratelimit headers once the limit is used up', async () => {
    const first = await get(direct, '/tiny');
    expect(first.status).toBe(200);
    expect(first.reached).toBe(true);
    expect(first.headers.get('ratelimit-policy')).toBe('"2/10s";q=2;w=10');
    expect(first.headers.get('ratelimit')).toBe('"2/10s";r=1;t=5');
    expect((await get(direct, '/tiny')).headers.get('ratelimit')).toBe('"2/10s";r=0;t=5');
    const refused = await get(direct, '/tiny');
    expectRefused(refused, '5');
    expect(refused.headers.get('ratelimit-policy')).toBe('"2/10s";q=2;w=10');
    expect(refused.headers.get('ratelimit')).toBe('"2/10s";r=0;t=5');
    expect(refused.headers.get('x-request-id')).toBeTruthy();
    // Time passes (fake clock): one token back after 5s.
    clock.t += 2000;
    expectRefused(await get(direct, '/tiny'), '3');
    clock.t += 3000;
    expect(await statuses(direct, '/tiny', 2)).toEqual([200, 429]);
  });

  it('a token bucket takes limit + burst at once, then refills at limit per window', async () => {
    expect(await statuses(direct, '/burst', 4)).toEqual([200, 200, 200, 429]);
    clock.t += 10_000;
    expect(await statuses(direct, '/burst', 2)).toEqual([200, 429]);
  });

  it('a sliding window counts the last window', async () => {
    expect(await statuses(direct, '/sliding', 3)).toEqual([200, 200, 429]);
    // Half way into the next window the previous one (2) still weighs 1: one more fits.
    clock.t += 10_000;
    expect(await statuses(direct, '/sliding', 2)).toEqual([200, 429]);
  });

  it('a list of limits must all pass; the RateLimit header names the tightest', async () => {
    const first = await get(direct, '/two');
    expect(first.headers.get('ratelimit-policy')).toBe('"2/1s";q=2;w=1, "3/1h";q=3;w=3600');
    expect(first.headers.get('ratelimit')).toBe('"2/1s";r=1;t=1');
    expect(await statuses(direct, '/two', 2)).toEqual([200, 429]); // per second
    clock.t += 1000;
    const third = await get(direct, '/two');
    expect(third.status).toBe(200);
    expect(third.headers.get('ratelimit')).toMatch(/^"3\/1h";r=0;t=\d+$/);
    clock.t += 1000;
    const hourly = await get(direct, '/two'); // the per-second limit has room again, the hourly one not
    expect(hourly.status).toBe(429);
    expect(Number(hourly.headers.get('retry-after'))).toBeGreaterThan(1000);
  });

  it('applies the top-level default to routes without their own, and not where rateLimit is false', async () => {
    expect(await statuses(direct, '/defaulted', 6)).toEqual([200, 200, 200, 200, 200, 429]);
    const unlimited = await statuses(direct, '/unlimited', 8);
    expect(unlimited.every((s) => s === 200)).toBe(true);
    const res = await get(direct, '/unlimited');
    expect(res.headers.get('ratelimit')).toBeNull();
    expect(res.headers.get('ratelimit-policy')).toBeNull();
  });

  it('rotating X-Forwarded-For from an untrusted peer keeps one bucket', async () => {
    clock.t += 60_000; // the default (5/min) bucket of 127.0.0.1 is whole again
    const results: number[] = [];
    for (let i = 0; i < 7; i++) results.push((await get(direct, '/defaulted', { 'x-forwarded-for': `203.0.113.${i}` })).status);
    expect(results).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  it('with trustedProxies the forwarded address is the key; IPv6 clients share a bucket per /64', async () => {
    expect((await get(proxied, '/per-ip', { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
    expectRefused(await get(proxied, '/per-ip', { 'x-forwarded-for': '198.51.100.1' }), '60');
    expect((await get(proxied, '/per-ip', { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
    expect((await get(proxied, '/per-ip', { 'x-forwarded-for': '2001:db8:1:2::1' })).status).toBe(200);
    expect((await get(proxied, '/per-ip', { 'x-forwarded-for': '2001:db8:1:2:ffff::9' })).status).toBe(429);
    expect((await get(proxied, '/per-ip', { 'x-forwarded-for': '2001:db8:1:3::1' })).status).toBe(200);
  });

  it('key: consumer counts per API-key consumer; without credentials it falls back to the address', async () => {
    expect((await get(direct, '/partners', { 'x-api-key': 'plainkey-acme-123' })).status).toBe(200);
    expect((await get(direct, '/partners', { 'x-api-key': 'plainkey-acme-123' })).status).toBe(429);
    expect((await get(direct, '/partners', { 'x-api-key': 'plainkey-globex-456' })).status).toBe(200);
    expect((await get(direct, '/partners')).status).toBe(200);
    expect((await get(direct, '/partners', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  });

  it('key: route is one bucket for everyone; key: header:NAME one per value', async () => {
    expect((await get(direct, '/shared')).status).toBe(200);
    expect((await get(direct, '/shared')).status).toBe(429);
    expect((await get(direct, '/tenant', { 'x-tenant': 'blue' })).status).toBe(200);
    expect((await get(direct, '/tenant', { 'x-tenant': 'blue' })).status).toBe(429);
    expect((await get(direct, '/tenant', { 'x-tenant': 'green' })).status).toBe(200);
  });

  it('counts refusals in portcullis_rate_limited_total by route', async () => {
    const metrics = await (await fetch(`${direct.adminUrl}/metrics`)).text();
    const count = (route: string) => Number(new RegExp(`^portcullis_rate_limited_total\\{route="${route}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('tiny')).toBe(3);
    expect(count('burst')).toBe(2);
    expect(count('unlimited')).toBe(0);
    expect(metrics).toMatch(/^portcullis_requests_total\{route="tiny",method="GET",status="429"\} 3$/m);
  });

  it.each<[string, RegExp]>([
    ['{ limit: 10, window: 1s, scope: cluster }', /^routes\[0\]\.rateLimit\.scope: .*redis/],
    ['{ limit: 10, window: 1s, key: "ip+cookie:sid" }', /^routes\[0\]\.rateLimit\.key: .*not a key part/],
    ['[{ limit: 10, window: 1s }, { limit: 1, window: 1s, algorithm: sliding-window, burst: 3 }]', /^routes\[0\]\.rateLimit\[1\]\.burst: /],
    // An object is checked as the single-limit branch of the union, so the failing field is named.
    ['{ limit: 0, window: 1s }', /^routes\[0\]\.rateLimit\.limit: must be >= 1/],
    ['{ limit: 10, window: 1s, colour: red }', /^routes\[0\]\.rateLimit\.colour: unknown key/],
    ['{ limit: 10, window: soon }', /^routes\[0\]\.rateLimit\.window: must be a duration/],
    ['[]', /^routes\[0\]\.rateLimit: must be false, a limit/],
  ])('refuses rateLimit %s, naming its path', async (value, pattern) => {
    const yaml = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes:\n  - name: r\n    match: { path: /r }\n    upstream: u\n    rateLimit: ${value}\n`;
    const err = await Gateway.create({ configText: yaml, logger: captureLogger([]) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(pattern)]);
  });

  it('refuses a bad top-level default, naming its path', async () => {
    const yaml = `${LISTEN}rateLimit: { limit: 10, window: 1s, scope: cluster }\nupstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes:\n  - { name: r, match: { path: /r }, upstream: u }\n`;
    const err = await Gateway.create({ configText: yaml, logger: captureLogger([]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^rateLimit\.scope: .*redis/)]);
  });
});
