/**
 * `scope: cluster` against a real redis-server (spawned on a free port; skipped with a message
 * when redis-server is not installed — .ci/run installs it): two gateway instances in one
 * process share one limit exactly, also under a parallel burst; a list of limits is decided and
 * charged atomically; keys carry TTLs; rotating X-Forwarded-For from an untrusted peer stays one
 * bucket; Redis killed mid-test → allow / deny (503) / local behave, one warn line per outage,
 * and the limits recover on their own when Redis is back.
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
    // A local route is untouched by the outage.
    expect((await get(a, '/plain')).status).toBe(200);
    expect(a.logs.filter((l) => l['level'] === 'warn' && String(l['msg']).includes('rate-limit store unavailable'))).toHaveLength(1);

    await redis.start();
    await eventually(async () => expect((await get(a, '/deny')).status).toBe(200), 5000, 100);
    await eventually(() => expect(a.logs.some((l) => l['level'] === 'info' && String(l['msg']).includes('rate-limit store reachable again'))).toBe(true));
    // Shared again (Redis restarted empty): the deny route has one of two left, across instances.
    expect((await get(b, '/deny')).status).toBe(200);
    expect((await get(a, '/deny')).status).toBe(429);
  });
});

describe('rate limits, scope: cluster: config', () => {
  const base = `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\n`;
  it.each<[string, string, RegExp]>([
    ['', 'rateLimit: { limit: 1, window: 1s, scope: cluster }', /^routes\[0\]\.rateLimit\.scope: .*set top-level `redis`/],
    ['redis: http://127.0.0.1:6379\n', 'rateLimit: { limit: 1, window: 1s, scope: cluster }', /^redis: must be a redis:\/\/ or rediss:\/\/ URL/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: [{ limit: 1, window: 1s, scope: cluster }, { limit: 9, window: 1h }]', /^routes\[0\]\.rateLimit\[1\]\.scope: .*same scope/],
    ['redis: redis://127.0.0.1:6379\n', 'rateLimit: { limit: 1, window: 1s, scope: cluster, onStoreError: sometimes }', /^routes\[0\]\.rateLimit\.onStoreError: must be allow, deny or local/],
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
