/**
 * Hot-path metrics. prom-client hashes the label set on every `inc()`/`observe()`; these keep one
 * entry per label set, found with a single Map lookup, and render through prom-client's registry
 * (which accepts any object with `name`, `help`, `type` and `get()`). Label sets are bounded by
 * the callers (route and upstream names from config, a fixed method list, 3-digit statuses) and
 * `retain` drops the ones a reload removed.
 */

interface MetricValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

interface MetricObject {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue[];
}

interface CounterEntry {
  labels: Record<string, string>;
  value: number;
}

export class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly entries = new Map<string, CounterEntry>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Adds one to the label set `key`; false when that set does not exist yet (then call `add`). */
  inc(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    entry.value++;
    return true;
  }

  /** Creates the label set `key` with the value 1. */
  add(key: string, labels: Record<string, string>): void {
    this.entries.set(key, { labels, value: 1 });
  }

  /** Keeps only label sets for which `keep(labels)` is true. */
  retain(keep: (labels: Record<string, string>) => boolean): void {
    for (const [key, entry] of this.entries) if (!keep(entry.labels)) this.entries.delete(key);
  }

  get(): MetricObject {
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values: [...this.entries.values()].map((e) => ({ labels: e.labels, value: e.value })) };
  }
}

interface HistogramEntry {
  labels: Record<string, string>;
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly entries = new Map<string, HistogramEntry>();
  private readonly bucketLabels: string[];

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds in seconds, ascending. */
    private readonly buckets: readonly number[],
    /** The single label's name (e.g. `route`). */
    private readonly labelName: string,
  ) {
    this.bucketLabels = [...buckets.map(String), '+Inf'];
  }

  observe(labelValue: string, value: number): void {
    let entry = this.entries.get(labelValue);
    if (entry === undefined) {
      entry = { labels: { [this.labelName]: labelValue }, counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.entries.set(labelValue, entry);
    }
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }

  retain(keep: (labelValue: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (!keep(key)) this.entries.delete(key);
  }

  get(): MetricObject {
    const values: MetricValue[] = [];
    for (const entry of this.entries.values()) {
      let cumulative = 0;
      for (let i = 0; i < entry.counts.length; i++) {
        cumulative += entry.counts[i]!;
        values.push({ labels: { ...entry.labels, le: this.bucketLabels[i]! }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: entry.labels, value: entry.sum, metricName: `${this.name}_sum` });
      values.push({ labels: entry.labels, value: entry.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
