/**
 * Target-list helpers shared by every provider: build a URL from scheme/host/port (IPv6 in
 * brackets), and normalise a list the way the provider contract wants it — deduplicated by url
 * (the highest weight wins), sorted by url, weights integers ≥ 1.
 */
import { isIP } from 'node:net';
import type { DiscoveredTarget } from './provider.js';

/** `http://10.0.0.7:8080`, `http://[fd00::7]:8080`, `http://orders-1.internal:8080`. */
export function targetUrl(scheme: string, host: string, port: number): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return `${scheme}://${h}:${port}`;
}

/** Weight as the upstream wants it: an integer ≥ 1 (0, negative, NaN → 1). */
export function targetWeight(weight: unknown): number {
  return typeof weight === 'number' && Number.isFinite(weight) && weight >= 1 ? Math.floor(weight) : 1;
}

/** Deduplicated by url (the highest weight is kept), sorted by url; a new array. */
export function normalizeTargets(targets: readonly DiscoveredTarget[]): DiscoveredTarget[] {
  const byUrl = new Map<string, number>();
  for (const t of targets) byUrl.set(t.url, Math.max(byUrl.get(t.url) ?? 0, targetWeight(t.weight)));
  return [...byUrl.keys()].sort().map((url) => ({ url, weight: byUrl.get(url)! }));
}

/** Whether two normalised lists are the same. */
export function sameTargets(a: readonly DiscoveredTarget[], b: readonly DiscoveredTarget[]): boolean {
  return a.length === b.length && a.every((t, i) => t.url === b[i]!.url && t.weight === b[i]!.weight);
}
