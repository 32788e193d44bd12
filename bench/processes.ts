/**
 * The runner side of the bench's process protocol (see servers/child.ts): each server runs in
 * its own forked process so the load generator (this process) and the servers do not share an
 * event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface BenchServer {
  name: string;
  port: number;
  url: string;
  /** CPU time (user + system, µs) the server process has used so far. */
  cpuMicros(): Promise<number>;
  /** Asks the server to close and waits for it to exit (kills it after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** Servers started and not yet stopped, so a failing run can still clean up. */
const running = new Set<BenchServer>();

/** Forks `script` (a compiled bench/servers/*.js URL), sends its settings, waits for its port. */
export function startServer<S>(name: string, script: URL, settings: S, execArgv: string[] = []): Promise<BenchServer> {
  const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, serialization: 'advanced' });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) => reject(new Error(`bench server ${name} exited before it was ready (code ${code}, signal ${signal})`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type !== 'ready' || typeof message.port !== 'number') return;
      child.off('exit', onExit);
      child.once('exit', (code, signal) => {
        if (running.has(server)) console.error(`bench server ${name} exited unexpectedly (code ${code}, signal ${signal})`);
      });
      const server: BenchServer = {
        name,
        port: message.port,
        url: `http://127.0.0.1:${message.port}`,
        stop: (graceMs = 5000) => stopChild(server, child, graceMs),
        cpuMicros: () => askCpu(child),
      };
      running.add(server);
      resolve(server);
    });
    child.send({ type: 'start', settings });
  });
}

let nextCpuQuery = 0;

function askCpu(child: ChildProcess): Promise<number> {
  const id = ++nextCpuQuery;
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string; id?: number; micros?: number }) => {
      if (message.type !== 'cpu' || message.id !== id) return;
      child.off('message', onMessage);
      resolve(message.micros ?? Number.NaN);
    };
    if (!child.connected) return reject(new Error('bench server is gone'));
    child.on('message', onMessage);
    child.send({ type: 'cpu', id });
  });
}

function stopChild(server: BenchServer, child: ChildProcess, graceMs: number): Promise<void> {
  running.delete(server);
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
  });
}

/** Stops every server still running (in parallel). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}
