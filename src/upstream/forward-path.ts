/**
 * The path sent upstream: the target's base path, then the request path with the route's prefix
 * stripped or rewritten, then the raw query. Pure.
 */

/** Index in `path` where the first `segments` segments end (`/a/b/c`, 2 → 4). */
function prefixEnd(path: string, segments: number): number {
  let index = 0;
  for (let i = 0; i < segments; i++) {
    const next = path.indexOf('/', index + 1);
    if (next === -1) return path.length;
    index = next;
  }
  return index;
}

export interface PathPlan {
  /** Number of path segments in the route's match.path (`/api/orders` → 2). */
  prefixSegments: number;
  /** Replace the matched prefix with this ('' with stripPrefix), or null to keep it. */
  replacement: string | null;
}

export function countSegments(routePath: string): number {
  return routePath.split('/').filter((s) => s !== '').length;
}

/** `basePath` is the target URL's path without trailing slash ('' for none). */
export function forwardPath(plan: PathPlan, basePath: string, path: string, query: string): string {
  let rest = path;
  // The client's trailing slash after a stripped prefix (`/api/` → `/base/`) is kept: only a bare
  // prefix (`/api`) maps to the bare base path.
  let slashAfterPrefix = false;
  if (plan.replacement !== null) {
    const end = prefixEnd(path, plan.prefixSegments);
    const tail = path.slice(end);
    slashAfterPrefix = tail === '/';
    rest = plan.replacement + tail;
    if (rest === '') rest = '/';
    else if (rest.charCodeAt(0) !== 0x2f) rest = '/' + rest;
    rest = rest.replace(/\/{2,}/g, '/');
  }
  const full = basePath === '' ? rest : rest === '/' && !slashAfterPrefix ? basePath : basePath + rest;
  return query === '' ? full : full + query;
}
