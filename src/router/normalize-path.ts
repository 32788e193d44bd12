/**
 * The one path normalisation. The router matches on its result and the proxy forwards its
 * result, so no spelling of a path can reach an upstream through a route whose checks it did
 * not pass (CONTRACT "Routing"). Pure: no HTTP types.
 *
 * - percent-encoded unreserved characters (RFC 3986 §2.3) are decoded, other escapes are
 *   kept with upper-case hex;
 * - `%2F`, `%5C` (an encoded slash or backslash) and `%00` are refused: they mean different
 *   paths to different upstream stacks, so no single answer is safe;
 * - a raw backslash, a control character or a malformed escape is refused;
 * - duplicate slashes are collapsed and dot segments removed (RFC 3986 §5.2.4), never above `/`;
 * - a dot segment with path parameters (`..;x`, `.;`) is refused: Tomcat/Jetty-style upstreams
 *   strip the `;…` and walk up, so the route checked here would not be the one served there.
 */

export interface SplitTarget {
  /** Normalised path, always starting with `/`. */
  path: string;
  /** The raw query including its leading `?`, byte for byte, or ''. */
  query: string;
  /** Authority of an absolute-form target (RFC 9112 §3.2.2), lower-cased, else null. */
  authority: string | null;
}

export class PathError extends Error {}

// Anything that needs the slow path: an escape, a backslash, an empty or dot segment, a fragment.
const NEEDS_WORK = /[%\\#\x00-\x20\x7f]|\/\/|\/\.(?:\/|\.|;|$)|\/\.\.?$/;

// `.;x` or `..;x`: a dot segment carrying path parameters.
const DOT_WITH_PARAMS = /^\.\.?;/;

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e // - . _ ~
  );
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Decodes unreserved escapes and validates every character; throws PathError. */
function decodeUnreserved(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) throw new PathError('malformed percent-encoding');
      const value = hi * 16 + lo;
      if (value === 0x2f || value === 0x5c || value === 0x00) throw new PathError('encoded slash, backslash or NUL');
      out += isUnreserved(value) ? String.fromCharCode(value) : '%' + raw[i + 1]!.toUpperCase() + raw[i + 2]!.toUpperCase();
      i += 2;
    } else if (code === 0x5c) {
      throw new PathError('backslash in path');
    } else if (code <= 0x20 || code === 0x7f || code === 0x23) {
      throw new PathError('control character or fragment in path');
    } else {
      out += raw[i];
    }
  }
  return out;
}

/** Collapses duplicate slashes and removes dot segments. Keeps a trailing slash. */
function removeDotSegments(path: string): string {
  const input = path.split('/');
  const output: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < input.length; i++) {
    const seg = input[i]!;
    const last = i === input.length - 1;
    if (seg === '' || seg === '.') {
      trailingSlash = last;
    } else if (seg.charCodeAt(0) === 0x2e && DOT_WITH_PARAMS.test(seg)) {
      throw new PathError('dot segment with path parameters');
    } else if (seg === '..') {
      output.pop();
      trailingSlash = last;
    } else {
      output.push(seg);
      trailingSlash = false;
    }
  }
  const joined = '/' + output.join('/');
  return trailingSlash && output.length > 0 ? joined + '/' : joined;
}

/** Normalises an already origin-form path (no query). Throws PathError. */
export function normalizePath(rawPath: string): string {
  if (rawPath.charCodeAt(0) !== 0x2f) throw new PathError('path must start with /');
  if (!NEEDS_WORK.test(rawPath)) return rawPath;
  return removeDotSegments(decodeUnreserved(rawPath));
}

const ABSOLUTE = /^https?:\/\/([^/?#]*)/i;

/**
 * Splits a request target (`req.url`) into normalised path, raw query and, for absolute-form,
 * the authority. Throws PathError for anything that is not origin-form or absolute-form.
 */
export function splitTarget(target: string): SplitTarget {
  let authority: string | null = null;
  let rest = target;
  if (target.charCodeAt(0) !== 0x2f) {
    const m = ABSOLUTE.exec(target);
    if (!m || m[1] === '' || m[1]!.includes('@')) throw new PathError('unsupported request-target form');
    authority = m[1]!.toLowerCase();
    rest = target.slice(m[0].length);
    if (rest === '' || rest.charCodeAt(0) === 0x3f) rest = '/' + rest;
    if (rest.charCodeAt(0) !== 0x2f) throw new PathError('unsupported request-target form');
  }
  const q = rest.indexOf('?');
  const rawPath = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? '' : rest.slice(q);
  return { path: normalizePath(rawPath), query, authority };
}
