/**
 * Starts a real gateway from YAML text on ephemeral ports, with its log lines captured so tests
 * can assert on them.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect } from 'vitest';
import { ConfigError, Gateway, type GatewayOptions } from '../../src/gateway.js';

export interface TestGateway {
  gateway: Gateway;
  /** Proxy base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  adminUrl: string;
  port: number;
  /** Parsed JSON log lines written so far. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** YAML header putting both listeners on free loopback ports. */
export const LISTEN = 'listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\n';

export function captureLogger(logs: Record<string, unknown>[], level = 'info') {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return pino({ level, base: null, formatters: { level: (label) => ({ level: label }) } }, stream);
}

/** `yaml` is the config; it should start with LISTEN (or set its own listeners). */
export async function startGateway(yaml: string, options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const logs: Record<string, unknown>[] = [];
  const gateway = await Gateway.create({ configText: yaml, logger: captureLogger(logs), ...options });
  await gateway.start();
  return {
    gateway,
    url: gateway.url('proxy'),
    adminUrl: gateway.url('admin'),
    port: gateway.address('proxy').port,
    logs,
    stop: () => gateway.stop(),
  };
}

/**
 * Waits for a log line matching `predicate` (the access log is written at the end of the
 * event-loop turn in which a response closes, so it can trail the client's view by a moment).
 */
export async function waitForLog(gw: TestGateway, predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 2000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = gw.logs.find(predicate);
    if (line) return line;
    if (Date.now() > deadline) throw new Error('no matching log line');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The problems `Gateway.create` reports for `yaml`; fails the test unless it throws ConfigError. */
export async function configProblems(yaml: string): Promise<string[]> {
  const err = await Gateway.create({ configText: yaml, logger: captureLogger([]) }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems;
}
