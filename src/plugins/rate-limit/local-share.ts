/**
 * Sizing of a cluster limit's `onStoreError: local` fallback. While the shared store is down
 * each gateway process counts alone, so N processes counting the full limit admit up to N× it;
 * `localShare` (in (0, 1], default 1) shrinks each process's bucket to its share: `limit` and
 * `burst` times the share, rounded up (a share never rounds a limit down to 0, so the fallback
 * still admits at least one request per window; a burst of 0 stays 0). Pure, no HTTP types.
 */
import type { LimitConfig } from './schema.js';

/** Floating-point slack: 100 × 0.1 is 10.000000000000002 and must size to 10, not 11. */
const EPSILON = 1e-9;

/** `ceil(value × share)`, at least 1, for a positive `value`; 0 stays 0. */
export function shareOf(value: number, share: number): number {
  if (value <= 0) return 0;
  return Math.max(1, Math.ceil(value * share - EPSILON));
}

/** The limit as the local fallback counts it: `limit` and `burst` scaled by its `localShare`. */
export function localFallbackLimit(config: LimitConfig): LimitConfig {
  const share = config.localShare ?? 1;
  if (share >= 1) return config;
  const sized: LimitConfig = { ...config, limit: shareOf(config.limit, share) };
  if (config.burst !== undefined) sized.burst = shareOf(config.burst, share);
  return sized;
}
