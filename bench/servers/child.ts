/**
 * The child side of the bench's process protocol. A bench server is forked by the runner
 * (bench/processes.ts), gets its settings as one IPC message, answers `{ type: 'ready', port }`
 * once listening, answers `{ type: 'cpu' }` with the CPU time it used so far, and on
 * `{ type: 'stop' }` closes and exits 0 (so `--cpu-prof` profiles are
 * written). It also exits when the runner goes away, so no orphan keeps a core busy.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerMessage<S> {
  type: 'start';
  settings: S;
}

/** Waits for the runner's start message and returns its settings. */
export function settings<S>(): Promise<S> {
  return new Promise((resolve) => {
    process.once('message', (message: ServerMessage<S>) => resolve(message.settings));
  });
}

export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Tells the runner where this server listens, and arranges a clean exit on stop. */
export function ready(port: number, stop: () => Promise<void>): void {
  let stopping = false;
  const exit = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    stop()
      .catch((err: unknown) => console.error(err))
      .finally(() => process.exit(0));
  };
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message.type === 'stop') exit();
    // CPU time this process has used so far, so the runner can charge it to a measurement.
    else if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      process.send?.({ type: 'cpu', id: message.id, micros: usage.user + usage.system });
    }
  });
  process.on('disconnect', exit);
  process.send?.({ type: 'ready', port });
}

/** Closes a node:http server, dropping its keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
