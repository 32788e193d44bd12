/**
 * Service discovery end to end: the real gateway from YAML, real upstream servers that answer
 * their own name, and the registry changed under continuous GET load. What the client sees:
 * every answer 200, new targets start answering, removed ones stop, and requests in flight at a
 * removed target still finish.
 *  - etcd: a real etcd (Debian's etcd-server; test/helpers/etcd.ts), killed and restarted.
 *  - Consul: NOT a real Consul — no Consul package exists on this machine — but the stand-in in
 *    test/helpers/consul-fake.ts, which speaks the documented health API with blocking queries.
 *  - DNS: a real dnsmasq answering A records from a hosts file re-read on SIGHUP.
 * Suites whose binary is missing are skipped with a title saying so.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { consulEntry, startConsulFake, type ConsulFake } from '../helpers/consul-fake.js';
import { DNSMASQ_MISSING, hasDnsmasq, startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';
import { ETCD_MISSING, hasEtcd, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { eventually as poll, sleep } from '../helpers/eventually.js';
import { configProblems, LISTEN, startGateway, waitForLog, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** This file's polls: a 10 s default deadline (registries and restarts are slow here), 25 ms steps. */
const eventually = <T>(check: () => T | Promise<T>, timeoutMs = 10_000) => poll(check, timeoutMs, 25);

/** An upstream answering its name; `/slow` is held until `release()` (and at least `minHoldMs`). */
interface Named extends TestUpstream {
  name: string;
  /** Requests held at `/slow` right now. */
  held(): number;
  release(): void;
}

async function namedUpstream(name: string, minHoldMs = 500): Promise<Named> {
  let waiting: (() => void)[] = [];
  const up = await startUpstream(async (req, res) => {
    if (req.url?.startsWith('/slow')) {
      const since = Date.now();
      await new Promise<void>((resolve) => waiting.push(resolve));
      await sleep(Math.max(0, minHoldMs - (Date.now() - since)));
    }
    if (!res.destroyed) res.end(name);
  });
  return Object.assign(up, {
    name,
    held: () => waiting.length,
    release() {
      const w = waiting;
      waiting = [];
      w.forEach((r) => r());
    },
  });
}

interface Outcome {
  status: number | null;
  body: string;
  /** Date.now() when the request was sent. */
  sentAt: number;
}

/** Loads still running; afterEach stops them so a failed assertion cannot leave loops spinning. */
const running = new Set<() => Promise<unknown>>();

/** `loops` concurrent GET loops against `url` until `stop()`; collects every outcome. */
function load(url: string, client: Agent, loops = 16) {
  const outcomes: Outcome[] = [];
  let on = true;
  const loop = async (i: number) => {
    for (let n = 0; on; n++) {
      const sentAt = Date.now();
      try {
        const res = await request(`${url}/item/${i}/${n}`, { dispatcher: client });
        outcomes.push({ status: res.statusCode, body: await res.body.text(), sentAt });
      } catch (err) {
        outcomes.push({ status: null, body: String((err as Error).message), sentAt });
      }
    }
  };
  const done = Promise.all(Array.from({ length: loops }, (_, i) => loop(i)));
  const stop = async () => {
    on = false;
    running.delete(stop);
    await done;
    return outcomes;
  };
  running.add(stop);
  return { outcomes, names: () => new Set(outcomes.map((o) => o.body)), stop };
}

/** Waits until `count` answers were sent after `since` and at least `ms` have passed since it. */
async function ranFor(outcomes: Outcome[], since: number, count: number, ms: number): Promise<void> {
  await eventually(() => {
    expect(outcomes.filter((o) => o.sentAt > since).length).toBeGreaterThanOrEqual(count);
    expect(Date.now() - since).toBeGreaterThanOrEqual(ms);
  }, 15_000);
}

function failuresOf(outcomes: Outcome[]) {
  return outcomes.filter((o) => o.status !== 200);
}

interface UpstreamView {
  name: string;
  source: string;
  targets: { url: string; weight: number }[];
}

async function upstreamView(gw: TestGateway, name: string): Promise<UpstreamView> {
  const res = await fetch(`${gw.adminUrl}/admin/upstreams`);
  const body = (await res.json()) as { upstreams: UpstreamView[] };
  const view = body.upstreams.find((u) => u.name === name);
  if (view === undefined) throw new Error(`no upstream ${name} in /admin/upstreams`);
  return view;
}

