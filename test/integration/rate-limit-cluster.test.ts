/**
 * `scope: cluster` against a real redis-server (spawned on a free port; skipped with a message
 * when redis-server is not installed — .ci/run installs it): two gateway instances in one
 * process share one limit exactly, also under a parallel burst; a list of limits is decided and
 * charged atomically; keys carry TTLs; rotating X-Forwarded-For from an untrusted peer stays one
 * bucket; Redis killed mid-test → allow / deny (503) / local (full, or its `localShare`) behave,
 * one warn line per outage, portcullis_store_errors_total counts every failed decision and
 * portcullis_store_up flips to 0 and back, and the limits recover on their own when Redis is back.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, Gateway } from '../../src/gateway.js';
import { eventually } from '../helpers/cli.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { hasRedisServer, REDIS_MISSING, startRedis, type TestRedis } from '../helpers/redis.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

if (!hasRedisServer) console.warn(REDIS_MISSING);

describe.skipIf(!hasRedisServer)('rate limits, scope: cluster (real Redis)', () => {
  let redis: TestRedis;
  let upstream: TestUpstream;
  let a: TestGateway;
  let b: TestGateway;
  let probe: Redis;

  const routes = `routes:
  - { name: burst, match: { path: /burst }, upstream: u, rateLimit: { limit: 20, window: 1m, scope: cluster } }
  - { name: pair, match: { path: /pair }, upstream: u, rateLimit: [{ limit: 2, window: 1m, scope: cluster }, { limit: 3, window: 1h, scope: cluster, algorithm: sliding-window }] }
  - { name: xff, match: { path: /xff }, upstream: u, rateLimit: { limit: 3, window: 1m, scope: cluster } }
  - { name: allow, match: { path: /allow }, upstream: u, rateLimit: { limit: 2, window: 1m, scope: cluster, onStoreError: allow } }
  - { name: deny, match: { path: /deny }, upstream: u, rateLimit: { limit: 2, window: 1m, scope: cluster, onStoreError: deny } }
  - { name: local, match: { path: /local }, upstream: u, rateLimit: { limit: 2, window: 1m, scope: cluster, onStoreError: local } }
  - { name: share, match: { path: /share }, upstream: u, rateLimit: { limit: 8, window: 1m, burst: 4, scope: cluster, localShare: 0.25 } }
  - { name: plain, match: { path: /plain }, upstream: u, rateLimit: { limit: 100, window: 1m } }
`;

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startUpstream();
    const yaml = `${LISTEN}redis: ${redis.url}\nupstreams: { u: { targets: ["${upstream.url}"] } }\n${routes}`;
    [a, b] = await Promise.all([startGateway(yaml), startGateway(yaml)]);
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
  });

  afterAll(async () => {
    probe?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
    await upstream?.close();
    await redis?.close();
  });

  async function get(gw: TestGateway, path: string, headers: Record<string, string> = {}) {
    const res = await fetch(gw.url + path, { headers });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return { status: res.status, headers: res.headers, code: body.error?.code, message: body.error?.message };
  }

  /** The admin /metrics value of `name{store="redis"}`, or null when the series is absent. */
  async function storeMetric(gw: TestGateway, name: string): Promise<number | null> {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const match = new RegExp(`^${name}\\{store="redis"\\} (\\S+)$`, 'm').exec(text);
    return match === null ? null : Number(match[1]);
  }

  it('the store metrics say Redis is up, with no errors, once connected', async () => {
    await eventually(async () => expect(await storeMetric(a, 'portcullis_store_up')).toBe(1));
    expect(await storeMetric(a, 'portcullis_store_errors_total')).toBe(0);
    const text = await (await fetch(`${a.adminUrl}/metrics`)).text();
    expect(text).toContain('# TYPE portcullis_store_errors_total counter');
    expect(text).toContain('# TYPE portcullis_store_up gauge');
  });

  it('two instances hold one combined limit exactly under a parallel burst', async () => {
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => get(i % 2 === 0 ? a : b, '/burst')));
    const passed = replies.filter((r) => r.status === 200);
    expect(passed).toHaveLength(20);
    expect(replies.filter((r) => r.status === 429 && r.code === 'rate_limited')).toHaveLength(40);
    // Both instances admitted some and refused some: the bucket is shared, not split.
    expect(replies.filter((r, i) => i % 2 === 0 && r.status === 200).length).toBeGreaterThan(0);
    expect(replies.filter((r, i) => i % 2 === 1 && r.status === 200).length).toBeGreaterThan(0);
    const refused = replies.find((r) => r.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('3'); // 20/min: one token per 3 s
    expect(refused.headers.get('ratelimit')).toBe('"20/1m";r=0;t=3');
    expect(refused.headers.get('ratelimit-policy')).toBe('"20/1m";q=20;w=60');
  });

  it('a list of limits is decided and charged together across instances; keys have TTLs', async () => {
    const first = await get(a, '/pair');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit')).toBe('"2/1m";r=1;t=30');
    expect((await get(b, '/pair')).status).toBe(200);
    expect((await get(a, '/pair')).status).toBe(429);
    // The refused request did not charge the hourly sliding window: it holds 2 of 3.
    await probe.connect().catch(() => {});
    const hourly = await probe.hgetall('portcullis:rl:pair:1:ip=127.0.0.1');
    expect(hourly['c']).toBe('2');
    const ttl = await probe.pttl('portcullis:rl:pair:1:ip=127.0.0.1');
    expect(ttl).toBeGreaterThan(3_600_000);
    expect(ttl).toBeLessThanOrEqual(7_201_000);
    const bucketTtl = await probe.pttl('portcullis:rl:pair:0:ip=127.0.0.1');
    expect(bucketTtl).toBeGreaterThan(0);
    expect(bucketTtl).toBeLessThanOrEqual(61_000);
  });

  it('rotating X-Forwarded-For from an untrusted peer stays one bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(i % 2 ? a : b, '/xff', { 'X-Forwarded-For': `203.0.113.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
  });

  it('Redis killed: allow passes, deny answers 503 naming the store, local counts here; recovery on its own', async () => {
    await redis.stop();
    const allow = await Promise.all([1, 2, 3, 4].map(() => get(a, '/allow')));
    expect(allow.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const deny = await get(a, '/deny');
    expect(deny.status).toBe(503);
    expect(deny.code).toBe('service_unavailable');
    expect(deny.message).toBe('The rate-limit store is unavailable.');
    expect(deny.headers.get('retry-after')).toBe('1');
    const local: number[] = [];
    for (let i = 0; i < 3; i++) local.push((await get(a, '/local')).status);
    expect(local).toEqual([200, 200, 429]);
    // localShare 0.25 of limit 8 + burst 4: ceil(2) + ceil(1) = 3 here, not the full 12.
    const share: { status: number; ratelimit: string | null }[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get(a, '/share');
      share.push({ status: r.status, ratelimit: r.headers.get('ratelimit') });
    }
    expect(share.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    // Named as the configured limit (the policy header's name), counting the local share.
    expect(share[0]!.ratelimit).toMatch(/^"8\/1m";r=2;t=\d+$/);
    expect(share[3]!.ratelimit).toMatch(/^"8\/1m";r=0;t=\d+$/);
    // A local route is untouched by the outage.
    expect((await get(a, '/plain')).status).toBe(200);
    expect(a.logs.filter((l) => l['level'] === 'warn' && String(l['msg']).includes('rate-limit store unavailable'))).toHaveLength(1);
    // Every failed decision is counted (4 allow + 1 deny + 3 local + 5 share; /plain asks no store).
    expect(await storeMetric(a, 'portcullis_store_errors_total')).toBe(13);
    expect(await storeMetric(a, 'portcullis_store_up')).toBe(0);

    await redis.start();
    await eventually(async () => expect((await get(a, '/deny')).status).toBe(200), 5000, 100);
    await eventually(() => expect(a.logs.some((l) => l['level'] === 'info' && String(l['msg']).includes('rate-limit store reachable again'))).toBe(true));
    expect(await storeMetric(a, 'portcullis_store_up')).toBe(1);
    // Polling /deny during the reconnect may have failed a few more decisions; none after recovery.
    const errors = (await storeMetric(a, 'portcullis_store_errors_total'))!;
    expect(errors).toBeGreaterThanOrEqual(13);
    // Shared again (Redis restarted empty): the deny route has one of two left, across instances.
    expect((await get(b, '/deny')).status).toBe(200);
    expect((await get(a, '/deny')).status).toBe(429);
    expect(await storeMetric(a, 'portcullis_store_errors_total')).toBe(errors);
    // The shared bucket is back: 12 across both instances (Redis restarted empty).
    const shared = await Promise.all(Array.from({ length: 16 }, (_, i) => get(i % 2 ? a : b, '/share')));
    expect(shared.filter((r) => r.status === 200)).toHaveLength(12);
    expect(await storeMetric(a, 'portcullis_store_up')).toBe(1);
  });
});

