/**
 * Black-box helpers for the built CLI (`node dist/src/cli.js`): run a command to completion, or
 * start a long-running one and drive it with signals; find free ports; plain HTTP requests on
 * fresh connections (so cluster workers each get some).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = resolve(ROOT, 'dist/src/cli.js');

/** Throws a clear message when the build output is missing (`npm test` runs tsc first). */
export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -p tsconfig.json\` (npm test does this)`);
}

/** An environment without the variables the example configs read, so tests see the defaults. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['ADMIN_TOKEN', 'JWT_SECRET', 'USERS_URL', 'ORDERS_URL', 'PAYMENTS_URL', 'NODE_OPTIONS', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete env[name];
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits (never rejects). */
  exited: Promise<CliResult>;
  /** Sends a signal. */
  kill(signal: NodeJS.Signals): void;
  /** SIGKILL if still running (cleanup). */
  stop(): Promise<void>;
}

export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  requireBuiltCli();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<CliResult>((done) => {
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    child.on('error', (err) => done({ code: null, signal: null, stdout, stderr: stderr + String(err) }));
  });
  return {
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => void child.kill(signal),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Runs a command to completion (killed after `timeoutMs`). */
export async function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const proc = startCli(args, options);
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 10_000);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** `count` distinct free loopback ports (bound together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((done, fail) => {
      const server = createServer();
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => done(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

/** The ports among `ports` that something on 127.0.0.1 already holds. */
export async function busyPorts(ports: number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
    });
    if (!free) busy.push(port);
  }
  return busy;
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection (`Connection: close`). Rejects on connection errors. */
export function httpRequest(port: number, path: string, options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<SimpleResponse> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false, headers: { connection: 'close', ...options.headers }, timeout: options.timeoutMs ?? 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
    req.end();
  });
}

export { eventually } from './eventually.js';

/** Waits until GET /health on the admin port answers 200. */
export function waitHealthy(adminPort: number, proc: CliProcess, timeoutMs = 8000): Promise<void> {
  return eventually(async () => {
    if (proc.child.exitCode !== null) throw new Error(`portcullis exited early (${proc.child.exitCode}): ${proc.stderr()}`);
    const res = await httpRequest(adminPort, '/health', { timeoutMs: 500 });
    if (res.status !== 200) throw new Error(`health: ${res.status}`);
  }, timeoutMs);
}

/** JSON log lines from stdout (lines that are not JSON are skipped). */
export function logLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A partial line at the end of a buffer.
    }
  }
  return out;
}

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
