/**
 * Roles and scopes: read from token claims by a configured path, and checked against what a
 * route requires (`match: any | all`). Pure functions, no HTTP.
 */

/**
 * Reads a claim by path: the whole path as one claim name first (namespaced claims such as
 * `https://example.com/roles` contain dots), else a dotted walk (`realm_access.roles`).
 */
export function readClaim(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  if (!path.includes('.')) return undefined;
  let value: unknown = claims;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** A claim value as a list of strings; a string is split on whitespace when `split`. */
export function stringList(value: unknown, split: boolean): string[] | undefined {
  if (typeof value === 'string') return split ? value.split(/\s+/).filter((s) => s !== '') : value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return undefined;
}

/** The first of `paths` that holds a string or a list. */
export function listFromClaims(claims: Readonly<Record<string, unknown>>, paths: readonly string[], split: boolean): string[] {
  for (const path of paths) {
    const list = stringList(readClaim(claims, path), split);
    if (list !== undefined) return list;
  }
  return [];
}

export const DEFAULT_ROLE_CLAIMS = ['role', 'roles'] as const;
export const DEFAULT_SCOPE_CLAIMS = ['scope', 'scp'] as const;

/** What a route requires; null when it requires nothing. */
export interface Requirement {
  roles: readonly string[] | null;
  scopes: readonly string[] | null;
  all: boolean;
}

function satisfies(have: readonly string[], need: readonly string[], all: boolean): boolean {
  return all ? need.every((n) => have.includes(n)) : need.some((n) => have.includes(n));
}

/** True when the identity's roles and scopes meet the requirement (both, when both are set). */
export function isAuthorized(req: Requirement, roles: readonly string[], scopes: readonly string[]): boolean {
  if (req.roles !== null && !satisfies(roles, req.roles, req.all)) return false;
  if (req.scopes !== null && !satisfies(scopes, req.scopes, req.all)) return false;
  return true;
}