/** Waits until the upstream's targets are exactly `urls` (any order), per /admin/upstreams. */
async function targetsBecome(gw: TestGateway, name: string, urls: string[], timeoutMs = 10_000): Promise<UpstreamView> {
  return eventually(async () => {
    const view = await upstreamView(gw, name);
    expect(view.targets.map((t) => t.url).sort()).toEqual([...urls].sort());
    return view;
  }, timeoutMs);
}

const route = (upstream: string) => `routes:\n  - { name: r, match: { path: / }, upstream: ${upstream} }\n`;
const etcdYaml = (etcd: TestEtcd, prefix: string) =>
  `${LISTEN}upstreams:\n  orders:\n    discovery: { type: etcd, endpoints: ["${etcd.url}"], prefix: ${prefix} }\n${route('orders')}`;
const registration = (u: TestUpstream, weight = 1) => JSON.stringify({ url: u.url, weight });

let ups: Named[] = [];
const gateways: TestGateway[] = [];
let client: Agent;

async function gatewayFor(yaml: string): Promise<TestGateway> {
  const gw = await startGateway(yaml);
  gateways.push(gw);
  return gw;
}

beforeAll(async () => {
  ups = await Promise.all(['A', 'B', 'C', 'D'].map((n) => namedUpstream(n)));
  client = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
});

afterEach(async () => {
  await Promise.all([...running].map((stop) => stop()));
  for (const u of ups) u.release();
});

afterAll(async () => {
  for (const u of ups) u.release();
  await client?.close();
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(ups.map((u) => u.close()));
});

if (!hasEtcd) console.warn(ETCD_MISSING);

