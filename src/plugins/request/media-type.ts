/**
 * Media types (RFC 9110 §8.3.1): parsing a Content-Type value and matching it against a route's
 * allow-list. Pure functions, no HTTP types.
 *
 * Allow-list entries are `type/subtype` (exact), `type/*` (any subtype of that type) or
 * `type/*+suffix` (any subtype with that structured-syntax suffix, RFC 6839, e.g.
 * `application/*+json`). Matching is case-insensitive and ignores the request's parameters
 * (`; charset=utf-8`).
 */

import { HTTP_TOKEN as TOKEN } from '../../util/http-syntax.js';

export interface MediaType {
  /** Lower-case `type/subtype`. */
  essence: string;
  type: string;
  subtype: string;
  /** Lower-case parameter names → values (quoted strings unquoted); the first of each name wins. */
  params: Record<string, string>;
}

/** Parses a Content-Type value; null when it is not `type/subtype *( ; name=value )`. */
export function parseMediaType(value: string): MediaType | null {
  const semi = value.indexOf(';');
  const head = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const slash = head.indexOf('/');
  if (slash <= 0) return null;
  const type = head.slice(0, slash);
  const subtype = head.slice(slash + 1);
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  const params: Record<string, string> = {};
  if (semi !== -1 && !parseParams(value, semi, params)) return null;
  return { essence: `${type}/${subtype}`, type, subtype, params };
}

/** `; name=value` pairs from `start` (a `;`); false on bad syntax. */
function parseParams(value: string, start: number, out: Record<string, string>): boolean {
  let i = start;
  const n = value.length;
  const skipOws = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  while (i < n) {
    if (value[i] !== ';') return false;
    i++;
    skipOws();
    if (i >= n) return true; // a trailing `;` is tolerated
    if (value[i] === ';') continue;
    const eq = value.indexOf('=', i);
    if (eq === -1) return false;
    const name = value.slice(i, eq).toLowerCase();
    if (!TOKEN.test(name)) return false;
    i = eq + 1;
    let v = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) return false;
        const c = value[i]!;
        if (c === '"') break;
        if (c === '\\') {
          i++;
          if (i >= n) return false;
        }
        v += value[i];
        i++;
      }
      i++;
    } else {
      const end = value.indexOf(';', i);
      v = (end === -1 ? value.slice(i) : value.slice(i, end)).trim();
      if (!TOKEN.test(v)) return false;
      i = end === -1 ? n : end;
    }
    if (!Object.hasOwn(out, name)) out[name] = v;
    skipOws();
  }
  return true;
}

/** A structured-syntax suffix (`json` for `application/vnd.api+json`), or ''. */
function suffixOf(subtype: string): string {
  const plus = subtype.lastIndexOf('+');
  return plus === -1 ? '' : subtype.slice(plus + 1);
}

/** JSON by its media type: `application/json` or any `+json` subtype (RFC 6839). */
export function isJsonMediaType(type: MediaType): boolean {
  return type.essence === 'application/json' || suffixOf(type.subtype) === 'json';
}

/** Why an allow-list entry is not acceptable, or undefined when it is. */
export function mediaRangeProblem(entry: string): string | undefined {
  const trimmed = entry.trim();
  if (trimmed.includes(';')) return 'list a media type without parameters (they are ignored when matching)';
  const slash = trimmed.indexOf('/');
  const type = trimmed.slice(0, slash);
  const subtype = trimmed.slice(slash + 1);
  if (slash <= 0) return 'must be a media type such as application/json';
  if (type === '*') return 'must name a type (`*/*` would accept anything; leave contentTypes out instead)';
  if (!TOKEN.test(type)) return 'must be a media type such as application/json';
  if (subtype === '*') return undefined;
  if (subtype.startsWith('*+')) return TOKEN.test(subtype.slice(2)) && !subtype.slice(2).includes('*') ? undefined : 'a suffix pattern looks like application/*+json';
  if (subtype.includes('*')) return 'a wildcard is only `type/*` or `type/*+suffix`';
  return TOKEN.test(subtype) ? undefined : 'must be a media type such as application/json';
}

/** An allow-list compiled once: sets for exact types, whole types and type+suffix pairs. */
export class MediaTypeMatcher {
  private readonly exact = new Set<string>();
  private readonly anySubtype = new Set<string>();
  /** `type/suffix` keys, e.g. `application/json` for `application/*+json`. */
  private readonly bySuffix = new Set<string>();
  /** Whether some accepted media type is JSON (for routes that validate JSON). */
  readonly acceptsJson: boolean;

  constructor(entries: readonly string[]) {
    let json = false;
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      const [type = '', subtype = ''] = entry.split('/');
      if (subtype === '*') {
        this.anySubtype.add(type);
        if (type === 'application') json = true;
      } else if (subtype.startsWith('*+')) {
        const suffix = subtype.slice(2);
        this.bySuffix.add(`${type}/${suffix}`);
        if (suffix === 'json') json = true;
      } else {
        this.exact.add(entry);
        if (entry === 'application/json' || suffixOf(subtype) === 'json') json = true;
      }
    }
    this.acceptsJson = json;
  }

  matches(type: MediaType): boolean {
    if (this.exact.has(type.essence) || this.anySubtype.has(type.type)) return true;
    const suffix = suffixOf(type.subtype);
    return suffix !== '' && this.bySuffix.has(`${type.type}/${suffix}`);
  }
}
