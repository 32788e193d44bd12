/**
 * Route path patterns as the route table registers them: params renamed by position, and the
 * segment-wise helpers used when find-my-way's single best match has to be widened to the other
 * patterns that also match a concrete path. Pure: no HTTP types.
 */

export const PARAM_SEGMENT = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

/** `/users/:id/orders` → pattern `/users/:p1/orders` and names ['id']. */
export function positional(path: string): { pattern: string; names: string[] } {
  const names: string[] = [];
  const segments = path.split('/').map((seg) => {
    const m = PARAM_SEGMENT.exec(seg);
    if (!m) return seg;
    names.push(m[1]!);
    return `:p${names.length}`;
  });
  return { pattern: segments.join('/'), names };
}

/** `/a/b` → `/a`; `/a/b/` → `/a/b` (a prefix route `/a/b` covers `/a/b/`). */
export function parentPath(path: string): string {
  if (path.length > 1 && path.endsWith('/')) return path.slice(0, -1);
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** find-my-way lets `:p` match an empty last segment (`/users/` for `/users/:id`); a param never is empty. */
export function hasEmptyParam(params: Record<string, string | undefined>): boolean {
  for (const key in params) if (key !== '*' && params[key] === '') return true;
  return false;
}

const isParam = (segment: string) => segment.charCodeAt(0) === 0x3a; // ':'

/**
 * Whether two registered patterns can match a common path. Segments compare equal or one is a
 * param; a trailing `*` (everything below a prefix, possibly nothing) absorbs any longer tail.
 */
export function overlaps(a: string[], b: string[]): boolean {
  const wildA = a[a.length - 1] === '*';
  const wildB = b[b.length - 1] === '*';
  const lenA = wildA ? a.length - 1 : a.length;
  const lenB = wildB ? b.length - 1 : b.length;
  for (let i = 1; i < Math.min(lenA, lenB); i++) {
    if (a[i] !== b[i] && !isParam(a[i]!) && !isParam(b[i]!)) return false;
  }
  if (lenA === lenB) return wildA === wildB;
  return lenA < lenB ? wildA : wildB;
}

/** Static segments before params, position by position: the order find-my-way itself prefers. */
export function patternOrder(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 1; i < n; i++) {
    const pa = a[i] === '*' ? 2 : isParam(a[i]!) ? 1 : 0;
    const pb = b[i] === '*' ? 2 : isParam(b[i]!) ? 1 : 0;
    if (pa !== pb) return pa - pb;
  }
  if (a.length !== b.length) return b.length - a.length;
  const ja = a.join('/');
  const jb = b.join('/');
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Matches a concrete path (split on `/`) against a pattern; params by position (`p1`…) or null. */
export function matchSegments(pattern: string[], path: string[]): Record<string, string> | null {
  const wild = pattern[pattern.length - 1] === '*';
  const fixed = wild ? pattern.length - 1 : pattern.length;
  if (wild ? path.length < pattern.length : path.length !== pattern.length) return null;
  const params: Record<string, string> = {};
  for (let i = 1; i < fixed; i++) {
    const p = pattern[i]!;
    const seg = path[i]!;
    if (isParam(p)) {
      if (seg === '') return null;
      params[p.slice(1)] = decodeParam(seg);
    } else if (p !== seg && p !== decodeParam(seg)) {
      return null;
    }
  }
  return params;
}