describe.skipIf(!hasEtcd)(hasEtcd ? 'discovery: etcd (real etcd)' : ETCD_MISSING, () => {
  let etcd: TestEtcd;

  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);

  afterAll(async () => {
    await etcd?.close();
  });

  it('adds C and removes A under load: every answer 200, C answers, A no longer does, A’s in-flight requests finish', async () => {
    const [A, B, C] = ups as [Named, Named, Named];
    await etcd.put('/services/orders/a', registration(A));
    await etcd.put('/services/orders/b', registration(B));
    const gw = await gatewayFor(etcdYaml(etcd, '/services/orders/'));
    const before = await targetsBecome(gw, 'orders', [A.url, B.url]);
    expect(before.source).toBe(`etcd /services/orders/ @${etcd.url}`);

    const traffic = load(gw.url, client);
    await ranFor(traffic.outcomes, 0, 150, 0);
    await eventually(() => expect(traffic.names()).toEqual(new Set(['A', 'B'])));
    await sleep(800);

    // Park a few slow requests at A (round-robin spreads them; send until A holds three).
    const slow: Promise<Outcome>[] = [];
    await eventually(async () => {
      if (A.held() >= 3) return;
      for (let i = 0; i < 2; i++) {
        const sentAt = Date.now();
        slow.push(request(`${gw.url}/slow/${slow.length}`, { dispatcher: client }).then(async (r) => ({ status: r.statusCode, body: await r.body.text(), sentAt })));
      }
      await sleep(50);
      throw new Error(`A holds ${A.held()} slow requests`);
    });
    // Every slow request has arrived somewhere (none still on its way to A), so A's count is final.
    await eventually(() => expect(A.held() + B.held()).toBe(slow.length));
    const heldAtA = A.held();

    await etcd.put('/services/orders/c', registration(C));
    await etcd.del('/services/orders/a');
    const after = await targetsBecome(gw, 'orders', [B.url, C.url]);
    const changedAt = Date.now();
    expect(after.targets.every((t) => t.weight === 1)).toBe(true);
    // The removal happened while A still held its requests; now let them finish.
    expect(A.held()).toBe(heldAtA);
    A.release();
    B.release();

    await ranFor(traffic.outcomes, changedAt, 200, 1200);
    const outcomes = await traffic.stop();

    const failures = failuresOf(outcomes);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(350);
    const late = outcomes.filter((o) => o.sentAt > changedAt);
    expect(late.filter((o) => o.body === 'A')).toEqual([]);
    expect(new Set(late.map((o) => o.body))).toEqual(new Set(['B', 'C']));

    const slowDone = await Promise.all(slow);
    expect(slowDone.filter((o) => o.status !== 200)).toEqual([]);
    expect(slowDone.filter((o) => o.body === 'A').length).toBe(heldAtA);

    // Two registry changes (put C, then del A): the last logged list is B and C.
    const changes = gw.logs.filter((l) => l['msg'] === 'upstream targets changed');
    expect(changes.at(-1)).toMatchObject({ upstream: 'orders', discovery: `etcd /services/orders/ @${etcd.url}`, targets: [B.url, C.url].sort() });
  }, 40_000);

  it('etcd killed: traffic keeps flowing to the last known targets, a warning is logged; restarted, a further change is picked up', async () => {
    const [A, B, , D] = ups as [Named, Named, Named, Named];
    await etcd.put('/services/kill/a', registration(A));
    await etcd.put('/services/kill/b', registration(B));
    const gw = await gatewayFor(etcdYaml(etcd, '/services/kill/'));
    await targetsBecome(gw, 'orders', [A.url, B.url]);

    const traffic = load(gw.url, client, 10);
    await etcd.stop();
    const warned = await waitForLog(gw, (l) => l['msg'] === 'service discovery failed; keeping the last known targets', 15_000);
    expect(warned).toMatchObject({ level: 'warn', upstream: 'orders', discovery: `etcd /services/kill/ @${etcd.url}` });
    const warnedAt = Date.now();
    await ranFor(traffic.outcomes, warnedAt, 100, 1000);
    const outcomes = await traffic.stop();
    expect(failuresOf(outcomes).slice(0, 5)).toEqual([]);
    expect(new Set(outcomes.filter((o) => o.sentAt > warnedAt).map((o) => o.body))).toEqual(new Set(['A', 'B']));
    expect((await upstreamView(gw, 'orders')).targets.map((t) => t.url).sort()).toEqual([A.url, B.url].sort());

    await etcd.start();
    await etcd.put('/services/kill/d', registration(D));
    await etcd.del('/services/kill/a');
    // The etcd client pauses an endpoint for 5 s after 3 failures, and backs off: allow for it.
    await targetsBecome(gw, 'orders', [B.url, D.url], 25_000);
    await waitForLog(gw, (l) => l['msg'] === 'service discovery recovered' && l['upstream'] === 'orders');
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(`${gw.url}/x`, { dispatcher: client }).then((r) => r.body.text())));
    expect(new Set(answers)).toEqual(new Set(['B', 'D']));
  }, 45_000);

  it('a reload with the same discovery block keeps the discovered targets; a changed block switches registries', async () => {
    const [A, B, C] = ups as [Named, Named, Named];
    await etcd.put('/services/reload/a', registration(A));
    await etcd.put('/services/reload/b', registration(B));
    await etcd.put('/services/reload-next/c', registration(C));
    const yaml = etcdYaml(etcd, '/services/reload/');
    const gw = await gatewayFor(yaml);
    await targetsBecome(gw, 'orders', [A.url, B.url]);

    const traffic = load(gw.url, client, 10);
    await eventually(() => expect(traffic.outcomes.length).toBeGreaterThanOrEqual(100));
    const reloaded = await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST' });
    expect(reloaded.status).toBe(200);
    const generation = ((await reloaded.json()) as { generation: number }).generation;
    expect(generation).toBe(2);
    // Right after the swap: the new state already has the targets, and a burst succeeds at once.
    expect(gw.gateway.current().upstreams.get('orders')!.targets.map((t) => t.url).sort()).toEqual([A.url, B.url].sort());
    const burst = await Promise.all(Array.from({ length: 20 }, () => request(`${gw.url}/burst`, { dispatcher: client }).then(async (r) => ({ status: r.statusCode, body: await r.body.text() }))));
    expect(burst.filter((o) => o.status !== 200)).toEqual([]);
    const reloadedAt = Date.now();
    await ranFor(traffic.outcomes, reloadedAt, 100, 1000);
    const outcomes = await traffic.stop();
    expect(failuresOf(outcomes).slice(0, 5)).toEqual([]);

    const switched = await gw.gateway.reload(etcdYaml(etcd, '/services/reload-next/'));
    expect(switched.ok).toBe(true);
    const view = await targetsBecome(gw, 'orders', [C.url]);
    expect(view.source).toBe(`etcd /services/reload-next/ @${etcd.url}`);
    const answers = await Promise.all(Array.from({ length: 6 }, () => request(`${gw.url}/x`, { dispatcher: client }).then((r) => r.body.text())));
    expect(new Set(answers)).toEqual(new Set(['C']));
  }, 30_000);
});

