/** Checks the schema cannot express: key syntax, scope, burst only with the token bucket, a non-zero window. */
import type { Problem } from '../define-plugin.js';
import { parseDuration } from '../../config/units.js';
import { parseKeySpec } from './rate-key.js';
import type { LimitConfig, RateLimitValue } from './schema.js';

export function asList(value: RateLimitValue): readonly LimitConfig[] {
  return Array.isArray(value) ? value : [value as LimitConfig];
}

/** `hasAuth`: whether the route has auth (undefined for the top-level default). */
export function rateLimitProblems(value: RateLimitValue, hasAuth?: boolean): Problem[] {
  const problems: Problem[] = [];
  const list = asList(value);
  list.forEach((limit, i) => {
    const at = (key: string): (string | number)[] => (Array.isArray(value) ? [i, key] : [key]);
    if ((limit.scope ?? 'local') === 'cluster') {
      problems.push({ path: at('scope'), message: 'scope: cluster needs a shared store (top-level `redis`), which this version does not support yet; use scope: local' });
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
