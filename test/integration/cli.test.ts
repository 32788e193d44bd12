/**
 * The CLI as a user runs it: `node dist/src/cli.js …` in a child process, driven with files,
 * HTTP and signals. Needs the build (`npm test` runs tsc first).
 */
import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busyPorts,
  eventually,
  freePorts,
  httpRequest,
  isAlive,
  logLines,
  requireBuiltCli,
  runCli,
  startCli,
  waitHealthy,
  type CliProcess,
} from '../helpers/cli.js';
import { echoHandler, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let upstream: TestUpstream;
let slow: TestUpstream;

beforeAll(async () => {
  requireBuiltCli();
  dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
  upstream = await startUpstream();
  slow = await startUpstream(async (req, res, body) => {
    await sleep(500);
    echoHandler(req, res, body);
  });
});
afterAll(async () => {
  await upstream?.close();
  await slow?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function gatewayYaml(port: number, adminPort: number, routes: Record<string, string>, extra = ''): string {
  return (
    `listen: 127.0.0.1:${port}\nadmin: { listen: 127.0.0.1:${adminPort} }\n${extra}` +
    `upstreams:\n  echo: { targets: ["${upstream.url}"] }\n  slow: { targets: ["${slow.url}"] }\n` +
    `routes:\n${Object.entries(routes)
      .map(([path, up]) => `  - { name: r${path.replace(/\W/g, '_')}, match: { path: ${path} }, upstream: ${up} }\n`)
      .join('')}`
  );
}

/** Problem lines a command printed (stdout and stderr), warnings left out. */
const problemLines = (r: { stdout: string; stderr: string }) =>
  `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('warning:'));

describe.concurrent('portcullis validate', () => {
  it('prints ok and exits 0 for a good config', async () => {
    const file = join(dir, 'good.yaml');
    await writeFile(file, gatewayYaml(8080, 9901, { '/api/orders': 'echo', '/slow': 'slow' }));
    const r = await runCli(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('ok\n');
  });

  it('exits 1 with one `<path>: <message> (file:line)` line per problem', async () => {
    const text = [
      'listen: 127.0.0.1:8080',
      'upstreams:',
      '  orders:',
      '    targets: ["http://127.0.0.1:8002"]',
      '  users:',
      '    targets: ["ftp://127.0.0.1:21"]',
      'routes:',
      '  - name: orders',
      '    match: { path: /api/orders }',
      '    upstream: orders',
      '  - name: orders',
      '    match: { path: /api//users }',
      '    upstream: users',
      '  - name: typo',
      '    match: { path: /api/typo }',
      '    upstream: ordrs',
      '',
    ].join('\n');
    const lines = text.split('\n');
    const lineOf = (fragment: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(fragment)) + 1;
    const file = join(dir, 'bad.yaml');
    await writeFile(file, text);
    const r = await runCli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/^ok$/m);
    const got = problemLines(r).sort();
    expect(got).toHaveLength(4);
    // The CONTRACT's own example, verbatim.
    expect(got).toContain(`routes[2].upstream: unknown upstream "ordrs" (bad.yaml:${lineOf('upstream: ordrs')})`);
    const expected = [
      new RegExp(`^routes\\[1\\]\\.match\\.path: .+ \\(bad\\.yaml:${lineOf('/api//users')}\\)$`),
      new RegExp(`^routes\\[1\\]\\.name: .+ \\(bad\\.yaml:${lineOf('- name: orders', 9)}\\)$`),
      new RegExp(`^upstreams\\.users\\.targets\\[0\\]: .+ \\(bad\\.yaml:${lineOf('ftp://')}\\)$`),
    ];
    for (const pattern of expected) expect(got.filter((l) => pattern.test(l)), String(pattern)).toHaveLength(1);
  });

  it('exits 1 naming the file when it cannot be read', async () => {
    const r = await runCli(['validate', '-c', join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.yaml');
  });
});

describe('portcullis start', () => {
  let proc: CliProcess;
  let port: number;
  let adminPort: number;
  let realFile: string;
  beforeAll(async () => {
    [port, adminPort] = (await freePorts(2)) as [number, number];
    // cfg.yaml is a symlink into another directory: the file watcher (which watches cfg.yaml's
    // directory) does not see edits of the target, so only SIGHUP can reload them.
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, 'link'));
    realFile = join(dir, 'real', 'cfg.yaml');
    await writeFile(realFile, gatewayYaml(port, adminPort, { '/api': 'echo', '/slow': 'slow' }, 'limits: { drainTimeout: 5s }\n'));
    const linked = join(dir, 'link', 'cfg.yaml');
    await symlink(realFile, linked);
    proc = startCli(['start', '-c', linked]);
    await waitHealthy(adminPort, proc);
  });
  afterAll(async () => {
    await proc?.stop();
  });

  it('serves a request', async () => {
    const res = await httpRequest(port, '/api/x?y=1');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { url: string }).url).toBe('/api/x?y=1');
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('reloads the changed file on SIGHUP', async () => {
    expect((await httpRequest(port, '/new')).status).toBe(404);
    await writeFile(realFile, gatewayYaml(port, adminPort, { '/api': 'echo', '/slow': 'slow', '/new': 'echo' }, 'limits: { drainTimeout: 5s }\n'));
    await sleep(400);
    expect((await httpRequest(port, '/new')).status, 'precondition: the file watcher must not have reloaded a change behind the symlink').toBe(404);
    proc.kill('SIGHUP');
    await eventually(async () => expect((await httpRequest(port, '/new')).status).toBe(200), 3000);
    expect(proc.child.exitCode).toBeNull();
  });

  it('writes its log lines to stdout promptly, not only at exit', async () => {
    await eventually(() => {
      const listening = logLines(proc.stdout()).find((l) => l['msg'] === 'portcullis listening');
      expect(listening, 'the "listening" line on stdout while running').toMatchObject({ level: 'info', pid: proc.pid, proxy: { port } });
    }, 2000);
  });

  it('keeps serving when SIGHUP finds an invalid file, and logs why', async () => {
    await writeFile(realFile, gatewayYaml(port, adminPort, { '/api': 'echo', '/slow': 'slow', '/new': 'nowhere' }, 'limits: { drainTimeout: 5s }\n'));
    proc.kill('SIGHUP');
    await eventually(() => {
      const failed = logLines(proc.stdout()).find((l) => l['level'] === 'error' && Array.isArray(l['errors']));
      expect(failed, 'an error line listing the problems').toBeDefined();
      expect(failed!['errors']).toEqual([expect.stringMatching(/^routes\[2\]\.upstream: .* \(cfg\.yaml:\d+\)$/)]);
    }, 2000);
    expect((await httpRequest(port, '/new')).status).toBe(200);
    expect((await httpRequest(port, '/api')).status).toBe(200);
  });

  it('on SIGTERM finishes the request in flight with 200, then exits 0', async () => {
    const seen = slow.requests.length;
    const inflight = httpRequest(port, '/slow/1');
    await eventually(() => expect(slow.requests.length).toBe(seen + 1), 3000, 10);
    proc.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { url: string }).url).toBe('/slow/1');
    const exit = await proc.exited;
    expect(exit.code, exit.stderr).toBe(0);
    // Stopped listening.
    await expect(httpRequest(port, '/api', { timeoutMs: 1000 })).rejects.toThrow();
  });
});

describe('portcullis start --workers 2', () => {
  it('serves from two worker processes and exits 0 on SIGTERM', async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const file = join(dir, 'workers.yaml');
    await writeFile(file, gatewayYaml(port, adminPort, { '/api': 'echo' }));
    const proc = startCli(['start', '-c', file, '--workers', '2']);
    try {
      await waitHealthy(adminPort, proc);
      // The access log lines carry the pid of the worker that served each request. The second
      // worker may start listening a little later: keep sending (fresh connections) until both
      // have served, or give up after a few seconds.
      const ids: string[] = [];
      const ours = () => logLines(proc.stdout()).filter((l) => typeof l['requestId'] === 'string' && ids.includes(l['requestId']));
      await eventually(async () => {
        for (let i = 0; i < 10; i++) {
          const res = await httpRequest(port, `/api/${ids.length}`);
          expect(res.status).toBe(200);
          ids.push(String(res.headers['x-request-id']));
        }
        expect(new Set(ours().map((l) => l['pid'])).size).toBe(2);
      }, 8000, 100);
      proc.kill('SIGTERM');
      const exit = await proc.exited;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).not.toMatch(/exited/);

      const access = ours();
      expect(access, 'one access log line per request').toHaveLength(ids.length);
      expect(access.every((l) => l['status'] === 200)).toBe(true);
      const pids = new Set(access.map((l) => l['pid'] as number));
      expect(pids.size).toBe(2);
      expect(pids.has(proc.pid)).toBe(false);
      for (const pid of pids) expect(isAlive(pid), `worker ${pid} still running`).toBe(false);
    } finally {
      await proc.stop();
    }
  });
});

describe.concurrent('portcullis token', () => {
  it('prints an HS256 JWT with sub and role that verifies with the secret', async () => {
    const r = await runCli(['token', '--secret', 's', '--sub', 'u', '--role', 'admin']);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode('s'), { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: 'u', role: 'admin' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    await expect(jwtVerify(token, new TextEncoder().encode('t'))).rejects.toThrow();
  });

  it('honours --ttl', async () => {
    const r = await runCli(['token', '--secret', 's', '--sub', 'u', '--ttl', '5m']);
    expect(r.code, r.stderr).toBe(0);
    const { payload } = await jwtVerify(r.stdout.trim(), new TextEncoder().encode('s'));
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload['role']).toBeUndefined();
  });
});

describe('portcullis demo', () => {
  const DEMO_PORTS = [8080, 9901, 8101, 8102, 8103, 8104, 8105];
  it('serves the login flow (401 → login → 200, 403 without the role), then exits 0 on SIGTERM', async ({ skip }) => {
    const busy = await busyPorts(DEMO_PORTS);
    if (busy.length > 0) skip(`demo needs fixed ports ${DEMO_PORTS.join(', ')}; busy now: ${busy.join(', ')}`);
    const proc = startCli(['demo']);
    try {
      await waitHealthy(9901, proc);
      // Orders need a login: 401 without, 200 with a token from the demo's login route.
      expect((await httpRequest(8080, '/api/orders')).status).toBe(401);
      const login = await fetch('http://127.0.0.1:8080/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alan', password: 'turing' }) });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const orders = await fetch('http://127.0.0.1:8080/api/orders', { headers: { authorization: `Bearer ${token}` } });
      expect(orders.status).toBe(200);
      expect(((await orders.json()) as { seen: { user: string } }).seen.user).toBe('2');
      // Payments need the admin role, which alan does not have.
      expect((await fetch('http://127.0.0.1:8080/api/payments', { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
      proc.kill('SIGTERM');
      const exit = await proc.exited;
      expect(exit.code, exit.stderr).toBe(0);
    } finally {
      await proc.stop();
    }
  });
});

describe.concurrent('start failures', () => {
  it('an invalid config → exit 1 with the problems', async () => {
    const file = join(dir, 'start-bad.yaml');
    await writeFile(file, 'upstreams: {}\nroutes: [{ name: r, match: { path: /r }, upstream: nope }]\n');
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    expect(problemLines(r)).toEqual([expect.stringMatching(/^routes\[0\]\.upstream: .* \(start-bad\.yaml:2\)$/)]);
  });

  it('a busy port → exit 1 with a message, not a stack', async () => {
    const [adminPort] = (await freePorts(1)) as [number];
    const file = join(dir, 'start-busy.yaml');
    // The upstream's own port is taken.
    await writeFile(file, `listen: 127.0.0.1:${upstream.port}\nadmin: { listen: 127.0.0.1:${adminPort} }\nupstreams: { u: { targets: ["${upstream.url}"] } }\nroutes: [{ name: r, match: { path: /r }, upstream: u }]\n`);
    const r = await runCli(['start', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE|in use/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe.concurrent('usage errors', () => {
  it.each([
    ['an unknown command', ['frobnicate']],
    ['no command', []],
    ['start without -c', ['start']],
    ['token without --sub', ['token', '--secret', 's']],
  ])('%s → usage on stderr, non-zero exit', async (_what, args) => {
    const r = await runCli(args);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/usage/i);
    expect(r.stdout).toBe('');
  });

  it('an unknown option → non-zero exit with a message on stderr', async () => {
    const r = await runCli(['validate', '--bogus']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bogus/);
  });
});
