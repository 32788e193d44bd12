/** Checks the schema cannot express: key syntax, scope, localShare only on a local fallback, burst only with the token bucket, a non-zero window. */
import type { Problem } from '../define-plugin.js';
import { parseDuration } from '../../config/units.js';
import { parseKeySpec } from './rate-key.js';
import type { LimitConfig, RateLimitValue } from './schema.js';

export function asList(value: RateLimitValue): readonly LimitConfig[] {
  return Array.isArray(value) ? value : [value as LimitConfig];
}

/** Whether any limit of the value counts in the shared store. */
export function usesCluster(value: RateLimitValue | false | undefined): boolean {
  return value !== undefined && value !== false && asList(value).some((l) => l.scope === 'cluster');
}

/**
 * `hasAuth`: whether the route has auth (undefined for the top-level default); `hasRedis`:
 * whether the config has a top-level `redis`.
 */
export function rateLimitProblems(value: RateLimitValue, hasAuth?: boolean, hasRedis = false): Problem[] {
  const problems: Problem[] = [];
  const list = asList(value);
  const cluster = list.filter((l) => l.scope === 'cluster').length;
  list.forEach((limit, i) => {
    const at = (key: string): (string | number)[] => (Array.isArray(value) ? [i, key] : [key]);
    if (limit.scope === 'cluster' && !hasRedis) {
      problems.push({ path: at('scope'), message: 'scope: cluster needs the shared store: set top-level `redis` (e.g. redis://127.0.0.1:6379)' });
    }
    if (cluster > 0 && cluster < list.length && (limit.scope ?? 'local') === 'local') {
      problems.push({ path: at('scope'), message: 'the limits of one route must all have the same scope (this one is local, another is cluster)' });
    }
    if (limit.onStoreError !== undefined && limit.scope !== 'cluster') {
      problems.push({ path: at('onStoreError'), message: 'applies to scope: cluster only', severity: 'warning' });
    }
    if (limit.localShare !== undefined && !(limit.localShare > 0 && limit.localShare <= 1)) {
      problems.push({ path: at('localShare'), message: 'must be a number greater than 0 and at most 1 (1/N for N gateway processes, e.g. 0.25 for four)' });
    } else if (limit.localShare !== undefined) {
      // Only the local fallback of a cluster limit is sized by it; elsewhere it would silently do nothing.
      if (limit.scope !== 'cluster') {
        problems.push({ path: at('localShare'), message: 'applies to scope: cluster only (it sizes the local fallback while Redis is down; a local limit always counts in full per process)' });
      } else if ((limit.onStoreError ?? 'local') !== 'local') {
        problems.push({ path: at('localShare'), message: `applies to onStoreError: local only (this limit has onStoreError: ${limit.onStoreError}, which counts nothing locally)` });
      }
    }
    try {
      if (parseDuration(limit.window) < 1) problems.push({ path: at('window'), message: 'must be at least 1ms' });
    } catch {
      // reported by the schema
    }
    if (limit.burst !== undefined && limit.burst > 0 && limit.algorithm === 'sliding-window') {
      problems.push({ path: at('burst'), message: 'burst applies to algorithm: token-bucket only (raise limit instead)' });
    }
    const parts = parseKeySpec(limit.key ?? 'ip');
    if (typeof parts === 'string') problems.push({ path: at('key'), message: parts });
    else if (hasAuth === false && parts.some((p) => p.kind === 'consumer')) {
      problems.push({ path: at('key'), message: 'key consumer on a route without auth: every request falls back to the client IP', severity: 'warning' });
    }
  });
  return problems;
}
