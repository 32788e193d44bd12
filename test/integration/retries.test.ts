/**
 * Retries end to end: real upstreams, the real gateway from YAML (with a fake clock for the
 * retry budget), and what the client and each upstream see. Most cases use a pair of targets
 * that fail a request's FIRST try in a chosen way (by the X-First header) and answer the
 * second, wherever each try lands, so the outcome does not depend on the balancer's order:
 * a retried request arrives twice (at both targets), an unretried one once.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway.js';
import { captureLogger, configProblems, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { metricLines } from '../helpers/metrics.js';
import { deadPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';

class FakeClock {
  t = 1_000_000;
  now = () => this.t;
}

/** Every arrival of a request (by X-Test-Id) at either target of the pair. */
const arrivals = new Map<string, { target: string; method: string; body: string }[]>();

/**
 * A pair target. X-First says how the first try of a request fails: a status (answered with
 * body FIRST-TRY-<status>), `reset` (connection closed before any response), `hang` (no answer),
 * or `head-reset` (head and part of the body, then the connection closed). Later tries answer 200 with
 * `<target>:<body>`.
 */
async function pairTarget(name: string): Promise<TestUpstream> {
  return startUpstream((req, res, body) => {
    const id = String(req.headers['x-test-id'] ?? '');
    const list = arrivals.get(id) ?? [];
    arrivals.set(id, list);
    list.push({ target: name, method: req.method!, body: body.toString('latin1') });
    const first = req.headers['x-first'];
    if (list.length === 1 && typeof first === 'string') {
      if (first === 'reset') return void req.socket.destroy();
      if (first === 'hang') return; // no answer: the gateway's response timeout fires
      if (first === 'head-reset') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.destroy(), 30);
        return;
      }
      res.writeHead(Number(first), { 'content-type': 'text/plain' });
      return void res.end(`FIRST-TRY-${first}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(Buffer.concat([Buffer.from(`${name}:`), body]));
  });
}

let a: TestUpstream;
let b: TestUpstream;
/** Always answer 503 (for the attempts cap and the budget); requests counted by path. */
let failing: TestUpstream[] = [];
/** Answer 503 'down'; the first try of a request with X-Hold waits for releaseHeld(). */
let holding: TestUpstream[] = [];
let held: (() => void)[] = [];
let gw: TestGateway;
const clock = new FakeClock();
let seq = 0;

async function send(
  path: string,
  init: { method?: string; first?: string; body?: string | Buffer; chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; id: string; tries: { target: string; method: string; body: string }[]; aborted: boolean }> {
  const id = `t${++seq}`;
  const headers: Record<string, string> = { 'x-test-id': id, ...init.headers };
  if (init.first !== undefined) headers['x-first'] = init.first;
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  if (body && !init.chunked) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw.url}${path}`, { method: init.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let aborted = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('latin1'), id, tries: arrivals.get(id) ?? [], aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
    if (body && init.chunked) {
      // Two writes before end: Node frames it chunked (no Content-Length).
      req.write(body.subarray(0, 10));
      req.write(body.subarray(10));
    } else if (body) req.write(body);
    req.end();
  });
}

async function retriesMetric(upstream: string): Promise<number> {
  const [line] = await metricLines(gw, `portcullis_upstream_retries_total{upstream="${upstream}"}`);
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

const servedAt = (path: string) => failing.reduce((n, u) => n + u.requests.filter((r) => r.url.startsWith(path)).length, 0);

beforeAll(async () => {
  a = await pairTarget('a');
  b = await pairTarget('b');
  failing = await Promise.all(
    [1, 2, 3].map(() =>
      startUpstream((_req, res) => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down');
      }),
    ),
  );
  holding = await Promise.all(
    [1, 2].map(() =>
      startUpstream(async (req, res) => {
        const id = String(req.headers['x-test-id'] ?? '');
        const list = arrivals.get(id) ?? [];
        arrivals.set(id, list);
        list.push({ target: 'holding', method: req.method!, body: '' });
        if (list.length === 1 && req.headers['x-hold'] !== undefined) await new Promise<void>((resolve) => held.push(resolve));
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down');
      }),
    ),
  );
  const [d1, d2, d3, d4] = await Promise.all([deadPort(), deadPort(), deadPort(), deadPort()]);
  const dead = (p: number) => `http://127.0.0.1:${p}`;
  const [f1, f2, f3] = failing.map((u) => u.url);
  gw = await startGateway(
    `${LISTEN}
upstreams:
  pair:
    targets: [${a.url}, ${b.url}]
    retries: { backoff: 1ms, maxBackoff: 5ms, bufferBody: 1kb }
  slowpair:
    targets: [${a.url}, ${b.url}]
    timeouts: { response: 300ms }
    retries: { on: [timeout], backoff: 1ms }
  halfdead:
    targets: [${dead(d1!)}, ${b.url}]
    retries: { backoff: 1ms }
  dead3:
    targets: [${dead(d2!)}, ${dead(d3!)}, ${dead(d4!)}]
    retries: { attempts: 1, backoff: 1ms }
  fail3:
    targets: [${f1}, ${f2}, ${f3}]
    retries: { attempts: 1, backoff: 1ms }
  budgeted:
    targets: [${f1}, ${f2}]
    retries: { attempts: 1, backoff: 1ms, budget: 0.1, minRetriesPerSecond: 0 }
  unbudgeted:
    targets: [${f1}, ${f2}]
    retries: { attempts: 1, backoff: 1ms, budget: 1, minRetriesPerSecond: 0 }
  tight:
    targets: [${holding.map((u) => u.url).join(', ')}]
    retries: { attempts: 1, backoff: 1ms, budget: 0.5, minRetriesPerSecond: 0 }
routes:
  - { name: tight, match: { path: /tight }, upstream: tight }
  - { name: pair, match: { path: /pair }, upstream: pair }
  - { name: opt-in, match: { path: /opt-in }, upstream: pair, retries: { methods: [POST] } }
  - { name: zero, match: { path: /zero }, upstream: pair, retries: { attempts: 0 } }
  - { name: off, match: { path: /off }, upstream: pair, retries: false }
  - { name: only502, match: { path: /only502 }, upstream: pair, retries: { on: [502] } }
  - { name: slowpair, match: { path: /slowpair }, upstream: slowpair }
  - { name: slow-no-timeout, match: { path: /slow-no-timeout }, upstream: slowpair, retries: { on: [502] } }
  - { name: halfdead, match: { path: /halfdead }, upstream: halfdead }
  - { name: dead3, match: { path: /dead3 }, upstream: dead3 }
  - { name: fail3, match: { path: /fail3 }, upstream: fail3 }
  - { name: budgeted, match: { path: /budgeted }, upstream: budgeted }
  - { name: unbudgeted, match: { path: /unbudgeted }, upstream: unbudgeted }
`,
    { clock },
  );
});

afterAll(async () => {
  await gw?.stop();
  for (const release of held.splice(0)) release();
  await Promise.all([a, b, ...failing, ...holding].filter(Boolean).map((u) => u.close()));
});

const targetsOf = (tries: { target: string }[]) => tries.map((t) => t.target).sort();

describe('what is retried', () => {
  it('a GET after a connect error goes to the other target: the client sees 200, the live target one try per request', async () => {
    const before = b.requests.filter((r) => r.url === '/halfdead').length;
    const retriesBefore = await retriesMetric('halfdead');
    for (let i = 0; i < 10; i++) {
      const r = await send('/halfdead');
      expect(r.status).toBe(200);
      expect(r.tries).toEqual([{ target: 'b', method: 'GET', body: '' }]);
    }
    expect(b.requests.filter((r) => r.url === '/halfdead').length - before).toBe(10);
    // Every retry is counted; the dead target was picked first at least once in 10.
    const retries = (await retriesMetric('halfdead')) - retriesBefore;
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(10);
  });

  it('a GET answered with a status in `on` (503) is answered by the other target; the 503 never reaches the client', async () => {
    const retriesBefore = await retriesMetric('pair');
    for (let i = 0; i < 4; i++) {
      const r = await send('/pair', { first: '503' });
      expect(r.status).toBe(200);
      expect(r.text).not.toContain('FIRST-TRY');
      expect(targetsOf(r.tries)).toEqual(['a', 'b']); // one try at each
      expect(r.text).toBe(`${r.tries[1]!.target}:`);
    }
    expect((await retriesMetric('pair')) - retriesBefore).toBe(4);
  });

  it('a GET reset before the response head is retried; 502 is in the default `on`', async () => {
    const reset = await send('/pair', { first: 'reset' });
    expect(reset.status).toBe(200);
    expect(targetsOf(reset.tries)).toEqual(['a', 'b']);
    const bad = await send('/pair', { first: '502' });
    expect(bad.status).toBe(200);
    expect(targetsOf(bad.tries)).toEqual(['a', 'b']);
  });

  it('a response timeout is retried only when `on` lists timeout', async () => {
    const retried = await send('/slowpair', { first: 'hang' });
    expect(retried.status).toBe(200);
    expect(targetsOf(retried.tries)).toEqual(['a', 'b']);
    const timedOut = await send('/slow-no-timeout', { first: 'hang' });
    expect(timedOut.status).toBe(504);
    expect(JSON.parse(timedOut.text).error.code).toBe('gateway_timeout');
    expect(timedOut.tries).toHaveLength(1);
  });

  it('a status not in `on` is returned as is, without a retry', async () => {
    const r500 = await send('/pair', { first: '500' });
    expect(r500).toMatchObject({ status: 500, text: 'FIRST-TRY-500' });
    expect(r500.tries).toHaveLength(1);
    const r503 = await send('/only502', { first: '503' });
    expect(r503).toMatchObject({ status: 503, text: 'FIRST-TRY-503' });
    expect(r503.tries).toHaveLength(1);
    const r502 = await send('/only502', { first: '502' });
    expect(r502.status).toBe(200);
    expect(r502.tries).toHaveLength(2);
  });

  it('a POST is not retried by default: the client gets the 503, or the 502 of a refused connection', async () => {
    const r = await send('/pair', { method: 'POST', first: '503', body: 'order=1' });
    expect(r).toMatchObject({ status: 503, text: 'FIRST-TRY-503' });
    expect(r.tries).toHaveLength(1);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send('/halfdead', { method: 'POST', body: 'x' })).status);
    // Round robin alternates between the dead target and b: two of four are refused.
    expect(statuses.sort()).toEqual([200, 200, 502, 502]);
  });

  it('a POST is retried on a route that opts in, with the same body bytes at both targets', async () => {
    for (let i = 0; i < 3; i++) {
      const payload = `{"order":${i},"note":"caf\u00e9 \u00fc"}`;
      const r = await send('/opt-in', { method: 'POST', first: '503', body: payload });
      expect(r.status).toBe(200);
      expect(targetsOf(r.tries)).toEqual(['a', 'b']);
      const bytes = Buffer.from(payload).toString('latin1');
      expect(r.tries.map((t) => t.body)).toEqual([bytes, bytes]);
      expect(r.tries.map((t) => t.method)).toEqual(['POST', 'POST']);
      expect(r.text).toBe(`${r.tries[1]!.target}:${bytes}`);
    }
  });

  it('a PUT body over `bufferBody` (1kb) is streamed and not retried; under it, retried with the identical body', async () => {
    const big = 'x'.repeat(2000);
    const over = await send('/pair', { method: 'PUT', first: '503', body: big });
    expect(over).toMatchObject({ status: 503, text: 'FIRST-TRY-503' });
    expect(over.tries).toEqual([{ target: expect.any(String), method: 'PUT', body: big }]);

    const small = Buffer.from(Array.from({ length: 900 }, (_, i) => i % 256)); // binary, all byte values
    const under = await send('/pair', { method: 'PUT', first: '503', body: small });
    expect(under.status).toBe(200);
    expect(under.tries.map((t) => Buffer.from(t.body, 'latin1').equals(small))).toEqual([true, true]);
    expect(targetsOf(under.tries)).toEqual(['a', 'b']);
  });

  // A chunked body's length is unknown: it is streamed (under maxBodySize) and never retried.
  it('a chunked body is streamed and not retried', async () => {
    const r = await send('/pair', { method: 'PUT', first: '503', body: 'chunked-body-of-some-bytes', chunked: true });
    expect(r).toMatchObject({ status: 503, text: 'FIRST-TRY-503' });
    expect(r.tries).toEqual([{ target: expect.any(String), method: 'PUT', body: 'chunked-body-of-some-bytes' }]);
  });

  it('a chunked body on a route that does not retry is streamed as is', async () => {
    const r = await send('/off', { method: 'PUT', body: 'chunked-body-of-some-bytes', chunked: true });
    expect(r.status).toBe(200);
    expect(r.tries).toEqual([{ target: expect.any(String), method: 'PUT', body: 'chunked-body-of-some-bytes' }]);
  });

  it('`attempts: 0` and `retries: false` on a route turn retries off', async () => {
    for (const path of ['/zero', '/off']) {
      const r = await send(path, { first: '503' });
      expect(r).toMatchObject({ status: 503, text: 'FIRST-TRY-503' });
      expect(r.tries).toHaveLength(1);
    }
  });

  it('no retry once the response head reached the client', async () => {
    const r = await send('/pair', { first: 'head-reset' });
    expect(r.status).toBe(200);
    expect(r.aborted).toBe(true);
    expect(r.text).toBe('partial');
    expect(r.tries).toHaveLength(1);
  });
});

