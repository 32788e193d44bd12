/**
 * Pure DNS answer handling (no sockets): which SRV records to use, and when to ask again.
 *  - SRV: only the lowest-priority group is used (RFC 2782: higher priorities are fallbacks for
 *    when every lower one is unreachable, which health checks — not discovery — decide); SRV
 *    weight becomes target weight, 0 → 1.
 *  - Next resolution: when the shortest TTL in the answer expires; a TTL of 0 or unknown uses
 *    `refresh`; the result is clamped to [minTtl, maxTtl].
 */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The records of the lowest priority present (empty in, empty out). */
export function lowestPriorityGroup(records: readonly SrvRecord[]): SrvRecord[] {
  if (records.length === 0) return [];
  const lowest = Math.min(...records.map((r) => r.priority));
  return records.filter((r) => r.priority === lowest);
}

export interface TtlPolicy {
  /** Used when the TTL is 0 or unknown, ms. */
  refreshMs: number;
  minTtlMs: number;
  maxTtlMs: number;
}

/** Milliseconds until the next resolution, from the answer's TTLs in seconds (null = unknown). */
export function nextResolveDelay(ttlsSeconds: ReadonlyArray<number | null>, policy: TtlPolicy): number {
  const known = ttlsSeconds.filter((t): t is number => t !== null && t > 0);
  const unknown = known.length < ttlsSeconds.length || known.length === 0;
  // An unknown TTL (SRV, or a TTL of 0) may hide a change sooner than the known ones say.
  const candidates = known.map((t) => t * 1000);
  if (unknown) candidates.push(policy.refreshMs);
  const shortest = Math.min(...candidates);
  return Math.min(policy.maxTtlMs, Math.max(policy.minTtlMs, shortest));
}
