/**
 * Target health end to end: active probes (real timers: interval 100ms) and passive outlier
 * ejection (the gateway's injected fake clock), with real upstreams and the real gateway from
 * YAML. What is checked is what users see: which target answers, /admin/upstreams, /ready,
 * portcullis_upstream_health, the 503 no_healthy_upstream (or the route's fallback) and the
 * 'upstream target out of rotation' log line.
 */
import { get as httpGet } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually as poll, sleep } from '../helpers/eventually.js';
import { LISTEN, startGateway, waitForLog, type TestGateway } from '../helpers/gateway.js';
import { metricLines } from '../helpers/metrics.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** This file's polls: a 5 s default deadline, 20 ms steps (probes run every 100 ms). */
const eventually = <T>(check: () => T | Promise<T>, timeoutMs = 5000) => poll(check, timeoutMs, 20);

class FakeClock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

const PROBE_UA = 'portcullis-health-check';

/**
 * An upstream that answers its name, and its health path with `health` (a status, or 'hang' to
 * never answer); `script` statuses, when set, are used first, one per probe. Each probe's answer
 * is recorded with its time (ms) so a test can count the probes answered before a log line.
 */
interface Probed extends TestUpstream {
  name: string;
  health: number | 'hang';
  /** Client requests (not probes) answer 500 while set. */
  failing: boolean;
  script: number[];
  probes: { status: number; at: number; url: string; host: string | undefined }[];
  /** Requests that were not probes. */
  served(): number;
}

