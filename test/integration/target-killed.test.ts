/**
 * "A target killed under load loses no idempotent request": two upstream targets run as child
 * processes (so one can really die: SIGKILL, its sockets closed by the kernel mid-request),
 * continuous GET load runs through the real gateway, and one child is killed half-way. With
 * retries on connect errors and resets, and passive ejection, every GET must still get a 200,
 * and once the child is gone every answer comes from the survivor. Static targets only (no
 * discovery). POSTs are not retried without an opt-in and may fail here: not asserted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LISTEN, startGateway, waitForLog, type TestGateway } from '../helpers/gateway.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ChildTarget {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** A tiny HTTP server in its own node process; it answers its name and prints its port on start. */
async function spawnTarget(name: string): Promise<ChildTarget> {
  const script = `
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(${JSON.stringify(name)}); });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`target ${name} did not start`)), 10_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(Number(line.trim()));
    });
    child.once('exit', (code) => reject(new Error(`target ${name} exited (${code}) before listening`)));
  });
  return { name, url: `http://127.0.0.1:${port}`, child, exited };
}

let targets: ChildTarget[] = [];
let gw: TestGateway;
let client: Agent;

beforeAll(async () => {
  targets = await Promise.all([spawnTarget('alpha'), spawnTarget('beta')]);
  gw = await startGateway(`${LISTEN}
upstreams:
  svc:
    targets: [${targets.map((t) => t.url).join(', ')}]
    retries: { attempts: 2, on: [connect-error, reset, 502, 503] }
    healthCheck: { passive: { failures: 3 } }
routes:
  - { name: r, match: { path: / }, upstream: svc }
`);
  client = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
});

afterAll(async () => {
  await client?.close();
  await gw?.stop();
  for (const t of targets) if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
  await Promise.all(targets.map((t) => t.exited));
});

interface Outcome {
  status: number | null;
  body: string;
  error: string | null;
  /** Sent after the killed child had exited. */
  afterKill: boolean;
}

describe('a target killed under load (static targets)', () => {
  it('loses no GET: every one answers 200, and after the kill all come from the survivor', async () => {
    const outcomes: Outcome[] = [];
    let killedAt: number | null = null;
    let stopAt = Infinity;
    const LOOPS = 20;

    const loop = async (i: number) => {
      for (let n = 0; Date.now() < stopAt; n++) {
        const afterKill = killedAt !== null;
        try {
          const res = await request(`${gw.url}/item/${i}/${n}`, { dispatcher: client });
          outcomes.push({ status: res.statusCode, body: await res.body.text(), error: null, afterKill });
        } catch (err) {
          outcomes.push({ status: null, body: '', error: String((err as Error).message), afterKill });
        }
      }
    };
    const load = Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));

    // Run until both targets have served a fair share (and at least ~0.8 s), then kill one.
    const started = Date.now();
    for (;;) {
      const names = new Set(outcomes.map((o) => o.body));
      if (outcomes.length >= 300 && names.has('alpha') && names.has('beta') && Date.now() - started >= 800) break;
      if (Date.now() - started > 15_000) break; // let the assertions below say what is missing
      await sleep(20);
    }
    const victim = targets[0]!;
    const survivor = targets[1]!;
    const beforeKill = outcomes.length;
    victim.child.kill('SIGKILL');
    await victim.exited;
    killedAt = Date.now();
    stopAt = killedAt + 1200;
    await load;

    const failures = outcomes.filter((o) => o.status !== 200);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(failures.length).toBe(0);
    expect(beforeKill).toBeGreaterThanOrEqual(300);
    expect(outcomes.length).toBeGreaterThan(beforeKill + 200);
    expect(new Set(outcomes.slice(0, beforeKill).map((o) => o.body))).toEqual(new Set(['alpha', 'beta']));
    const late = outcomes.filter((o) => o.afterKill);
    expect(late.length).toBeGreaterThan(100);
    expect(late.filter((o) => o.body !== survivor.name)).toEqual([]);

    // The dead target was ejected by the passive checks, and retries carried the requests.
    const out = await waitForLog(gw, (l) => l['msg'] === 'upstream target out of rotation');
    expect(out).toMatchObject({ upstream: 'svc', target: victim.url.slice('http://'.length), reason: 'ejected after consecutive failures' });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    const retries = Number(metrics.split('\n').find((l) => l.startsWith('portcullis_upstream_retries_total{upstream="svc"}'))?.split(' ').at(-1));
    expect(retries).toBeGreaterThanOrEqual(1);
  });
});