describe('rate limits, scope: cluster: config', () => {
  const base = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\n`;
  it.each<[string, string, RegExp]>([
    ['', 'rateLimit: { limit: 1, window: 1s, scope: cluster }', /^routes\[0\]\.rateLimit\.scope: .*set top-level `redis`/],
    ['redis: http://127.0.0.1:6379\n', 'rateLimit: { limit: 1, window: 1s, scope: cluster }', /^redis: must be a redis:\/\/ or rediss:\/\/ URL/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: [{ limit: 1, window: 1s, scope: cluster }, { limit: 9, window: 1h }]', /^routes\[0\]\.rateLimit\[1\]\.scope: .*same scope/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: { limit: 1, window: 1s, scope: cluster, onStoreError: sometimes }', /^routes\[0\]\.rateLimit\.onStoreError: must be allow, deny or local/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: { limit: 4, window: 1s, scope: cluster, localShare: 0 }', /^routes\[0\]\.rateLimit\.localShare: must be a number greater than 0 and at most 1/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: { limit: 4, window: 1s, scope: cluster, localShare: 1.5 }', /^routes\[0\]\.rateLimit\.localShare: must be a number greater than 0 and at most 1/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: [{ limit: 4, window: 1s, scope: cluster }, { limit: 9, window: 1h, scope: cluster, localShare: -0.5 }]', /^routes\[0\]\.rateLimit\[1\]\.localShare: must be a number greater than 0/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: { limit: 4, window: 1s, scope: cluster, localShare: quarter }', /^routes\[0\]\.rateLimit\.localShare: must be number/],
    ['', 'rateLimit: { limit: 4, window: 1s, localShare: 0.5 }', /^routes\[0\]\.rateLimit\.localShare: applies to scope: cluster only/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: { limit: 4, window: 1s, scope: cluster, onStoreError: deny, localShare: 0.5 }', /^routes\[0\]\.rateLimit\.localShare: applies to onStoreError: local only/],
  ])('refuses %s%s', async (top, value, pattern) => {
    const yaml = `${base}${top}routes:\n  - { name: r, match: { path: /r }, upstream: u, ${value} }\n`;
    const err = await Gateway.create({ configText: yaml, logger: captureLogger([]) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0]).toMatch(pattern);
  });

  it('accepts rediss:// and makes no Redis client when no route uses cluster scope', async () => {
    const gw = await Gateway.create({ configText: `${base}redis: rediss://cache.internal:6380\nroutes:\n  - { name: r, match: { path: /r }, upstream: u, rateLimit: { limit: 1, window: 1s } }\n`, logger: captureLogger([]) });
    expect(gw).toBeInstanceOf(Gateway);
  });
});
