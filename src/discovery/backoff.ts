/**
 * Capped exponential backoff for a provider that lost its registry: initial, ×2 each failure, at
 * most `maxMs`, with ±20 % jitter so many gateways do not retry in lock-step. Pure: no timers.
 */
export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Largest delay, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

export class Backoff {
  private attempt = 0;
  constructor(private readonly options: BackoffOptions, private readonly random: () => number = Math.random) {}

  /** The delay before the next retry, ms; each call grows it. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(1, Math.round(base * (0.8 + 0.4 * this.random())));
  }

  /** After a good answer: the next failure starts from `initialMs` again. */
  reset(): void {
    this.attempt = 0;
  }
}
