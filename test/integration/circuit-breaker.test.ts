/**
 * The circuit breaker end to end with a fake clock (the gateway's injected Clock): a real
 * upstream that fails on demand, the real gateway from YAML, and what a client, /metrics and
 * /admin/upstreams see through closed → open → half-open → closed, and half-open → open.
 * Fallback answers stand in for the 503 where a route has one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metricLines } from '../helpers/metrics.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

class FakeClock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

describe('circuit breaker (fake clock)', () => {
  let up: TestUpstream;
  let gw: TestGateway;
  const clock = new FakeClock();
  let failing = true;

  beforeAll(async () => {
    up = await startUpstream((req, res) => {
      res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(failing ? 'boom' : 'fine');
    });
    gw = await startGateway(
      `${LISTEN}
upstreams:
  svc:
    targets: [${up.url}]
    circuitBreaker: { failures: 3, window: 10s, cooldown: 30s, halfOpenRequests: 1 }
routes:
  - { name: plain, match: { path: /plain }, upstream: svc }
  - name: degraded
    match: { path: /degraded }
    upstream: svc
    fallback: { status: 200, headers: { X-Degraded: "1" }, body: '{"items":[]}' }
`,
      { clock },
    );
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
  });

  it('opens after `failures` 5xx within the window, answers 503 circuit_open with Retry-After, and the fallback route its canned answer', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.url}/plain`)).status).toBe(500);
    const before = up.requests.length;
    const refused = await fetch(`${gw.url}/plain`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect((await refused.json()).error.code).toBe('circuit_open');
    const fallback = await fetch(`${gw.url}/degraded`);
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get('x-degraded')).toBe('1');
    expect(fallback.headers.get('content-type')).toBe('application/json');
    expect(fallback.headers.get('x-request-id')).toBeTruthy();
    expect(await fallback.text()).toBe('{"items":[]}');
    expect(up.requests.length).toBe(before); // nothing reached the upstream while open
    expect(await metricLines(gw, 'portcullis_circuit_state{')).toEqual([`portcullis_circuit_state{upstream="svc",target="127.0.0.1:${up.port}"} 2`]);
    const view = await (await fetch(`${gw.adminUrl}/admin/upstreams`)).json();
    expect(view.upstreams[0].targets[0]).toMatchObject({ circuit: 'open', inRotation: false, healthy: true });
    const ready = await fetch(`${gw.adminUrl}/ready`);
    expect(ready.status).toBe(503);
  });

  it('Retry-After counts down with the cooldown', async () => {
    clock.advance(20_000);
    const refused = await fetch(`${gw.url}/plain`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
  });

  it('after the cooldown lets one trial through; a failed trial opens it again for a new cooldown', async () => {
    clock.advance(10_000);
    expect(await metricLines(gw, 'portcullis_circuit_state{')).toEqual([`portcullis_circuit_state{upstream="svc",target="127.0.0.1:${up.port}"} 1`]);
    const before = up.requests.length;
    expect((await fetch(`${gw.url}/plain`)).status).toBe(500); // the trial, still failing
    expect(up.requests.length).toBe(before + 1);
    const refused = await fetch(`${gw.url}/plain`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
  });

  it('a successful trial closes it', async () => {
    clock.advance(30_000);
    failing = false;
    expect((await fetch(`${gw.url}/plain`)).status).toBe(200);
    expect(await metricLines(gw, 'portcullis_circuit_state{')).toEqual([`portcullis_circuit_state{upstream="svc",target="127.0.0.1:${up.port}"} 0`]);
    for (let i = 0; i < 5; i++) expect((await fetch(`${gw.url}/degraded`)).headers.get('x-degraded')).toBeNull();
    expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);
  });

  it('failures spread wider than the window do not open it', async () => {
    failing = true;
    for (let i = 0; i < 6; i++) {
      expect((await fetch(`${gw.url}/plain`)).status).toBe(500);
      clock.advance(6_000); // 3 failures always span 12 s > 10 s
    }
    failing = false;
    expect((await fetch(`${gw.url}/plain`)).status).toBe(200);
  });
});

describe('health across reloads (fake clock)', () => {
  let up: TestUpstream;
  let other: TestUpstream;
  let gw: TestGateway;
  const clock = new FakeClock();
  const config = (cooldown: string, extraRoute = '') => `${LISTEN}
upstreams:
  svc:
    targets: [${up.url}, ${other.url}]
    healthCheck: { passive: { failures: 2, ejectTime: 60s } }
    circuitBreaker: { failures: 100, window: 10s, cooldown: ${cooldown} }
routes:
  - { name: plain, match: { path: /plain }, upstream: svc }${extraRoute}
`;
  const answers = async (n: number) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) seen.push(await (await fetch(`${gw.url}/plain`)).text());
    return seen;
  };

  beforeAll(async () => {
    up = await startUpstream((_req, res) => void res.writeHead(500).end('dead'));
    other = await startUpstream((_req, res) => void res.writeHead(200).end('alive'));
    gw = await startGateway(config('30s'), { clock });
  });
  afterAll(async () => {
    await gw?.stop();
    await up?.close();
    await other?.close();
  });

  it('a target that stays keeps its ejection through a reload with the same health settings', async () => {
    // Round-robin: 2 failures at `up` eject it.
    await answers(4);
    expect(await answers(6)).toEqual(Array(6).fill('alive'));
    const outcome = await gw.gateway.reload(config('30s', '\n  - { name: extra, match: { path: /extra }, upstream: svc }'));
    expect(outcome.ok).toBe(true);
    expect(await answers(6)).toEqual(Array(6).fill('alive'));
    const view = await (await fetch(`${gw.adminUrl}/admin/upstreams`)).json();
    expect(view.upstreams[0].targets.map((t: { healthy: boolean }) => t.healthy)).toEqual([false, true]);
    // The ejection ends on the original schedule, in the new state.
    clock.advance(60_000);
    expect((await answers(4)).sort()).toEqual(['alive', 'alive', 'dead', 'dead']);
  });

  it('changed health settings start afresh', async () => {
    await answers(4); // ejected again
    expect(await answers(4)).toEqual(Array(4).fill('alive'));
    expect((await gw.gateway.reload(config('20s'))).ok).toBe(true);
    expect((await answers(4)).sort()).toEqual(['alive', 'alive', 'dead', 'dead']);
  });
});
