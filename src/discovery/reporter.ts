/**
 * Keeps the provider contract in one place so each provider only says what it saw:
 *  - `targets(list)` normalises and calls `onTargets` only when the list differs from the last
 *    one reported; a good answer after an outage calls `onRecovered` first;
 *  - `failure(err)` calls `onError` once per outage (further failures are only debug-logged);
 *  - after `close()` nothing is called again.
 */
import type { Logger } from 'pino';
import type { DiscoveredTarget, DiscoveryCallbacks } from './provider.js';
import { normalizeTargets, sameTargets } from './targets.js';

export class TargetReporter {
  private last: DiscoveredTarget[] | null = null;
  private failing = false;
  private closed = false;

  constructor(private readonly callbacks: DiscoveryCallbacks, private readonly logger: Logger, private readonly description: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** A good answer from the registry (possibly empty). */
  targets(list: readonly DiscoveredTarget[]): void {
    if (this.closed) return;
    if (this.failing) {
      this.failing = false;
      this.logger.info({ discovery: this.description }, 'service discovery recovered');
      this.callbacks.onRecovered?.();
    }
    const next = normalizeTargets(list);
    if (this.last !== null && sameTargets(this.last, next)) return;
    this.last = next;
    this.callbacks.onTargets(next.map((t) => ({ ...t })));
  }

  /** The registry is unreachable or answered garbage; the last known targets stay. */
  failure(err: Error): void {
    if (this.closed) return;
    if (this.failing) {
      this.logger.debug({ discovery: this.description, err: err.message }, 'service discovery still failing');
      return;
    }
    this.failing = true;
    this.logger.warn({ discovery: this.description, err: err.message }, 'service discovery failed; keeping the last known targets');
    this.callbacks.onError(err);
  }

  close(): void {
    this.closed = true;
  }
}
