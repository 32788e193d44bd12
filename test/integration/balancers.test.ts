/**
 * Load balancing end to end: real upstreams that each answer their own name, the real gateway
 * configured from YAML, and what the client sees (which name answered). Also the per-target
 * in-flight count least-request reads: it returns to 0 however an exchange ends.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually as poll } from '../helpers/eventually.js';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** This file's polls: a 3 s default deadline, 10 ms steps (in-flight counts settle quickly). */
const eventually = (check: () => void, timeoutMs = 3000) => poll(check, timeoutMs, 10);

/** Named upstreams: `/slow` is held until `release()`; `/reset` destroys the socket mid-body; else the name. */
interface Named extends TestUpstream {
  name: string;
  release(): void;
}

async function namedUpstream(name: string): Promise<Named> {
  let held: (() => void)[] = [];
  const up = await startUpstream(async (req, res) => {
    if (req.url?.startsWith('/slow')) await new Promise<void>((resolve) => held.push(resolve));
    if (req.url?.startsWith('/reset')) {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.destroy(), 10);
      return;
    }
    if (!res.destroyed) res.end(name);
  });
  return Object.assign(up, {
    name,
    release() {
      const h = held;
      held = [];
      h.forEach((r) => r());
    },
  });
}

async function who(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  return res.text();
}

function counts(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

function upstreamsYaml(ups: Named[], options: string, weights?: number[]): string {
  const targets = ups.map((u, i) => (weights ? `{ url: "${u.url}", weight: ${weights[i]} }` : `"${u.url}"`)).join(', ');
  return `${LISTEN}upstreams:\n  pool: { targets: [${targets}]${options} }\nroutes:\n  - { name: r, match: { path: / }, upstream: pool }\n`;
}

let ups: Named[] = [];
const gateways: TestGateway[] = [];

async function gatewayFor(yaml: string): Promise<TestGateway> {
  const gw = await startGateway(yaml);
  gateways.push(gw);
  return gw;
}

function inflight(gw: TestGateway, upstream = 'pool'): number[] {
  return gw.gateway.current().upstreams.get(upstream)!.targets.map((t) => t.load.inflight);
}

beforeAll(async () => {
  ups = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(namedUpstream));
});

afterAll(async () => {
  for (const u of ups) u.release();
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(ups.map((u) => u.close()));
});

describe('balancers through the gateway', () => {
  it('round-robin visits the four targets in turn', async () => {
    const gw = await gatewayFor(upstreamsYaml(ups.slice(0, 4), ', balancer: round-robin'));
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) seen.push(await who(`${gw.url}/x`));
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd']);
  });

  it('weighted gives 1:2:3 exactly over 60 requests', async () => {
    const gw = await gatewayFor(upstreamsYaml(ups.slice(0, 3), ', balancer: weighted', [1, 2, 3]));
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) seen.push(await who(`${gw.url}/x`));
    expect(counts(seen)).toEqual({ a: 10, b: 20, c: 30 });
  });

  it('random reaches every target, the heavier one more often', async () => {
    const gw = await gatewayFor(upstreamsYaml(ups.slice(0, 4), ', balancer: random', [1, 1, 1, 5]));
    const seen = await Promise.all(Array.from({ length: 240 }, () => who(`${gw.url}/x`)));
    const c = counts(seen);
    expect(Object.keys(c).sort()).toEqual(['a', 'b', 'c', 'd']);
    // d's expected share is 5/8 = 150 of 240; a, b, c expect 30 each
    expect(c.d!).toBeGreaterThan(c.a! + c.b!);
  });

  it('least-request never sends new requests to the target holding a slow one', async () => {
    const three = ups.slice(0, 3);
    const gw = await gatewayFor(upstreamsYaml(three, ', balancer: least-request'));
    const before = three.map((u) => u.requests.length);
    const slow = fetch(`${gw.url}/slow/1`).then((r) => r.text());
    await eventually(() => expect(inflight(gw).sort()).toEqual([0, 0, 1]));
    const busy = three[inflight(gw).indexOf(1)]!.name;
    // Power of two choices: of any two distinct targets at least one is idle, and it wins.
    const fast: string[] = [];
    for (let i = 0; i < 40; i++) fast.push(await who(`${gw.url}/x`));
    const c = counts(fast);
    expect(c[busy]).toBeUndefined();
    expect(Object.keys(c).sort()).toEqual(three.map((u) => u.name).filter((n) => n !== busy));
    for (const u of three) u.release();
    expect(await slow).toBe(busy);
    expect(inflight(gw)).toEqual([0, 0, 0]);
    expect(three.reduce((s, u, i) => s + u.requests.length - before[i]!, 0)).toBe(41);
  });

  it('consistent-hash on a header keeps each value on one target, and a 5th target moves few keys', async () => {
    const yaml4 = upstreamsYaml(ups.slice(0, 4), ', balancer: consistent-hash, hashOn: "header:X-User"');
    const gw = await gatewayFor(yaml4);
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const first = await Promise.all(users.map((u) => who(`${gw.url}/x`, { 'x-user': u })));
    const again = await Promise.all(users.map((u) => who(`${gw.url}/y`, { 'x-user': u })));
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(4);

    const outcome = await gw.gateway.reload(upstreamsYaml(ups, ', balancer: consistent-hash, hashOn: "header:X-User"'));
    expect(outcome.ok).toBe(true);
    const after = await Promise.all(users.map((u) => who(`${gw.url}/x`, { 'x-user': u })));
    const moved = users.filter((_, i) => after[i] !== first[i]);
    // Expected 1/5 (40 of 200); all of them to the new target e.
    expect(moved.length).toBeGreaterThan(200 * 0.08);
    expect(moved.length).toBeLessThan(200 * 0.35);
    for (let i = 0; i < users.length; i++) if (after[i] !== first[i]) expect(after[i]).toBe('e');
  });

  it('consistent-hash on a cookie is sticky per cookie; without it, per client IP', async () => {
    const gw = await gatewayFor(upstreamsYaml(ups.slice(0, 4), ', balancer: consistent-hash, hashOn: "cookie:sid"'));
    const sessions = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const first = await Promise.all(sessions.map((s) => who(`${gw.url}/x`, { cookie: `theme=dark; sid=${s}` })));
    const again = await Promise.all(sessions.map((s) => who(`${gw.url}/x`, { cookie: `sid=${s}; other=1` })));
    expect(again).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
    // No sid cookie: all these come from 127.0.0.1, so they share one target.
    const noCookie = await Promise.all(Array.from({ length: 20 }, () => who(`${gw.url}/x`, { cookie: 'theme=dark' })));
    expect(new Set(noCookie).size).toBe(1);
  });

  it('refuses consistent-hash without hashOn at load and on reload (the old config keeps serving)', async () => {
    await expect(startGateway(upstreamsYaml(ups.slice(0, 2), ', balancer: consistent-hash'))).rejects.toThrow(/hashOn: is required/);
    const gw = await gatewayFor(upstreamsYaml(ups.slice(0, 2), ', balancer: round-robin'));
    const outcome = await gw.gateway.reload(upstreamsYaml(ups.slice(0, 2), ', balancer: least-request, hashOn: ip'));
    expect(outcome.ok).toBe(false);
    expect(outcome.errors.join('\n')).toContain('upstreams.pool.hashOn: is only used with balancer consistent-hash');
    expect(['a', 'b']).toContain(await who(`${gw.url}/x`));
  });
});