describe('how much is retried', () => {
  it('`attempts` caps the tries: 3 refusing targets and attempts 1 give 2 tries, then 502', async () => {
    const retriesBefore = await retriesMetric('dead3');
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/dead3`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('bad_gateway');
    }
    expect((await retriesMetric('dead3')) - retriesBefore).toBe(3);
    // The same with targets that answer 503: exactly 2 requests per client request, the last answer returned.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/fail3/${i}`);
      expect(res.status).toBe(503);
      expect(await res.text()).toBe('down');
      expect(servedAt(`/fail3/${i}`)).toBe(2);
    }
  });

  it('the retry budget caps the extra load: ≈ N + 0.1·N upstream requests for N failing requests, against 2·N without it', async () => {
    const N = 100;
    const run = async (path: string) => {
      const before = servedAt(path);
      // Batches of 10 at once (all inside one budget window: the clock is fake).
      for (let i = 0; i < N; i += 10) {
        const batch = await Promise.all(Array.from({ length: 10 }, () => fetch(`${gw.url}${path}`).then(async (r) => [r.status, await r.text()])));
        for (const answer of batch) expect(answer).toEqual([503, 'down']);
      }
      return servedAt(path) - before;
    };
    const budgetedBefore = await retriesMetric('budgeted');
    const budgeted = await run('/budgeted');
    expect(budgeted).toBeGreaterThanOrEqual(N + 5);
    expect(budgeted).toBeLessThanOrEqual(N + 0.1 * N + 2);
    expect((await retriesMetric('budgeted')) - budgetedBefore).toBe(budgeted - N);
    expect(await run('/unbudgeted')).toBe(2 * N);
  });

  // Whether a 5xx answer is held for a retry is decided when it arrives, by taking the retry
  // from the budget then (UpstreamExchange.onResponseStart): two requests in flight with room
  // for one retry cannot both drop their answer and leave one to be replaced by a 502.
  it('when the budget is spent, a held 503 is answered as it is (not 502)', async () => {
    // budget 0.5, no reserve: the 1st request may not retry (1 ≤ 0.5 fails) and is answered as is.
    expect(await send('/tight')).toMatchObject({ status: 503, text: 'down' });
    // The 2nd and 3rd, in flight together, both see room for one retry (1 ≤ 1, 1 ≤ 1.5).
    const both = Promise.all([send('/tight', { headers: { 'x-hold': '1' } }), send('/tight', { headers: { 'x-hold': '1' } })]);
    const deadline = Date.now() + 5000;
    while (held.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(held.length).toBe(2);
    for (const release of held.splice(0)) release();
    const answers = await both;
    // One was retried (its retry's 503 returned as is); the other found the budget spent.
    expect(answers.map((r) => r.tries.length).sort()).toEqual([1, 2]);
    expect(answers.map((r) => [r.status, r.text])).toEqual([
      [503, 'down'],
      [503, 'down'],
    ]);
  });
});

