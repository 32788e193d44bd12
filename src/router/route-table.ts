/**
 * The route table: host → radix path (find-my-way) → candidates filtered by headers and method.
 *
 * - `match.path` is a prefix ending at a segment boundary (`/api/orders` matches `/api/orders`
 *   and `/api/orders/7`, never `/api/ordersX`), or an exact path with `exact: true`;
 *   `:name` segments capture params.
 * - The most specific route wins whatever the file order: an exact host beats a wildcard host
 *   (longer suffix first) which beats any host; within a host, find-my-way's static > param >
 *   wildcard order picks the deepest path; on one path, exact before prefix, more header
 *   conditions first, method-restricted before any-method, then by name.
 * - When the best path's routes refuse the method or headers, shorter prefixes are tried, so
 *   `/api` (all methods) still serves `POST /api/orders` when `/api/orders` is GET-only.
 *
 * Cost: one radix lookup per path level actually tried — it grows with the path's length,
 * never with the number of routes.
 */
import FindMyWay from 'find-my-way';
import { hasEmptyParam, matchSegments, overlaps, parentPath, patternOrder, positional } from './pattern.js';

export { PARAM_SEGMENT } from './pattern.js';

export interface RouteMatch {
  /** Normalised path prefix or exact path, e.g. `/api/orders/:id`. */
  readonly path: string;
  readonly exact: boolean;
  /** Upper-case methods, or null for any. */
  readonly methods: readonly string[] | null;
  /** Lower-case hosts (`api.example.com`, `*.example.com`), or null for any. */
  readonly hosts: readonly string[] | null;
  /** Lower-case header name and the exact value it must have. */
  readonly headers: readonly (readonly [string, string])[];
}

export interface Routable {
  readonly name: string;
  readonly match: RouteMatch;
}

export type LookupResult<R> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' };

interface Candidate<R> {
  route: R;
  /** Param names by position, as the route spelled them. */
  paramNames: string[];
}

interface Slot<R> {
  /** Registered pattern split on `/` (`/api/:p1/*` → ['', 'api', ':p1', '*']). */
  segments: string[];
  /** Candidates valid when the whole request path matched this pattern. */
  all: Candidate<R>[];
  /** Candidates valid when only a leading part of the request path matched (prefix routes). */
  prefixOnly: Candidate<R>[];
  /**
   * Other patterns that can match some of the same paths, most specific first. find-my-way
   * returns only the best pattern; when its routes all refuse (method, headers), these are tried
   * against the concrete path before shorter prefixes, so `/api/orders` (GET only) does not hide
   * `/api/:collection` from a POST.
   */
  alternates: Slot<R>[];
}

type Tree<R> = { fmw: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>; slots: Map<string, Slot<R>> };

const NOT_FOUND = { kind: 'not_found' } as const;
const EMPTY_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function specificity<R extends Routable>(a: Candidate<R>, b: Candidate<R>): number {
  const ma = a.route.match;
  const mb = b.route.match;
  if (ma.exact !== mb.exact) return ma.exact ? -1 : 1;
  if (ma.headers.length !== mb.headers.length) return mb.headers.length - ma.headers.length;
  if ((ma.methods === null) !== (mb.methods === null)) return ma.methods === null ? 1 : -1;
  return a.route.name < b.route.name ? -1 : a.route.name > b.route.name ? 1 : 0;
}

export class RouteTable<R extends Routable> {
  private readonly exactHosts = new Map<string, Tree<R>>();
  /** Wildcard hosts as `.example.com` suffixes, longest first. */
  private readonly wildcardHosts: { suffix: string; tree: Tree<R> }[] = [];
  private readonly anyHost: Tree<R> = RouteTable.newTree();
  readonly routes: readonly R[];

  constructor(routes: readonly R[]) {
    this.routes = routes;
    for (const route of routes) {
      for (const tree of this.treesFor(route.match.hosts)) this.insert(tree, route);
    }
    this.wildcardHosts.sort((a, b) => b.suffix.length - a.suffix.length || (a.suffix < b.suffix ? -1 : 1));
    for (const tree of this.allTrees()) {
      const slots = [...tree.slots.values()];
      for (const slot of slots) {
        slot.all.sort(specificity);
        slot.prefixOnly.sort(specificity);
        slot.alternates = slots.filter((other) => other !== slot && overlaps(slot.segments, other.segments)).sort((a, b) => patternOrder(a.segments, b.segments));
      }
    }
  }

  private static newTree<R>(): Tree<R> {
    // Paths arrive normalised; find-my-way must not second-guess them. Its default
    // maxParamLength (100) would turn a long id into a silent 404; the request head is
    // already capped by limits.maxHeaderSize.
    return { fmw: FindMyWay({ caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 1 << 20 }), slots: new Map() };
  }

