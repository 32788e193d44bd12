/**
 * Delay before retry number `retry` (1, 2, …): exponential backoff with "full jitter" (AWS
 * Architecture Blog, "Exponential Backoff and Jitter"): uniform in [0, min(maxMs, baseMs ×
 * 2^(retry − 1))) ms. Full jitter spreads the retries of many clients that failed together, so
 * they do not hit a recovering target in synchronised waves. `random` is injectable for tests.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`backoffDelay: retry must be an integer ≥ 1, got ${retry}`);
  if (!(baseMs >= 0) || !(maxMs >= 0)) throw new RangeError(`backoffDelay: baseMs and maxMs must be ≥ 0, got ${baseMs} and ${maxMs}`);
  // 2 ** (retry − 1) reaches Infinity past retry 1024; Math.min then yields maxMs, as meant.
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return random() * ceiling;
}
