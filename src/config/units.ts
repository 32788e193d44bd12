/** Durations (`250ms`, `30s`, `5m`, `1h`) and sizes (`512b`, `64kb`, `10mb`) as CONTRACT writes them. */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE = /^(\d+(?:\.\d+)?)(b|kb|mb|gb)$/i;
const SIZE_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';
export const SIZE_PATTERN = '^\\d+(\\.\\d+)?([bB]|[kK][bB]|[mM][bB]|[gG][bB])$';

/** Milliseconds for a duration string; a bare number is taken as milliseconds. Throws on anything else. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = DURATION.exec(value.trim());
  if (!m) throw new Error(`invalid duration "${value}" (use e.g. 250ms, 30s, 5m, 1h)`);
  return Math.round(Number(m[1]) * DURATION_MS[m[2]!]!);
}

/** Bytes for a size string; a bare number is taken as bytes. Throws on anything else. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = SIZE.exec(value.trim());
  if (!m) throw new Error(`invalid size "${value}" (use e.g. 512b, 64kb, 10mb)`);
  return Math.floor(Number(m[1]) * SIZE_BYTES[m[2]!.toLowerCase()]!);
}