describe('retries config validation', () => {
  it('refuses a non-idempotent method in an upstream’s retries.methods', async () => {
    const problems = await configProblems(`${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"], retries: { methods: [GET, POST] } } }\nroutes: [{ name: r, match: { path: /r }, upstream: u }]\n`);
    expect(problems).toEqual([expect.stringMatching(/^upstreams\.u\.retries\.methods\[1\]: POST is not idempotent/)]);
  });

  it('refuses budget and minRetriesPerSecond on a route', async () => {
    const problems = await configProblems(
      `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes: [{ name: r, match: { path: /r }, upstream: u, retries: { budget: 0.5, minRetriesPerSecond: 1 } }]\n`,
    );
    expect(problems.sort()).toEqual([expect.stringMatching(/^routes\[0\]\.retries\.budget: /), expect.stringMatching(/^routes\[0\]\.retries\.minRetriesPerSecond: /)]);
  });

  it('refuses retrying on a status that is not 5xx, and accepts POST opted in on a route', async () => {
    const problems = await configProblems(`${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"], retries: { on: [404] } } }\nroutes: [{ name: r, match: { path: /r }, upstream: u }]\n`);
    expect(problems).toEqual([expect.stringMatching(/^upstreams\.u\.retries\.on\[0\]: /)]);
    const ok = await Gateway.create({
      configText: `${LISTEN}upstreams: { u: { targets: ["http://127.0.0.1:1"] } }\nroutes: [{ name: r, match: { path: /r }, upstream: u, retries: { methods: [POST] } }]\n`,
      logger: captureLogger([]),
    });
    expect(ok).toBeInstanceOf(Gateway);
    await ok.stop();
  });
});

