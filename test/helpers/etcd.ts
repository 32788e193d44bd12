/**
 * A real etcd (Debian's etcd-server, v3.4) for tests: one member on two free loopback ports
 * (client, peer) with its data in a temp dir. `stop()` kills it (SIGKILL: an outage) and
 * `start()` brings it back on the same ports with the same data dir, so keys survive. `put` and
 * `del` use etcd's HTTP/JSON gRPC gateway (/v3/kv/*), so tests don't depend on the client under
 * test. When `etcd` is not on PATH the suites skip (see ETCD_MISSING).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './cli.js';

/** Whether etcd can run here. */
export const hasEtcd = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
export const ETCD_MISSING = 'etcd is not on PATH: skipping the etcd discovery tests (apt-get install etcd-server)';

export interface TestEtcd {
  /** `http://127.0.0.1:PORT`, the client URL. */
  url: string;
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  /** SIGKILL and wait for the exit. */
  stop(): Promise<void>;
  /** Starts again (same ports, same data) and waits for /health; a no-op while running. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export async function startEtcd(): Promise<TestEtcd> {
  const [clientPort, peerPort] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-etcd-'));
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let proc: ChildProcess | null = null;

  const healthy = async (): Promise<boolean> => {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  };

  const start = async () => {
    if (proc !== null && proc.exitCode === null) return;
    const child = spawn('etcd', [
      '--data-dir', join(dir, 'data'), '--name', 'default',
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`,
      '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    proc = child;
    let exited = false;
    child.on('exit', () => (exited = true));
    const deadline = Date.now() + 20_000;
    while (!(await healthy())) {
      if (exited) throw new Error(`etcd exited on start (${url}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy on ${url}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const child = proc;
    proc = null;
    if (child === null || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  const call = async (path: string, body: object) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`etcd ${path} answered ${res.status}: ${await res.text()}`);
  };
  await start();
  return {
    url,
    put: (key, value) => call('/v3/kv/put', { key: b64(key), value: b64(value) }),
    del: (key) => call('/v3/kv/deleterange', { key: b64(key) }),
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