async function probedUpstream(name: string, healthPath = '/health'): Promise<Probed> {
  const holder = {} as Probed;
  const up = await startUpstream((req, res) => {
    if (req.headers['user-agent'] === PROBE_UA && req.url?.endsWith(healthPath)) {
      const status = holder.script.length > 0 ? holder.script.shift()! : holder.health;
      if (status === 'hang') return; // never answered: the probe times out
      holder.probes.push({ status, at: Date.now(), url: req.url, host: req.headers.host });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('health');
      return;
    }
    res.writeHead(holder.failing ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(holder.failing ? `${name} failed` : name);
  });
  return Object.assign(holder, up, {
    name,
    health: 200 as number | 'hang',
    script: [] as number[],
    probes: [] as Probed['probes'],
    failing: false,
    served: () => up.requests.filter((r) => r.headers['user-agent'] !== PROBE_UA).length,
  });
}

interface TargetView {
  id: string;
  url: string;
  healthy: boolean;
  inRotation: boolean;
  health: { probe: 'passing' | 'failing'; ejectedUntil: string | null; ejections: number };
}

async function targetsOf(gw: TestGateway, upstream: string): Promise<TargetView[]> {
  const view = (await (await fetch(`${gw.adminUrl}/admin/upstreams`)).json()) as { upstreams: { name: string; targets: TargetView[] }[] };
  return view.upstreams.find((u) => u.name === upstream)!.targets;
}

async function healthyById(gw: TestGateway, upstream: string): Promise<Record<string, boolean>> {
  return Object.fromEntries((await targetsOf(gw, upstream)).map((t) => [t.id.slice(upstream.length + 1), t.healthy]));
}

async function body(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const outLogs = (gw: TestGateway) => gw.logs.filter((l) => l['msg'] === 'upstream target out of rotation');
const backLogs = (gw: TestGateway) => gw.logs.filter((l) => l['msg'] === 'upstream target back in rotation');

const gateways: TestGateway[] = [];
const upstreams: TestUpstream[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});
afterAll(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

async function gatewayFor(yaml: string, clock?: FakeClock): Promise<TestGateway> {
  const gw = await startGateway(yaml, clock ? { clock } : {});
  gateways.push(gw);
  return gw;
}

async function named(name: string, healthPath?: string): Promise<Probed> {
  const up = await probedUpstream(name, healthPath);
  upstreams.push(up);
  return up;
}

describe('active health checks', () => {
  it('takes a target whose probes fail out of rotation after `unhealthy` failures, and back after `healthy` passes', async () => {
    const a = await named('a');
    const b = await named('b');
    const spareDead = await deadPort();
    const gw = await gatewayFor(`${LISTEN}
upstreams:
  svc:
    targets: [${a.url}, ${b.url}]
    healthCheck: { path: /health, interval: 100ms, timeout: 100ms, unhealthy: 3, healthy: 2 }
  spare:
    targets: [http://127.0.0.1:${spareDead}]
    healthCheck: { path: /health, interval: 100ms, timeout: 100ms, unhealthy: 1 }
routes:
  - { name: plain, match: { path: /plain }, upstream: svc }
  - name: degraded
    match: { path: /degraded }
    upstream: svc
    fallback: { status: 200, headers: { X-Degraded: "1" }, body: '{"items":[]}' }
`);
    const labelA = `127.0.0.1:${a.port}`;
    const labelB = `127.0.0.1:${b.port}`;

    // Both probed and passing; the unused upstream `spare` (its only target refuses) leaves /ready alone.
    await eventually(() => expect(a.probes.length > 0 && b.probes.length > 0).toBe(true));
    await eventually(async () => expect(await healthyById(gw, 'spare')).toEqual({ [`127.0.0.1:${spareDead}`]: false }));
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);

    // unhealthy − 1 failing probes in a row, then a pass: the count starts over, b never leaves.
    b.script = [500, 500, 200, 500, 500, 200];
    await eventually(() => expect(b.script).toEqual([]));
    const seen = b.probes.length;
    await eventually(() => expect(b.probes.length).toBeGreaterThan(seen)); // the last scripted answer was handled
    expect(outLogs(gw).filter((l) => l['target'] === labelB)).toEqual([]);
    expect(await healthyById(gw, 'svc')).toEqual({ [labelA]: true, [labelB]: true });

    // Now b's health answers 500 for good: out after 3 failures.
    const failingFrom = Date.now();
    b.health = 500;
    const out = await waitForLog(gw, (l) => l['msg'] === 'upstream target out of rotation' && l['target'] === labelB, 5000);
    expect(out).toMatchObject({ level: 'warn', upstream: 'svc', target: labelB, reason: 'health check failing' });
    const failedBefore = b.probes.filter((p) => p.at >= failingFrom && p.at <= (out['time'] as number) && p.status === 500).length;
    expect(failedBefore).toBeGreaterThanOrEqual(3);

    // No client request reaches b while it is out.
    const servedB = b.served();
    const answers = await Promise.all(Array.from({ length: 20 }, () => body(`${gw.url}/plain`)));
    expect(answers.map((r) => `${r.status} ${r.text}`)).toEqual(Array(20).fill('200 a'));
    expect(b.served()).toBe(servedB);

    expect(await targetsOf(gw, 'svc')).toMatchObject([
      { url: a.url, healthy: true, inRotation: true, health: { probe: 'passing' } },
      { url: b.url, healthy: false, inRotation: false, health: { probe: 'failing', ejectedUntil: null } },
    ]);
    expect(await metricLines(gw, 'portcullis_upstream_health{upstream="svc"')).toEqual([
      `portcullis_upstream_health{upstream="svc",target="${labelA}"} 1`,
      `portcullis_upstream_health{upstream="svc",target="${labelB}"} 0`,
    ].sort());
    // One target of svc is left: still ready.
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);

    // a fails too: svc has no healthy target → /ready 503 naming it, 503 no_healthy_upstream, the fallback.
    a.health = 503;
    await eventually(async () => expect(await healthyById(gw, 'svc')).toEqual({ [labelA]: false, [labelB]: false }));
    const ready = await fetch(`${gw.adminUrl}/ready`);
    expect(ready.status).toBe(503);
    const reasons = ((await ready.json()) as { reasons: string[] }).reasons;
    expect(reasons).toEqual(['upstream svc has no healthy target']);
    const servedA = a.served();
    const refused = await fetch(`${gw.url}/plain`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('no_healthy_upstream');
    const degraded = await body(`${gw.url}/degraded`);
    expect(degraded).toMatchObject({ status: 200, text: '{"items":[]}' });
    expect(degraded.headers.get('x-degraded')).toBe('1');
    expect(a.served()).toBe(servedA);

    // Both pass again: back after 2 passing probes each.
    const passingFrom = Date.now();
    a.health = 200;
    b.health = 200;
    const back = await waitForLog(gw, (l) => l['msg'] === 'upstream target back in rotation' && l['target'] === labelB, 5000);
    expect(back).toMatchObject({ level: 'info', upstream: 'svc' });
    expect(b.probes.filter((p) => p.at >= passingFrom && p.at <= (back['time'] as number) && p.status === 200).length).toBeGreaterThanOrEqual(2);
    await eventually(async () => expect(await healthyById(gw, 'svc')).toEqual({ [labelA]: true, [labelB]: true }));
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);
    expect(await metricLines(gw, 'portcullis_upstream_health{upstream="svc"')).toEqual([
      `portcullis_upstream_health{upstream="svc",target="${labelA}"} 1`,
      `portcullis_upstream_health{upstream="svc",target="${labelB}"} 1`,
    ].sort());
    const again = await Promise.all(Array.from({ length: 10 }, () => body(`${gw.url}/plain`)));
    expect(new Set(again.map((r) => r.text))).toEqual(new Set(['a', 'b']));
  });

  it('counts a probe that outlasts `timeout` as failed', async () => {
    const a = await named('a');
    const slow = await named('slow');
    const gw = await gatewayFor(`${LISTEN}
upstreams:
  svc:
    targets: [${a.url}, ${slow.url}]
    healthCheck: { path: /health, interval: 100ms, timeout: 50ms, unhealthy: 2, healthy: 1 }
routes:
  - { name: r, match: { path: / }, upstream: svc }
`);
    await eventually(() => expect(slow.probes.length).toBeGreaterThan(0));
    slow.health = 'hang';
    const out = await waitForLog(gw, (l) => l['msg'] === 'upstream target out of rotation', 5000);
    expect(out).toMatchObject({ upstream: 'svc', target: `127.0.0.1:${slow.port}`, reason: 'health check failing' });
    const served = slow.served();
    for (let i = 0; i < 6; i++) expect((await body(`${gw.url}/x`)).text).toBe('a');
    expect(slow.served()).toBe(served);
    expect((await targetsOf(gw, 'svc')).map((t) => t.healthy)).toEqual([true, false]);
  });

  it('honours `statuses`: only the listed statuses pass', async () => {
    const ok = await named('ok'); // answers 200: not listed, fails
    const nc = await named('nc'); // answers 204: listed, passes
    nc.health = 204;
    const gw = await gatewayFor(`${LISTEN}
upstreams:
  svc:
    targets: [${ok.url}, ${nc.url}]
    healthCheck: { path: /health, interval: 100ms, timeout: 100ms, unhealthy: 2, statuses: [204] }
routes:
  - { name: r, match: { path: / }, upstream: svc }
`);
    const out = await waitForLog(gw, (l) => l['msg'] === 'upstream target out of rotation', 5000);
    expect(out['target']).toBe(`127.0.0.1:${ok.port}`);
    await eventually(() => expect(nc.probes.length).toBeGreaterThanOrEqual(3));
    expect(outLogs(gw).map((l) => l['target'])).toEqual([`127.0.0.1:${ok.port}`]);
    expect((await targetsOf(gw, 'svc')).map((t) => [t.healthy, t.health.probe])).toEqual([
      [false, 'failing'],
      [true, 'passing'],
    ]);
    for (let i = 0; i < 4; i++) expect((await body(`${gw.url}/x`)).text).toBe('nc');
  });

  it("probes GET basePath + path with the target's Host, whatever the route's preserveHost", async () => {
    const up = await named('based', '/base/status');
    const gw = await gatewayFor(`${LISTEN}
upstreams:
  svc:
    targets: [${up.url}/base/]
    healthCheck: { path: /status, interval: 100ms, timeout: 100ms }
routes:
  - { name: r, match: { path: / }, upstream: svc, preserveHost: true }
`);
    await eventually(() => expect(up.probes.length).toBeGreaterThanOrEqual(2));
    const probes = up.requests.filter((r) => r.headers['user-agent'] === PROBE_UA);
    for (const p of probes) expect(p).toMatchObject({ method: 'GET', url: '/base/status', headers: { host: `127.0.0.1:${up.port}` } });
    // A client request on the same gateway is forwarded under the base path with the client's Host.
    // fetch cannot set Host: node:http can.
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpGet(`${gw.url}/hello`, { headers: { host: 'client.example' } }, (res) => {
        let data = '';
        res.setEncoding('utf8').on('data', (c: string) => (data += c)).on('end', () => resolve(data));
      });
      req.on('error', reject);
    });
    expect(text).toBe('based');
    const last = up.requests.filter((r) => r.headers['user-agent'] !== PROBE_UA).at(-1)!;
    expect(last).toMatchObject({ url: '/base/hello', headers: { host: 'client.example' } });
    expect(backLogs(gw)).toEqual([]);
    expect(outLogs(gw)).toEqual([]);
  });
});

