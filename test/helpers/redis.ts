/**
 * A real redis-server for tests, spawned on a free loopback port in a temp dir with persistence
 * off (`--save '' --appendonly no`). `stop()` kills it (SIGKILL: a crash, as an outage looks),
 * `start()` brings it back on the same port, empty. When `redis-server` is not on PATH the
 * suites that need it skip (`.ci/run` installs it); see REDIS_MISSING.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restartable, waitUntilReady } from './child-process.js';
import { freePorts } from './cli.js';

/** Whether redis-server can run here. */
export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const REDIS_MISSING = 'redis-server is not on PATH: skipping the Redis tests (apt-get install redis-server; .ci/run does)';

export interface TestRedis {
  port: number;
  url: string;
  /** Kills the server (SIGKILL) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty) and waits until it answers PING. */
  start(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  close(): Promise<void>;
}

/** Sends PING over a raw socket; resolves true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(200, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-'));
  const redis = restartable(
    () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }),
    (child) => waitUntilReady(child, () => ping(port!), {
      deadlineMs: 5000,
      stepMs: 20,
      exitedMessage: () => `redis-server exited on start (port ${port})`,
      timeoutMessage: () => `redis-server did not answer PING on port ${port}`,
    }),
  );
  await redis.start();
  return {
    port: port!,
    url: `redis://127.0.0.1:${port}`,
    start: redis.start,
    stop: redis.stop,
    async close() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
