/**
 * A realistic 1,000-route config: three API versions of twenty resources, each as collection,
 * item, sub-collection and sub-item paths with named params; some routes bound to hosts (exact
 * and wildcard), some to methods; shuffled with a fixed seed so insertion order is not
 * alphabetical. The benchmarked route (BENCH_ROUTE) is inserted at position 700, not first.
 *
 * Every other route's upstream points at a closed port on purpose: a benchmark request that the
 * gateway routed anywhere else would come back 502 and fail the runner's pre-check, instead of
 * silently measuring the wrong route.
 */

export const BENCH_ROUTE = {
  name: 'invoice-line',
  path: '/api/v2/invoices/:invoiceId/lines/:lineId',
  methods: ['GET'],
  /** A request it takes. */
  request: '/api/v2/invoices/inv_7f3a9c/lines/3?expand=tax',
} as const;

const VERSIONS = ['v1', 'v2', 'v3'];
const RESOURCES = [
  'accounts', 'users', 'orders', 'products', 'invoices', 'payments', 'shipments', 'carts', 'reviews', 'inventory',
  'warehouses', 'subscriptions', 'coupons', 'refunds', 'notifications', 'sessions', 'teams', 'projects', 'tickets', 'webhooks',
];
const SUBS = ['items', 'lines', 'events', 'history', 'attachments', 'comments', 'settings', 'members', 'audit'];
const HOSTS = ['api.example.com', 'admin.example.com', '*.partners.example.com', 'eu.api.example.com'];
const METHOD_SETS = [null, ['GET'], ['GET', 'HEAD'], ['POST'], ['PUT', 'PATCH'], null, ['DELETE'], null];

interface GeneratedRoute {
  name: string;
  path: string;
  methods: readonly string[] | null;
  host: string | null;
  upstream: string;
}

/** Deterministic PRNG (mulberry32) so every run benchmarks the same table. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function singular(resource: string): string {
  return resource.endsWith('ies') ? resource.slice(0, -3) + 'y' : resource.endsWith('s') ? resource.slice(0, -1) : resource;
}

/** Every (version, resource, shape) path, 3 × 20 × 20 = 1,200 of them, none equal to BENCH_ROUTE's. */
function allPaths(): { path: string; resource: string }[] {
  const out: { path: string; resource: string }[] = [];
  for (const v of VERSIONS) {
    for (const r of RESOURCES) {
      const id = `:${singular(r)}Id`;
      const base = `/api/${v}/${r}`;
      out.push({ path: base, resource: r }, { path: `${base}/${id}`, resource: r });
      for (const s of SUBS) {
        out.push({ path: `${base}/${id}/${s}`, resource: r }, { path: `${base}/${id}/${s}/:${singular(s)}Id`, resource: r });
      }
    }
  }
  // Same shape as the benchmarked route: it is added once, below, under its own name.
  return out.filter((p) => p.path.replace(/:[A-Za-z]+/g, ':') !== BENCH_ROUTE.path.replace(/:[A-Za-z]+/g, ':'));
}

export function generateRoutes(count: number): GeneratedRoute[] {
  const random = prng(0x5eed);
  const paths = allPaths();
  for (let i = paths.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [paths[i], paths[j]] = [paths[j]!, paths[i]!];
  }
  const routes: GeneratedRoute[] = paths.slice(0, count - 1).map((p, i) => ({
    name: `r${String(i).padStart(4, '0')}-${p.resource}`,
    path: p.path,
    methods: METHOD_SETS[i % METHOD_SETS.length] ?? null,
    // Every sixth route is bound to a host, so lookups go through the host tables too.
    host: i % 6 === 5 ? HOSTS[Math.floor(i / 6) % HOSTS.length]! : null,
    upstream: `svc-${p.resource}`,
  }));
  routes.splice(Math.min(700, routes.length), 0, { name: BENCH_ROUTE.name, path: BENCH_ROUTE.path, methods: BENCH_ROUTE.methods, host: null, upstream: 'bench' });
  return routes;
}

/** YAML for a gateway with `count` routes (1 → only the benchmarked route). */
export function routesConfig(count: number, upstream: string, deadTarget: string): string {
  const routes = count === 1 ? [{ name: BENCH_ROUTE.name, path: BENCH_ROUTE.path, methods: BENCH_ROUTE.methods, host: null, upstream: 'bench' }] : generateRoutes(count);
  const upstreams = new Set(routes.map((r) => r.upstream));
  const lines = ['upstreams:'];
  for (const name of upstreams) lines.push(`  ${name}: { targets: [${name === 'bench' ? upstream : deadTarget}] }`);
  lines.push('routes:');
  for (const r of routes) {
    const match = [`path: "${r.path}"`];
    if (r.methods) match.push(`methods: [${r.methods.join(', ')}]`);
    if (r.host) match.push(`host: "${r.host}"`);
    lines.push(`  - { name: ${r.name}, upstream: ${r.upstream}, match: { ${match.join(', ')} } }`);
  }
  return lines.join('\n') + '\n';
}