describe('probes have their own connection', () => {
  it('a target whose only pool connection is busy with a slow request still passes its probes', async () => {
    let release: () => void = () => undefined;
    const up = await startUpstream(async (req, res) => {
      if (req.url === '/slow') await new Promise<void>((resolve) => (release = resolve));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.url === '/slow' ? 'slow' : 'ok');
    });
    upstreams.push(up);
    const gw = await gatewayFor(`${LISTEN}
upstreams:
  svc:
    targets: [${up.url}]
    pool: { connections: 1 }
    healthCheck: { path: /health, interval: 100ms, timeout: 100ms, unhealthy: 2 }
routes:
  - { name: r, match: { path: / }, upstream: svc }
`);
    const probes = () => up.requests.filter((r) => r.headers['user-agent'] === PROBE_UA).length;
    const slow = fetch(`${gw.url}/slow`).then((r) => r.text());
    await eventually(() => expect(up.requests.some((r) => r.url === '/slow')).toBe(true));
    // The pool's one connection is held: probes queued behind it would time out and eject the target.
    const before = probes();
    await eventually(() => expect(probes()).toBeGreaterThanOrEqual(before + 5));
    expect((await targetsOf(gw, 'svc')).map((t) => [t.healthy, t.inRotation])).toEqual([[true, true]]);
    expect(outLogs(gw)).toEqual([]);
    release();
    expect(await slow).toBe('slow');
  });
});

