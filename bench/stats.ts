/** Small statistics helpers: a fine-grained latency histogram and medians. No HTTP types. */

/** Bucket width of the latency histogram: 10 µs, in ms. */
const BUCKET_MS = 0.01;
/** Latencies past this many ms share the last bucket (a benchmark this slow is broken anyway). */
const MAX_MS = 5_000;

/**
 * Records response times at 10 µs resolution. autocannon's own histogram stores whole
 * milliseconds, too coarse to judge "p99 within 1 ms" on loopback, so the suite records every
 * response time itself (autocannon reports them as fractional ms).
 */
export class LatencyRecorder {
  private readonly counts = new Uint32Array(Math.ceil(MAX_MS / BUCKET_MS) + 1);
  count = 0;

  record(ms: number): void {
    const i = Math.floor(ms / BUCKET_MS);
    this.counts[i < this.counts.length ? i : this.counts.length - 1]!++;
    this.count++;
  }

  /** The p-th percentile in ms (upper edge of its bucket), or NaN with no samples. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return (i + 1) * BUCKET_MS;
    }
    return MAX_MS;
  }
}

/** Median of the finite values (mean of the middle two for an even count); NaN if none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
