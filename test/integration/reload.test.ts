/**
 * Reload: atomic swap, invalid configs keep the old one serving, in-flight requests finish on
 * the config they started with, pools are reused or closed, no leak over many reloads, file
 * watch, POST /admin/reload, and the reload counter.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway.js';
import { captureLogger, LISTEN, startGateway, type TestGateway } from '../helpers/gateway.js';
import { eventually as poll, sleep } from '../helpers/eventually.js';
import { echoHandler, startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** A real forced GC: `--expose-gc` cannot be passed per file, so the flag is set at run time. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** This file's polls: 2 s default deadline, 20 ms steps. */
const eventually = (check: () => unknown, timeoutMs = 2000, stepMs = 20) => poll(check, timeoutMs, stepMs);

/** Prometheus text → value of the sample `name{labels}` (labels compared as a set), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[k!] = v!;
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

function countByType(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1;
  return out;
}

const route = (name: string, path: string, upstream: string) => `  - { name: ${name}, match: { path: ${path} }, upstream: ${upstream} }\n`;

function config(upstreams: Record<string, string>, routes: string[], extra = ''): string {
  return (
    `${LISTEN}${extra}upstreams:\n` +
    Object.entries(upstreams)
      .map(([name, url]) => `  ${name}: { targets: ["${url}"] }\n`)
      .join('') +
    `routes:\n${routes.join('')}`
  );
}

interface ErrorBody {
  error: { code: string };
}

describe('reload', () => {
  let u1: TestUpstream;
  let u2: TestUpstream;
  let u3: TestUpstream;
  let slow: TestUpstream;
  beforeAll(async () => {
    [u1, u2, u3] = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
    slow = await startUpstream(async (req, res, body) => {
      await sleep(300);
      echoHandler(req, res, body);
    });
  });
  afterAll(async () => {
    await Promise.all([u1, u2, u3, slow].map((u) => u?.close()));
  });

  describe('gateway.reload(text)', () => {
    let gw: TestGateway;
    const A = () => config({ one: u1.url }, [route('a', '/a', 'one')]);
    const B = () => config({ two: u2.url }, [route('b', '/b', 'two')]);
    beforeAll(async () => {
      gw = await startGateway(A());
    });
    afterAll(async () => {
      await gw?.stop();
    });

    it('swaps atomically: the new route answers right after, a removed one is 404', async () => {
      await gw.gateway.reload(A());
      expect((await fetch(`${gw.url}/a`)).status).toBe(200);
      const before = gw.gateway.current().generation;
      const outcome = await gw.gateway.reload(B());
      expect(outcome).toMatchObject({ ok: true, errors: [] });
      expect(outcome.generation).toBe(before + 1);
      const added = await fetch(`${gw.url}/b/x`);
      expect(added.status).toBe(200);
      expect(u2.requests.at(-1)?.url).toBe('/b/x');
      const removed = await fetch(`${gw.url}/a`);
      expect(removed.status).toBe(404);
      expect(((await removed.json()) as ErrorBody).error.code).toBe('not_found');
      await gw.gateway.reload(A());
    });

    it('keeps the old config serving when the new one is invalid, and lists `path: message` errors', async () => {
      const generation = gw.gateway.current().generation;
      const bad = config({ one: u1.url }, [route('a', '/a', 'one'), route('b', '/b', 'nope'), route('a', '/c', 'one')]);
      const outcome = await gw.gateway.reload(bad);
      expect(outcome.ok).toBe(false);
      expect(outcome.generation).toBe(generation);
      expect(outcome.errors).toEqual(
        expect.arrayContaining([expect.stringMatching(/^routes\[1\]\.upstream: .*"nope"/), expect.stringMatching(/^routes\[2\]\.name: /)]),
      );
      expect(gw.gateway.current().generation).toBe(generation);
      expect((await fetch(`${gw.url}/a`)).status).toBe(200);
      expect((await fetch(`${gw.url}/b`)).status).toBe(404);
      expect(gw.logs.some((l) => l['level'] === 'error' && Array.isArray(l['errors']))).toBe(true);
    });

    it.each([
      ['YAML syntax', () => 'routes: [\n  - {'],
      ['unknown top-level key', () => `${A()}listn: 1\n`],
    ])('rejects %s and keeps serving', async (_what, text) => {
      const outcome = await gw.gateway.reload(text());
      expect(outcome.ok).toBe(false);
      expect(outcome.errors.length).toBeGreaterThan(0);
      expect((await fetch(`${gw.url}/a`)).status).toBe(200);
    });
  });

  describe('in-flight requests and pools', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway(config({ slow: slow.url, one: u1.url }, [route('slow', '/slow', 'slow'), route('a', '/a', 'one')]));
    });
    afterAll(async () => {
      await gw?.stop();
    });

    it('finishes a request on the config it started with, even when the reload removes its route', async () => {
      const seen = slow.requests.length;
      const inflight = fetch(`${gw.url}/slow/1`);
      await eventually(() => expect(slow.requests.length).toBe(seen + 1));
      // The slow upstream is dropped: its pool must stay alive for the request in flight.
      const outcome = await gw.gateway.reload(config({ one: u1.url }, [route('a', '/a', 'one')]));
      expect(outcome.ok).toBe(true);
      expect((await fetch(`${gw.url}/slow/2`)).status).toBe(404);
      expect(gw.gateway.poolCount).toBe(2);
      const res = await inflight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { url: string }).url).toBe('/slow/1');
      // Once the old state is idle, the dropped upstream's pool is closed.
      await eventually(() => expect(gw.gateway.poolCount).toBe(1));
    });

    it('reuses an unchanged upstream pool and closes a dropped one', async () => {
      const both = config({ one: u1.url, two: u2.url }, [route('a', '/a', 'one'), route('b', '/b', 'two')]);
      expect((await gw.gateway.reload(both)).ok).toBe(true);
      expect(gw.gateway.poolCount).toBe(2);
      expect((await fetch(`${gw.url}/a`)).status).toBe(200);
      let connections = 0;
      const onConnection = () => connections++;
      u1.server.on('connection', onConnection);
      // Same upstreams, different routes: no new pool.
      for (let i = 0; i < 3; i++) {
        const renamed = config({ one: u1.url, two: u2.url }, [route(`a${i}`, '/a', 'one'), route('b', '/b', 'two')]);
        expect((await gw.gateway.reload(renamed)).ok).toBe(true);
        expect(gw.gateway.poolCount).toBe(2);
      }
      // The reused pool kept its keep-alive connection: no new connection reaches the upstream.
      expect((await fetch(`${gw.url}/a`)).status).toBe(200);
      u1.server.off('connection', onConnection);
      expect(connections).toBe(0);
      // Dropping `two` closes its pool (nothing in flight).
      expect((await gw.gateway.reload(config({ one: u1.url }, [route('a', '/a', 'one')]))).ok).toBe(true);
      expect(gw.gateway.poolCount).toBe(1);
    });
  });

  describe('100 reloads under traffic', () => {
    let gw: TestGateway;
    // The route `main` moves between two upstreams; `shared` stays on one.
    const A = () => config({ left: u1.url, shared: u3.url }, [route('main', '/main', 'left'), route('shared', '/shared', 'shared')], 'log: { access: false }\n');
    const B = () =>
      config({ right: u2.url, shared: u3.url }, [route('main', '/main', 'right'), route('shared', '/shared', 'shared'), route('extra', '/extra', 'right')], 'log: { access: false }\n');
    beforeAll(async () => {
      gw = await startGateway(A());
    });
    afterAll(async () => {
      await gw?.stop();
    });

    it('ends with the pools the last config needs, and no leaked handles or heap', async () => {
      const statuses = new Map<number, number>();
      let stop = false;
      const traffic = async () => {
        while (!stop) {
          for (const path of ['/main', '/shared']) {
            const res = await fetch(`${gw.url}${path}`);
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          }
        }
      };
      const cycle = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const outcome = await gw.gateway.reload(i % 2 === 0 ? B() : A());
          expect(outcome.ok).toBe(true);
          // Three origins in all: one pool each, however many states are still draining.
          expect(gw.gateway.poolCount).toBeLessThanOrEqual(3);
          await sleep(2);
        }
      };
      const settle = async () => {
        await eventually(() => expect(gw.gateway.current().inflight).toBe(0));
        await sleep(100);
        gc();
        gc();
      };

      // Warm-up: the same traffic shape and a few reloads, so lazily created things exist.
      let flows = [traffic(), traffic(), traffic()];
      await cycle(10);
      stop = true;
      await Promise.all(flows);
      await settle();
      const handlesBefore = countByType();
      const heapBefore = process.memoryUsage().heapUsed;

      stop = false;
      flows = [traffic(), traffic(), traffic()];
      await cycle(100);
      stop = true;
      await Promise.all(flows);
      await settle();

      // Every request was served (by one config or the other): no 404, 502 or 500.
      expect([...statuses.keys()]).toEqual([200]);
      expect(statuses.get(200)).toBeGreaterThan(100);
      // The last reload (i = 99) installed A: two upstreams.
      expect(gw.gateway.current().routes.map((r) => r.name).sort()).toEqual(['main', 'shared']);
      expect(gw.gateway.poolCount).toBe(2);

      const handlesAfter = countByType();
      for (const type of new Set([...Object.keys(handlesBefore), ...Object.keys(handlesAfter)])) {
        // Sockets in the client and upstream keep-alive pools may differ by a few.
        expect.soft(handlesAfter[type] ?? 0, `active ${type}`).toBeLessThanOrEqual((handlesBefore[type] ?? 0) + 6);
      }
      const growth = process.memoryUsage().heapUsed - heapBefore;
      // 100 leaked runtime states, pools and route tables would be many MB; allow noise.
      expect(growth, `heap grew by ${(growth / 1e6).toFixed(1)} MB`).toBeLessThan(8e6);
    });
  });

  describe('config file: watch and POST /admin/reload', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'portcullis-reload-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function gatewayOnFile(file: string, watch: boolean) {
      const logs: Record<string, unknown>[] = [];
      const gateway = await Gateway.create({ configFile: file, watch, logger: captureLogger(logs) });
      await gateway.start();
      return { gateway, logs, url: gateway.url('proxy'), adminUrl: gateway.url('admin') };
    }

    it('picks up a rewritten file within a second, and ignores a write that makes it invalid', async () => {
      const file = join(dir, 'watched.yaml');
      await writeFile(file, config({ one: u1.url }, [route('a', '/a', 'one')]));
      const gw = await gatewayOnFile(file, true);
      try {
        expect((await fetch(`${gw.url}/b`)).status).toBe(404);
        await writeFile(file, config({ one: u1.url, two: u2.url }, [route('a', '/a', 'one'), route('b', '/b', 'two')]));
        const t0 = Date.now();
        await eventually(async () => expect((await fetch(`${gw.url}/b`)).status).toBe(200), 2000);
        // Debounce is 200 ms; "about a second" leaves room for a busy machine.
        expect(Date.now() - t0).toBeLessThan(1500);

        const errorsBefore = gw.logs.filter((l) => l['level'] === 'error').length;
        await writeFile(file, config({ one: u1.url }, [route('a', '/a', 'missing')]));
        await eventually(() => expect(gw.logs.filter((l) => l['level'] === 'error').length).toBe(errorsBefore + 1), 1500);
        const logged = gw.logs.filter((l) => l['level'] === 'error').at(-1)!;
        expect(logged['errors']).toEqual([expect.stringMatching(/^routes\[0\]\.upstream: .*\(watched\.yaml:\d+\)$/)]);
        expect((await fetch(`${gw.url}/a`)).status).toBe(200);
        expect((await fetch(`${gw.url}/b`)).status).toBe(200);
      } finally {
        await gw.gateway.stop();
      }
    });

    it('POST /admin/reload answers 200 {ok:true} or 400 with errors, and the reload counter counts both', async () => {
      const file = join(dir, 'admin.yaml');
      await writeFile(file, config({ one: u1.url }, [route('a', '/a', 'one')]));
      const gw = await gatewayOnFile(file, false);
      try {
        const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();
        expect(sample(await metrics(), 'portcullis_config_reloads_total', { result: 'ok' }) ?? 0).toBe(0);

        await writeFile(file, config({ one: u1.url }, [route('a', '/a', 'one'), route('c', '/c', 'one')]));
        const ok = await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST' });
        expect(ok.status).toBe(200);
        expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await ok.json()).toMatchObject({ ok: true, errors: [] });
        expect((await fetch(`${gw.url}/c`)).status).toBe(200);

        await writeFile(file, config({ one: u1.url }, [route('a', '/a', 'one'), route('c', '/c', 'gone')]));
        const bad = await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST' });
        expect(bad.status).toBe(400);
        const body = (await bad.json()) as { ok: boolean; errors: string[] };
        expect(body.ok).toBe(false);
        expect(body.errors).toEqual([expect.stringMatching(/^routes\[1\]\.upstream: .*\(admin\.yaml:\d+\)$/)]);
        expect((await fetch(`${gw.url}/c`)).status).toBe(200);

        expect((await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST' })).status).toBe(400);
        let text = await metrics();
        expect(sample(text, 'portcullis_config_reloads_total', { result: 'ok' })).toBe(1);
        expect(sample(text, 'portcullis_config_reloads_total', { result: 'error' })).toBe(2);
        expect(sample(text, 'portcullis_requests_total', { route: 'c', method: 'GET', status: '200' })).toBe(2);

        // A reload that removes route c drops its series, so label sets do not pile up.
        await writeFile(file, config({ one: u1.url }, [route('a', '/a', 'one')]));
        expect((await fetch(`${gw.adminUrl}/admin/reload`, { method: 'POST' })).status).toBe(200);
        text = await metrics();
        expect(sample(text, 'portcullis_config_reloads_total', { result: 'ok' })).toBe(2);
        expect(text).not.toMatch(/route="c"/);
      } finally {
        await gw.gateway.stop();
      }
    });
  });
});