describe('probes follow the config', () => {
  it('a reload replaces the probes (the old checker stops), and stopping the gateway stops them', async () => {
    const up = await named('up', '/health');
    const yaml = (path: string) => `${LISTEN}
upstreams:
  svc:
    targets: [${up.url}]
    healthCheck: { path: ${path}, interval: 100ms, timeout: 100ms }
routes:
  - { name: r, match: { path: / }, upstream: svc }
`;
    const gw = await gatewayFor(yaml('/health'));
    const probesAt = (path: string) => up.requests.filter((r) => r.headers['user-agent'] === PROBE_UA && r.url === path).length;
    await eventually(() => expect(probesAt('/health')).toBeGreaterThanOrEqual(2));
    expect((await gw.gateway.reload(yaml('/healthz'))).ok).toBe(true);
    await eventually(() => expect(probesAt('/healthz')).toBeGreaterThanOrEqual(2));
    // The old checker is gone: over 5 more intervals of the new one, no probe of the old path.
    const oldCount = probesAt('/health');
    const newCount = probesAt('/healthz');
    await eventually(() => expect(probesAt('/healthz')).toBeGreaterThanOrEqual(newCount + 5));
    expect(probesAt('/health')).toBe(oldCount);
    // /healthz answers 200 too (the handler answers its name): the target stayed in rotation.
    expect((await body(`${gw.url}/x`)).text).toBe('up');

    await gw.stop();
    gateways.splice(gateways.indexOf(gw), 1);
    const afterStop = probesAt('/healthz');
    await sleep(500); // 5 intervals: a running checker would have probed
    expect(probesAt('/healthz')).toBe(afterStop);
  });
});

