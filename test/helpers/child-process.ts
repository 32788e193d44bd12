/**
 * The lifecycle shared by the real servers tests spawn (dnsmasq, etcd, redis-server): keep the
 * tail of stderr for error messages, wait until a readiness probe passes (failing fast when the
 * process exits first), and kill with SIGKILL (an outage, as a crash looks) waiting for the exit.
 */
import type { ChildProcess } from 'node:child_process';
import { sleep } from './eventually.js';

/** Whether `child` was started and has not exited (by code or by signal). */
export function isRunning(child: ChildProcess | null): child is ChildProcess {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

/** Collects the child's stderr, keeping the last `maxChars` (default 4000) so memory stays bounded. */
export function stderrTail(child: ChildProcess, maxChars = 4000): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (text = (text + d).slice(-maxChars)));
  return () => text;
}

export interface WaitUntilReadyOptions {
  /** How long the server may take to pass `probe`, ms. */
  deadlineMs: number;
  /** Pause between probes, ms. */
  stepMs: number;
  /** The error message when the process exits before it is ready. */
  exitedMessage: () => string;
  /** The error message when `deadlineMs` passes first. */
  timeoutMessage: () => string;
}

/**
 * Resolves once `probe` returns true. Call it right after `spawn` (in the same turn), so an
 * early exit is seen.
 */
export async function waitUntilReady(child: ChildProcess, probe: () => Promise<boolean>, options: WaitUntilReadyOptions): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + options.deadlineMs;
  while (!(await probe())) {
    if (exited) throw new Error(options.exitedMessage());
    if (Date.now() > deadline) throw new Error(options.timeoutMessage());
    await sleep(options.stepMs);
  }
}

/** SIGKILL and wait for the exit; a no-op when `child` is null or has already exited. */
export async function killAndWait(child: ChildProcess | null): Promise<void> {
  if (!isRunning(child)) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A server process that tests kill (an outage) and start again with the same arguments. */
export interface Restartable {
  /** Spawns it and waits until it is ready; a no-op while it runs. */
  start(): Promise<void>;
  /** SIGKILL and wait for the exit; a no-op when it is not running. */
  stop(): Promise<void>;
  /** The running process, or null after `stop()`. */
  current(): ChildProcess | null;
}

/**
 * `launch` spawns the process; `ready` is called in the same turn with the new child and resolves
 * once it serves (typically `waitUntilReady`).
 */
export function restartable(launch: () => ChildProcess, ready: (child: ChildProcess) => Promise<void>): Restartable {
  let proc: ChildProcess | null = null;
  return {
    async start() {
      if (isRunning(proc)) return;
      proc = launch();
      await ready(proc);
    },
    stop() {
      const child = proc;
      proc = null;
      return killAndWait(child);
    },
    current: () => proc,
  };
}