  private *allTrees(): Iterable<Tree<R>> {
    yield this.anyHost;
    yield* this.exactHosts.values();
    for (const w of this.wildcardHosts) yield w.tree;
  }

  private treesFor(hosts: readonly string[] | null): Tree<R>[] {
    if (hosts === null) return [this.anyHost];
    return hosts.map((host) => {
      if (host.startsWith('*.')) {
        const suffix = host.slice(1);
        let entry = this.wildcardHosts.find((w) => w.suffix === suffix);
        if (!entry) this.wildcardHosts.push((entry = { suffix, tree: RouteTable.newTree() }));
        return entry.tree;
      }
      let tree = this.exactHosts.get(host);
      if (!tree) this.exactHosts.set(host, (tree = RouteTable.newTree()));
      return tree;
    });
  }

  private slot(tree: Tree<R>, pattern: string): Slot<R> {
    let slot = tree.slots.get(pattern);
    if (!slot) {
      slot = { segments: pattern.split('/'), all: [], prefixOnly: [], alternates: [] };
      tree.slots.set(pattern, slot);
      tree.fmw.on('GET', pattern, () => undefined, slot);
    }
    return slot;
  }

  private insert(tree: Tree<R>, route: R): void {
    const { pattern, names } = positional(route.match.path);
    const candidate: Candidate<R> = { route, paramNames: names };
    const base = this.slot(tree, pattern);
    base.all.push(candidate);
    if (route.match.exact) return;
    base.prefixOnly.push(candidate);
    // Everything below the prefix, at a segment boundary.
    const below = this.slot(tree, pattern.endsWith('/') ? pattern + '*' : pattern + '/*');
    below.all.push(candidate);
    below.prefixOnly.push(candidate);
  }

  private treesForHost(host: string): Tree<R>[] {
    const trees: Tree<R>[] = [];
    const exact = this.exactHosts.get(host);
    if (exact) trees.push(exact);
    for (const w of this.wildcardHosts) {
      // `*.example.com` matches one or more labels before `.example.com`, never `example.com`.
      if (host.length > w.suffix.length && host.endsWith(w.suffix)) trees.push(w.tree);
    }
    trees.push(this.anyHost);
    return trees;
  }

  /**
   * Finds the route for a normalised path. `host` is lower-case without port; `headers` are
   * Node's lower-cased request headers.
   */
  lookup(method: string, host: string, path: string, headers: Record<string, string | string[] | undefined>): LookupResult<R> {
    let allow: Set<string> | null = null;
    const trees = this.exactHosts.size === 0 && this.wildcardHosts.length === 0 ? [this.anyHost] : this.treesForHost(host);
    for (const tree of trees) {
      let current = path;
      let prefixOnly = false;
      for (;;) {
        const found = tree.fmw.find('GET', current);
        if (found) {
          const best = found.store as Slot<R>;
          let segments: string[] | null = null;
          for (let k = -1; k < best.alternates.length; k++) {
            let slot = best;
            let params = found.params as Record<string, string | undefined>;
            if (k >= 0) {
              slot = best.alternates[k]!;
              segments ??= current.split('/');
              const extracted = matchSegments(slot.segments, segments);
              if (extracted === null) continue;
              params = extracted;
            } else if (hasEmptyParam(params)) {
              continue;
            }
            const candidates = prefixOnly ? slot.prefixOnly : slot.all;
            for (let i = 0; i < candidates.length; i++) {
              const c = candidates[i]!;
              const m = c.route.match;
              if (!headersMatch(m.headers, headers)) continue;
              if (m.methods === null || m.methods.includes(method)) {
                return { kind: 'found', route: c.route, params: c.paramNames.length === 0 ? EMPTY_PARAMS : nameParams(c.paramNames, params) };
              }
              allow ??= new Set();
              for (const x of m.methods) allow.add(x);
            }
          }
        }
        if (current === '/') break;
        current = parentPath(current);
        prefixOnly = true;
      }
    }
    if (allow) return { kind: 'method_not_allowed', allow: [...allow].sort() };
    return NOT_FOUND;
  }
}

function headersMatch(wanted: readonly (readonly [string, string])[], headers: Record<string, string | string[] | undefined>): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const [name, value] = wanted[i]!;
    if (headers[name] !== value) return false;
  }
  return true;
}

function nameParams(names: string[], positional: Record<string, string | undefined>): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) params[names[i]!] = positional[`p${i + 1}`] ?? '';
  return params;
}