describe('passive outlier ejection (fake clock)', () => {
  const passiveYaml = (targets: string[], healthCheck: string, extra = '') => `${LISTEN}
upstreams:
  svc:
    targets: [${targets.join(', ')}]
    healthCheck: ${healthCheck}
routes:
  - { name: plain, match: { path: /plain }, upstream: svc }
${extra}`;

  it('ejects a target after consecutive 5xx, sends everything to the other, tries it again after ejectTime, and ejects it twice as long the second time', async () => {
    const clock = new FakeClock();
    const bad = await named('bad');
    const good = await named('good');
    bad.failing = true;
    const gw = await gatewayFor(passiveYaml([bad.url, good.url], '{ passive: { failures: 3, ejectTime: 10s, maxEjectTime: 5m } }'), clock);
    const labelBad = `127.0.0.1:${bad.port}`;

    // Round robin alternates: 6 requests give bad its 3 failures in a row.
    const first = [];
    for (let i = 0; i < 6; i++) first.push(await body(`${gw.url}/plain`));
    expect(first.map((r) => r.status).sort()).toEqual([200, 200, 200, 500, 500, 500]);
    expect(bad.served()).toBe(3);
    const out = await waitForLog(gw, (l) => l['msg'] === 'upstream target out of rotation');
    expect(out).toMatchObject({ level: 'warn', upstream: 'svc', target: labelBad, reason: 'ejected after consecutive failures' });

    for (let i = 0; i < 10; i++) expect(await body(`${gw.url}/plain`)).toMatchObject({ status: 200, text: 'good' });
    expect(bad.served()).toBe(3);
    const view = await targetsOf(gw, 'svc');
    expect(view[0]).toMatchObject({ healthy: false, inRotation: false, health: { probe: 'passing', ejectedUntil: new Date(clock.t + 10_000).toISOString(), ejections: 1 } });
    expect(view[1]).toMatchObject({ healthy: true, inRotation: true });
    expect(await metricLines(gw, 'portcullis_upstream_health{upstream="svc"')).toEqual(
      [`portcullis_upstream_health{upstream="svc",target="${labelBad}"} 0`, `portcullis_upstream_health{upstream="svc",target="127.0.0.1:${good.port}"} 1`].sort(),
    );
    // The other target still serves: ready.
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);

    // Just before the ejection ends: still out. At its end: tried again.
    clock.advance(9_999);
    for (let i = 0; i < 4; i++) expect((await body(`${gw.url}/plain`)).text).toBe('good');
    expect(bad.served()).toBe(3);
    clock.advance(1);
    const retried = [];
    for (let i = 0; i < 6; i++) retried.push(await body(`${gw.url}/plain`));
    expect(bad.served()).toBe(6); // its share again, and 3 more failures eject it again
    expect(retried.filter((r) => r.status === 500).length).toBe(3);
    expect(backLogs(gw).map((l) => l['target'])).toEqual([labelBad]);
    expect(outLogs(gw).map((l) => l['target'])).toEqual([labelBad, labelBad]);

    // The second ejection lasts 2 × 10 s.
    expect((await targetsOf(gw, 'svc'))[0]!.health).toMatchObject({ ejectedUntil: new Date(clock.t + 20_000).toISOString(), ejections: 2 });
    clock.advance(10_000);
    for (let i = 0; i < 4; i++) expect((await body(`${gw.url}/plain`)).text).toBe('good');
    expect(bad.served()).toBe(6);
    clock.advance(10_000);
    bad.failing = false;
    const healed = [];
    for (let i = 0; i < 6; i++) healed.push((await body(`${gw.url}/plain`)).text);
    expect(healed.sort()).toEqual(['bad', 'bad', 'bad', 'good', 'good', 'good']);
    expect((await targetsOf(gw, 'svc'))[0]).toMatchObject({ healthy: true, inRotation: true });
  });

  it('caps an ejection at maxEjectTime, and starts counting afresh after maxEjectTime in rotation', async () => {
    const clock = new FakeClock();
    const bad = await named('bad');
    bad.failing = true;
    const gw = await gatewayFor(passiveYaml([bad.url], '{ passive: { failures: 1, ejectTime: 10s, maxEjectTime: 25s } }'), clock);
    const ejectedFor = async () => {
      const until = (await targetsOf(gw, 'svc'))[0]!.health.ejectedUntil;
      return until === null ? 0 : Date.parse(until) - clock.t;
    };
    // 10 s, 20 s, then 30 s capped to 25 s; each time the ejection is waited out and the next failure ejects again.
    for (const expected of [10_000, 20_000, 25_000]) {
      expect((await body(`${gw.url}/plain`)).status).toBe(500);
      expect(await ejectedFor()).toBe(expected);
      expect((await body(`${gw.url}/plain`)).status).toBe(503);
      clock.advance(expected);
    }
    // In rotation for longer than maxEjectTime since the last ejection ended: back to 10 s.
    bad.failing = false;
    expect((await body(`${gw.url}/plain`)).status).toBe(200);
    clock.advance(25_001);
    bad.failing = true;
    expect((await body(`${gw.url}/plain`)).status).toBe(500);
    expect(await ejectedFor()).toBe(10_000);
    expect((await targetsOf(gw, 'svc'))[0]!.health.ejections).toBe(4);
  });

  it('ejects a target that refuses connections', async () => {
    const clock = new FakeClock();
    const dead = await deadPort();
    const good = await named('good');
    const gw = await gatewayFor(passiveYaml([`http://127.0.0.1:${dead}`, good.url], '{ passive: { failures: 2, ejectTime: 10s } }'), clock);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await body(`${gw.url}/plain`)).status);
    expect(statuses.sort()).toEqual([200, 200, 502, 502]);
    const out = await waitForLog(gw, (l) => l['msg'] === 'upstream target out of rotation');
    expect(out).toMatchObject({ target: `127.0.0.1:${dead}`, reason: 'ejected after consecutive failures' });
    for (let i = 0; i < 10; i++) expect(await body(`${gw.url}/plain`)).toMatchObject({ status: 200, text: 'good' });
    expect((await targetsOf(gw, 'svc')).map((t) => t.healthy)).toEqual([false, true]);
  });

  it('`passive: false` never ejects', async () => {
    const clock = new FakeClock();
    const bad = await named('bad');
    const good = await named('good');
    bad.failing = true;
    const gw = await gatewayFor(passiveYaml([bad.url, good.url], '{ path: /health, interval: 1h, passive: false }'), clock);
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await body(`${gw.url}/plain`)).status);
    expect(statuses.filter((s) => s === 500).length).toBe(15);
    expect(bad.served()).toBe(15);
    expect(outLogs(gw)).toEqual([]);
    expect((await targetsOf(gw, 'svc')).map((t) => [t.healthy, t.health.ejections])).toEqual([
      [true, 0],
      [true, 0],
    ]);
  });

  it('an upstream whose only target is ejected answers 503 no_healthy_upstream with Retry-After, or the fallback; /ready names it', async () => {
    const clock = new FakeClock();
    const only = await named('only');
    only.failing = true;
    const gw = await gatewayFor(
      passiveYaml(
        [only.url],
        '{ passive: { failures: 2, ejectTime: 10s } }',
        `  - name: degraded
    match: { path: /degraded }
    upstream: svc
    fallback: { status: 203, body: '{"cached":true}' }
`,
      ),
      clock,
    );
    expect((await body(`${gw.url}/plain`)).status).toBe(500);
    expect((await body(`${gw.url}/degraded`)).status).toBe(500); // a 500 answer is not replaced
    expect(only.served()).toBe(2);

    const refused = await fetch(`${gw.url}/plain`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('no_healthy_upstream');
    const fallback = await body(`${gw.url}/degraded`);
    expect(fallback).toMatchObject({ status: 203, text: '{"cached":true}' });
    expect(fallback.headers.get('content-type')).toBe('application/json');
    expect(only.served()).toBe(2);

    const ready = await fetch(`${gw.adminUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons).toEqual(['upstream svc has no healthy target']);

    clock.advance(4_000);
    expect((await fetch(`${gw.url}/plain`)).headers.get('retry-after')).toBe('6');
    clock.advance(6_000);
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);
    only.failing = false;
    expect(await body(`${gw.url}/plain`)).toMatchObject({ status: 200, text: 'only' });
  });
});
