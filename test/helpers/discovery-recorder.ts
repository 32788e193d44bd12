/**
 * Test-only: records what a provider reports, and polls for a condition with a deadline (no
 * fixed sleeps: the machine is small and noisy). Used by the discovery test files.
 */
import pino, { type Logger } from 'pino';
import type { DiscoveredTarget, DiscoveryCallbacks } from '../../src/discovery/provider.js';

export interface Recorder extends DiscoveryCallbacks {
  targets: DiscoveredTarget[][];
  errors: Error[];
  recovered: number;
  last(): DiscoveredTarget[] | undefined;
}

export function recorder(): Recorder {
  const r: Recorder = {
    targets: [],
    errors: [],
    recovered: 0,
    onTargets: (t) => void r.targets.push(t),
    onError: (e) => void r.errors.push(e),
    onRecovered: () => void r.recovered++,
    last: () => r.targets.at(-1),
  };
  return r;
}

/** Polls `check` every 20 ms until it returns true; throws `what` (and `detail()`, to diagnose) after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000, detail?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A logger that keeps every entry (level ≥ debug) as parsed JSON, for asserting on logs. */
export function capturingLogger(): { logger: Logger; entries: Array<Record<string, unknown>> } {
  const entries: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, entries };
}

/** `[{url, weight}]` from `'url*weight'` shorthand, for readable expectations. */
export function t(...specs: string[]): DiscoveredTarget[] {
  return specs.map((s) => {
    const [url, weight] = s.split('*');
    return { url: url!, weight: weight === undefined ? 1 : Number(weight) };
  });
}