/** A GET whose client goes away after `afterMs`; resolves when the socket has closed. */
function abandon(url: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false });
    req.on('error', () => {});
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), afterMs);
  });
}

describe('in-flight count per target', () => {
  it('counts a held request and returns to 0 after successes, upstream errors, timeouts and client aborts', async () => {
    const dead = await deadPort();
    const yaml =
      `${LISTEN}upstreams:\n` +
      `  pool: { targets: ["${ups[0]!.url}"], balancer: least-request, timeouts: { response: 300ms } }\n` +
      `  dead: { targets: ["http://127.0.0.1:${dead}"], balancer: least-request }\n` +
      'routes:\n' +
      '  - { name: r, match: { path: / }, upstream: pool }\n' +
      '  - { name: d, match: { path: /dead }, upstream: dead }\n';
    const gw = await gatewayFor(yaml);

    // Successes, sequential and parallel.
    for (let i = 0; i < 5; i++) expect(await who(`${gw.url}/ok`)).toBe('a');
    await Promise.all(Array.from({ length: 20 }, () => who(`${gw.url}/ok`)));
    expect(inflight(gw)).toEqual([0]);

    // While a request is held upstream it counts (so the 0s below are not vacuous).
    const held = fetch(`${gw.url}/slow/held`);
    await eventually(() => expect(inflight(gw)).toEqual([1]));
    // … until the response timeout answers 504.
    expect((await held).status).toBe(504);
    expect(inflight(gw)).toEqual([0]);

    // Connection refused: 502.
    const refused = await fetch(`${gw.url}/dead`);
    expect(refused.status).toBe(502);
    expect(inflight(gw, 'dead')).toEqual([0]);

    // Reset mid-body: the client sees an aborted body; the count still comes back.
    await fetch(`${gw.url}/reset`).then((r) => r.text()).catch(() => 'aborted');
    await eventually(() => expect(inflight(gw)).toEqual([0]));

    // Client aborts while the upstream holds the request, several at once.
    await Promise.all(Array.from({ length: 5 }, (_, i) => abandon(`${gw.url}/slow/abort-${i}`, 50)));
    await eventually(() => expect(inflight(gw)).toEqual([0]));
    ups[0]!.release();

    // A reload keeps the count (it lives with the pool): a request held across it is still seen,
    // and least-request on the new config avoids that target.
    const across = fetch(`${gw.url}/slow/across`);
    await eventually(() => expect(inflight(gw)).toEqual([1]));
    expect((await gw.gateway.reload(yaml.replace('response: 300ms', 'response: 400ms'))).ok).toBe(true);
    expect(inflight(gw)).toEqual([1]);
    expect((await across).status).toBe(504);
    expect(inflight(gw)).toEqual([0]);

    // And the gateway still serves.
    expect(await who(`${gw.url}/ok`)).toBe('a');
    expect(inflight(gw)).toEqual([0]);
  });
});
