/**
 * Blocking-query index handling, as Consul's docs ask of every client (pure, no HTTP):
 *  - the next request carries the `X-Consul-Index` of the last answer;
 *  - an index that is missing, not a number or ≤ 0 is not trusted: reset to 0 (a non-blocking
 *    read next), else every request would return at once;
 *  - an index lower than the previous one (Consul restarted, snapshot restored, or the data
 *    moved to another server) also resets to 0, as the docs require.
 * The caller still rate-limits the loop (a minimum interval between requests), since a reset
 * index makes the next request return immediately.
 */
export function nextConsulIndex(previous: number, header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return 0;
  const next = Number(value.trim());
  if (!Number.isSafeInteger(next) || next <= 0) return 0;
  if (next < previous) return 0;
  return next;
}
