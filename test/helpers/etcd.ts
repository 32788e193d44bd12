/**
 * A real etcd (Debian's etcd-server, v3.4) for tests: one member on two free loopback ports
 * (client, peer) with its data in a temp dir. `stop()` kills it (SIGKILL: an outage) and
 * `start()` brings it back on the same ports with the same data dir, so keys survive. `put` and
 * `del` use etcd's HTTP/JSON gRPC gateway (/v3/kv/*), so tests don't depend on the client under
 * test. When `etcd` is not on PATH the suites skip (see ETCD_MISSING).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartable, stderrTail, waitUntilReady } from './child-process.js';
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

  const healthy = async (): Promise<boolean> => {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  };

  const etcd = restartable(
    () => spawn('etcd', [
      '--data-dir', join(dir, 'data'), '--name', 'default',
      '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`,
      '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] }),
    (child) => {
      const stderr = stderrTail(child);
      return waitUntilReady(child, healthy, {
        deadlineMs: 20_000,
        stepMs: 50,
        exitedMessage: () => `etcd exited on start (${url}): ${stderr()}`,
        timeoutMessage: () => `etcd did not become healthy on ${url}: ${stderr()}`,
      });
    },
  );
  const call = async (path: string, body: object) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`etcd ${path} answered ${res.status}: ${await res.text()}`);
  };
  await etcd.start();
  return {
    url,
    put: (key, value) => call('/v3/kv/put', { key: b64(key), value: b64(value) }),
    del: (key) => call('/v3/kv/deleterange', { key: b64(key) }),
    start: etcd.start,
    stop: etcd.stop,
    async close() {
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