describe('discovery: Consul (the stand-in server of test/helpers/consul-fake.ts, not a real Consul)', () => {
  let consul: ConsulFake;

  beforeAll(async () => {
    consul = await startConsulFake();
  });

  afterAll(async () => {
    await consul?.close();
  });

  const entry = (u: TestUpstream) => consulEntry({ address: '127.0.0.1', port: u.port, service: 'orders' });

  it('adds C and removes A under load through blocking queries; the change arrives well before the wait', async () => {
    const [A, B, C] = ups as [Named, Named, Named];
    consul.setService('orders', [entry(A), entry(B)]);
    const gw = await gatewayFor(`${LISTEN}upstreams:\n  orders:\n    discovery: { type: consul, url: "${consul.url}", service: orders, wait: 30s }\n${route('orders')}`);
    const before = await targetsBecome(gw, 'orders', [A.url, B.url]);
    expect(before.source).toBe(`consul orders @${consul.url}`);
    // The gateway is parked in a blocking query (index and wait sent) before the change.
    await eventually(() => expect(consul.waiting()).toBe(1));
    const blocking = consul.requests.at(-1)!;
    expect(blocking.path).toBe('/v1/health/service/orders');
    // 30 s in Go duration syntax (the gateway sends milliseconds).
    expect(blocking.query.get('wait')).toMatch(/^(30s|30000ms)$/);
    expect(Number(blocking.query.get('index'))).toBeGreaterThan(0);

    const traffic = load(gw.url, client);
    await ranFor(traffic.outcomes, 0, 150, 0);
    await eventually(() => expect(traffic.names()).toEqual(new Set(['A', 'B'])));
    await sleep(800);
    const changeAt = Date.now();
    consul.setService('orders', [entry(B), entry(C)]);
    await targetsBecome(gw, 'orders', [B.url, C.url]);
    const changedAt = Date.now();
    // Blocking queries answer at the change: far sooner than the 30 s wait (or any polling).
    expect(changedAt - changeAt).toBeLessThan(5000);

    await ranFor(traffic.outcomes, changedAt, 200, 1200);
    const outcomes = await traffic.stop();
    expect(failuresOf(outcomes).slice(0, 5)).toEqual([]);
    expect(outcomes.length).toBeGreaterThanOrEqual(350);
    const late = outcomes.filter((o) => o.sentAt > changedAt);
    expect(new Set(late.map((o) => o.body))).toEqual(new Set(['B', 'C']));
  }, 30_000);

  it('an upstream whose discovery found no targets answers 503 no_healthy_upstream (or the fallback), and /ready names it', async () => {
    consul.setService('empty', []);
    const gw = await gatewayFor(`${LISTEN}upstreams:
  empty:
    discovery: { type: consul, url: "${consul.url}", service: empty, wait: 30s }
routes:
  - { name: plain, match: { path: /plain }, upstream: empty }
  - name: degraded
    match: { path: /degraded }
    upstream: empty
    fallback: { status: 200, headers: { X-Degraded: "1" }, body: '{"items":[]}' }
`);
    // The empty answer has been read (the gateway is parked on the next blocking query).
    await eventually(() => expect(consul.requests.some((r) => r.path === '/v1/health/service/empty' && Number(r.query.get('index')) > 0)).toBe(true));
    expect((await upstreamView(gw, 'empty')).targets).toEqual([]);

    const plain = await request(`${gw.url}/plain`, { dispatcher: client });
    expect(plain.statusCode).toBe(503);
    expect(((await plain.body.json()) as { error: { code: string } }).error.code).toBe('no_healthy_upstream');

    const degraded = await request(`${gw.url}/degraded`, { dispatcher: client });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.headers['x-degraded']).toBe('1');
    expect(await degraded.body.text()).toBe('{"items":[]}');

    const ready = await fetch(`${gw.adminUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual(['upstream empty has no target']);

    // An instance appears: served, and ready.
    const [A] = ups as [Named];
    consul.setService('empty', [consulEntry({ address: '127.0.0.1', port: A.port, service: 'empty' })]);
    await targetsBecome(gw, 'empty', [A.url]);
    expect(await (await request(`${gw.url}/plain`, { dispatcher: client })).body.text()).toBe('A');
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);
  }, 20_000);
});

/** Servers on the same port at several loopback addresses, each answering its address (A records carry no port). */
async function sameServerOnAddresses(addresses: string[]): Promise<{ port: number; close(): Promise<void> }> {
  for (let attempt = 0; ; attempt++) {
    const servers: Server[] = [];
    try {
      let port = 0;
      for (const address of addresses) {
        const server = createServer((req, res) => {
          req.resume();
          res.end(address);
        });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => resolve());
        });
        servers.push(server);
        port = (server.address() as AddressInfo).port;
      }
      return {
        port,
        close: async () => {
          await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          })));
        },
      };
    } catch (err) {
      // The port taken on the first address was busy on another: try a different one.
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      if (attempt >= 5) throw err;
    }
  }
}

if (!hasDnsmasq) console.warn(DNSMASQ_MISSING);

describe.skipIf(!hasDnsmasq)(hasDnsmasq ? 'discovery: DNS A records (real dnsmasq)' : DNSMASQ_MISSING, () => {
  let dns: TestDnsServer;
  let servers: { port: number; close(): Promise<void> };

  beforeAll(async () => {
    servers = await sameServerOnAddresses(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    dns = await startDnsServer({ hosts: ['127.0.0.2 orders.example.internal', '127.0.0.3 orders.example.internal'], ttl: 1 });
  }, 20_000);

  afterAll(async () => {
    await dns?.close();
    await servers?.close();
  });

  it('targets follow the A records (with the configured port) as they change, under load', async () => {
    const gw = await gatewayFor(`${LISTEN}upstreams:\n  orders:\n    discovery: { type: dns, name: orders.example.internal, resolver: "${dns.resolver}", port: ${servers.port}, minTtl: 1s, maxTtl: 2s }\n${route('orders')}`);
    const url = (ip: string) => `http://${ip}:${servers.port}`;
    const before = await targetsBecome(gw, 'orders', [url('127.0.0.2'), url('127.0.0.3')]);
    expect(before.source).toBe(`dns a orders.example.internal @${dns.resolver}`);

    const traffic = load(gw.url, client, 10);
    await eventually(() => expect(traffic.names()).toEqual(new Set(['127.0.0.2', '127.0.0.3'])));
    await dns.setHosts(['127.0.0.3 orders.example.internal', '127.0.0.4 orders.example.internal']);
    // TTL 1 s: the next resolution (within ~1–2 s) sees the new records.
    await targetsBecome(gw, 'orders', [url('127.0.0.3'), url('127.0.0.4')], 10_000);
    const changedAt = Date.now();
    await ranFor(traffic.outcomes, changedAt, 100, 1000);
    const outcomes = await traffic.stop();
    expect(failuresOf(outcomes).slice(0, 5)).toEqual([]);
    expect(new Set(outcomes.filter((o) => o.sentAt > changedAt).map((o) => o.body))).toEqual(new Set(['127.0.0.3', '127.0.0.4']));
  }, 30_000);
});

describe('discovery config validation', () => {
  it('refuses targets and discovery together, at upstreams.<name>.discovery', async () => {
    const problems = await configProblems(
      `${LISTEN}upstreams:\n  u:\n    targets: ["http://127.0.0.1:1"]\n    discovery: { type: etcd, endpoints: ["http://127.0.0.1:2379"], prefix: /services/u/ }\n${route('u')}`,
    );
    expect(problems).toEqual([expect.stringMatching(/^upstreams\.u\.discovery: use either targets or discovery, not both/)]);
  });

  it('names a misspelt etcd field (endpoint instead of endpoints)', async () => {
    const problems = await configProblems(`${LISTEN}upstreams:\n  u:\n    discovery: { type: etcd, endpoint: "http://127.0.0.1:2379", prefix: /services/u/ }\n${route('u')}`);
    expect(problems).toContainEqual(expect.stringMatching(/^upstreams\.u\.discovery\.endpoint: /));
    expect(problems).toContainEqual(expect.stringMatching(/^upstreams\.u\.discovery\.endpoints: /));
    expect(problems.every((p) => p.startsWith('upstreams.u.discovery'))).toBe(true);
  });
});