describe('a retried answer keeps its connection', () => {
  let sick: TestUpstream;
  let well: TestUpstream;
  let gw2: TestGateway;
  const connections = { sick: 0, well: 0 };
  const big = 'x'.repeat(200 * 1024);

  beforeAll(async () => {
    sick = await startUpstream((req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(req.url === '/big' ? big : 'busy');
    });
    well = await startUpstream((_req, res) => void res.writeHead(200).end('ok'));
    sick.server.on('connection', () => connections.sick++);
    well.server.on('connection', () => connections.well++);
    gw2 = await startGateway(`${LISTEN}
upstreams:
  u: { targets: ["${sick.url}", "${well.url}"], retries: { attempts: 1, on: [503], minRetriesPerSecond: 1000 } }
routes: [{ name: r, match: { path: / }, upstream: u }]
`);
  });
  afterAll(async () => {
    await gw2?.stop();
    await sick?.close();
    await well?.close();
  });

  it('a held 503 is read to its end, so sequential retries reuse one connection to the failing target', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${gw2.url}/small`);
      expect([res.status, await res.text()]).toEqual([200, 'ok']);
    }
    // Round-robin advances on the first try and on the retry, so every first try lands on `sick`.
    expect(sick.requests.filter((r) => r.url === '/small').length).toBe(10);
    expect(connections.sick).toBe(1);
  });

  it('a held answer with a body past 64 KiB is dropped by closing its connection, and still retried', async () => {
    const before = connections.sick;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw2.url}/big`);
      expect([res.status, await res.text()]).toEqual([200, 'ok']);
    }
    // Each closes the connection it used, so (nearly) every one needs a new one.
    expect(sick.requests.filter((r) => r.url === '/big').length).toBe(4);
    expect(connections.sick - before).toBeGreaterThanOrEqual(3);
  });
});
