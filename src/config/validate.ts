/**
 * Validate: the whole document against the core and plugin schemas, then the checks a schema
 * cannot express (cross references, URL and CIDR syntax, listener safety, shadowed routes).
 * Every problem is collected; nothing is built while any error remains.
 */
import { isIP } from 'node:net';
import { Ajv, type ErrorObject } from 'ajv';
import type { Problem, ValidateContext } from '../plugins/define-plugin.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { buildConfigSchema, type GatewayConfig, type RouteConfig, type UpstreamConfig } from './schema.js';
import { IDEMPOTENT_METHODS } from './upstream-schema.js';
import { validateDiscovery } from '../discovery/validate.js';
import { parseDuration } from './units.js';
import { parseCidr } from '../util/cidr.js';
import { PARAM_SEGMENT } from '../router/route-table.js';
import { normalizePath, PathError } from '../router/normalize-path.js';
import { parseListen } from '../util/listen.js';
import { HTTP_TOKEN } from '../util/http-syntax.js';

export interface ValidationResult {
  config: GatewayConfig | undefined;
  errors: Problem[];
  warnings: Problem[];
}

const validators = new WeakMap<PluginRegistry, ReturnType<Ajv['compile']>>();

function schemaValidator(registry: PluginRegistry) {
  let validate = validators.get(registry);
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    ajv.addVocabulary(['x-message']);
    validate = ajv.compile(buildConfigSchema(registry.routeSchemas(), registry.globalSchemas()));
    validators.set(registry, validate);
  }
  return validate;
}

export function validateConfig(data: unknown, registry: PluginRegistry, context: ValidateContext = { configDir: process.cwd() }): ValidationResult {
  const validate = schemaValidator(registry);
  const schemaOk = validate(data) as boolean;
  const schemaErrors = schemaOk ? [] : formatAjvErrors(validate.errors ?? []);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { config: undefined, errors: schemaErrors, warnings: [] };
  // Semantic checks run even when the schema failed, so every problem is reported at once; on a
  // part the schema already refused they add nothing (that place has its error).
  const refused = schemaErrors.map((p) => p.path.join('\u0000'));
  const underRefused = (p: Problem) => {
    const key = p.path.join('\u0000');
    return refused.some((r) => key === r || key.startsWith(r + '\u0000') || r.startsWith(key + '\u0000'));
  };
  const problems = semanticProblems(data as GatewayConfig, registry, schemaOk, context).filter((p) => !underRefused(p));
  const errors = [...schemaErrors, ...problems.filter((p) => p.severity !== 'warning')];
  return {
    config: errors.length > 0 ? undefined : (data as GatewayConfig),
    errors,
    warnings: problems.filter((p) => p.severity === 'warning'),
  };
}

/** Runs a check on data the schema may have refused: a shape it did not expect just yields nothing. */
function guard(check: () => void): void {
  try {
    check();
  } catch {
    // The schema error for this part is already reported.
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * For each failed union whose value is an object and which has exactly one object branch, that
 * branch's schema path: its own errors are the ones to show (`retries.attempts: must be <= 10`
 * rather than "must be false or a retries object"). Other unions speak with their own message.
 */
function chosenBranches(unions: ErrorObject[]): Map<ErrorObject, string> {
  const chosen = new Map<ErrorObject, string>();
  for (const u of unions) {
    const data: unknown = u.data;
    if (data === null || typeof data !== 'object' || Array.isArray(data) || !Array.isArray(u.schema)) continue;
    const objects = (u.schema as { type?: unknown }[]).flatMap((branch, i) => (branch?.type === 'object' ? [i] : []));
    if (objects.length === 1) chosen.set(u, `${u.schemaPath}/${objects[0]}/`);
  }
  return chosen;
}

/** One readable problem per failing place; union branches collapse into the union's own message unless one branch is clearly meant. */
function formatAjvErrors(errors: ErrorObject[]): Problem[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const chosen = chosenBranches(unions);
  const shown = (e: ErrorObject) => {
    if (chosen.has(e)) return false;
    for (const u of unions) {
      if (u === e || !e.schemaPath.startsWith(`${u.schemaPath}/`)) continue;
      const branch = chosen.get(u);
      if (branch === undefined || !e.schemaPath.startsWith(branch)) return false;
    }
    return true;
  };
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    if (!shown(e)) continue;
    let path = pointerToPath(e.instancePath);
    let message: string;
    const custom = (e.parentSchema as Record<string, unknown> | undefined)?.['x-message'];
    if (e.keyword === 'additionalProperties') {
      path = [...path, String((e.params as { additionalProperty: string }).additionalProperty)];
      message = 'unknown key';
    } else if (e.keyword === 'required') {
      path = [...path, String((e.params as { missingProperty: string }).missingProperty)];
      message = 'is required';
    } else if (typeof custom === 'string') {
      message = custom;
    } else {
      message = e.message ?? 'is invalid';
    }
    const key = `${path.join('.')}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}

function isRedisUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function semanticProblems(config: GatewayConfig, registry: PluginRegistry, schemaOk: boolean, context: ValidateContext): Problem[] {
  const problems: Problem[] = [];
  const error = (path: (string | number)[], message: string) => problems.push({ path, message });
  const str = (v: unknown): v is string => typeof v === 'string';

  for (const [key, value] of [['listen', config.listen], ['admin', config.admin?.listen]] as const) {
    if (!str(value)) continue;
    const parsed = parseListen(value);
    const path = key === 'listen' ? ['listen'] : ['admin', 'listen'];
    if (!parsed) error(path, 'must be host:port, e.g. 127.0.0.1:8080');
    else if (key === 'admin' && !config.admin?.token && !parsed.loopback) {
      error(path, 'admin must listen on a loopback address unless admin.token is set');
    }
  }
  guard(() =>
    config.trustedProxies?.forEach((cidr, i) => {
      if (str(cidr) && !parseCidr(cidr)) error(['trustedProxies', i], `"${cidr}" is not an IPv4 or IPv6 address or CIDR`);
    }),
  );

  if (str(config.redis) && !isRedisUrl(config.redis)) error(['redis'], 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');

  const upstreams = config.upstreams !== null && typeof config.upstreams === 'object' ? config.upstreams : {};
  for (const [name, upstream] of Object.entries(upstreams)) {
    guard(() => {
      const discovery = upstream.discovery;
      if (upstream.targets === undefined && discovery === undefined) error(['upstreams', name], 'needs targets or discovery');
      if (upstream.targets !== undefined && discovery !== undefined) error(['upstreams', name, 'discovery'], 'use either targets or discovery, not both');
      if (discovery !== undefined) for (const p of validateDiscovery(discovery)) error(['upstreams', name, 'discovery', ...p.path], p.message);
    });
    guard(() => problems.push(...resilienceProblems(name, upstream)));
    guard(() =>
      upstream.targets?.forEach((target, i) => {
        const url = typeof target === 'string' ? target : target.url;
        const path = typeof target === 'string' ? ['upstreams', name, 'targets', i] : ['upstreams', name, 'targets', i, 'url'];
        const problem = str(url) ? targetUrlProblem(url) : undefined;
        if (problem) error(path, problem);
      }),
    );
    guard(() => {
      // hashOn is consistent-hash's key: required there, and a likely mistake anywhere else.
      const hashing = upstream.balancer === 'consistent-hash';
      if (hashing && upstream.hashOn === undefined) error(['upstreams', name, 'hashOn'], 'is required with balancer consistent-hash (ip, header:NAME or cookie:NAME)');
      if (!hashing && upstream.hashOn !== undefined) error(['upstreams', name, 'hashOn'], 'is only used with balancer consistent-hash');
    });
  }

  const names = new Map<string, number>();
  const routes = Array.isArray(config.routes) ? config.routes : [];
  routes.forEach((route, i) => guard(() => {
    const at = (...rest: (string | number)[]) => ['routes', i, ...rest];
    const first = names.get(route.name);
    if (first !== undefined) error(at('name'), `duplicate route name "${route.name}" (also routes[${first}])`);
    else names.set(route.name, i);
    if (str(route.upstream) && !Object.hasOwn(upstreams, route.upstream)) error(at('upstream'), `unknown upstream "${route.upstream}"`);
    const pathProblem = str(route.match.path) ? routePathProblem(route.match.path) : undefined;
    if (pathProblem) error(at('match', 'path'), pathProblem);
    for (const [j, host] of hostsOf(route).entries()) {
      if (!HOST_PATTERN.test(host)) error(Array.isArray(route.match.host) ? at('match', 'host', j) : at('match', 'host'), `"${host}" is not a host name or *.domain pattern`);
    }
    for (const header of Object.keys(route.match.headers ?? {})) {
      if (!HTTP_TOKEN.test(header)) error(at('match', 'headers', header), 'is not a valid header name');
    }
    if (route.rewrite !== undefined && route.stripPrefix) error(at('rewrite'), 'use either rewrite or stripPrefix, not both');
    if (route.retries) {
      for (const key of ['budget', 'minRetriesPerSecond'] as const) {
        if (route.retries[key] !== undefined) error(at('retries', key), "is the upstream's (the budget caps retries to the upstream from all its routes): set it in upstreams.<name>.retries");
      }
    }
    if (route.rewrite !== undefined && routePathProblem(route.rewrite, false)) error(at('rewrite'), 'must be a normalised path without params');
    // A plugin's own checks assume its schema held: only on a config the schema accepted.
    if (!schemaOk) return;
    for (const plugin of registry.ordered()) {
      const value = route[plugin.configKey];
      if (value === undefined || !plugin.validate) continue;
      for (const p of plugin.validate(value as never, route, config, context)) problems.push({ ...p, path: at(plugin.configKey, ...p.path) });
    }
  }));
  if (schemaOk) {
    for (const plugin of registry.ordered()) {
      const value = config[plugin.configKey];
      if (value === undefined || !plugin.globalSchema || !plugin.validateGlobal) continue;
      for (const p of plugin.validateGlobal(value as never, config)) problems.push({ ...p, path: [plugin.configKey, ...p.path] });
    }
    problems.push(...shadowedRoutes(config.routes));
  }
  return problems;
}

/** Retries, health checks and the breaker: what the schema cannot say. */
function resilienceProblems(name: string, upstream: UpstreamConfig): Problem[] {
  const problems: Problem[] = [];
  const at = (...rest: (string | number)[]) => ['upstreams', name, ...rest];
  const idempotent = new Set<string>(IDEMPOTENT_METHODS);
  upstream.retries?.methods?.forEach((m, i) => {
    if (!idempotent.has(m)) problems.push({ path: at('retries', 'methods', i), message: `${m} is not idempotent: only a route may opt it in (routes[].retries.methods)` });
  });
  const r = upstream.retries;
  if (r?.backoff !== undefined && r.maxBackoff !== undefined && parseDuration(r.maxBackoff) < parseDuration(r.backoff)) problems.push({ path: at('retries', 'maxBackoff'), message: 'must not be shorter than backoff' });
  const hc = upstream.healthCheck;
  if (hc !== undefined && hc.path === undefined) {
    for (const key of ['interval', 'timeout', 'healthy', 'unhealthy', 'statuses'] as const) {
      if (hc[key] !== undefined) problems.push({ path: at('healthCheck', key), message: 'configures active checks, which need healthCheck.path' });
    }
  }
  if (hc?.interval !== undefined && hc.timeout !== undefined && parseDuration(hc.timeout) > parseDuration(hc.interval)) problems.push({ path: at('healthCheck', 'timeout'), message: 'must not be longer than interval' });
  if (hc?.passive && hc.passive.ejectTime !== undefined && hc.passive.maxEjectTime !== undefined && parseDuration(hc.passive.maxEjectTime) < parseDuration(hc.passive.ejectTime)) {
    problems.push({ path: at('healthCheck', 'passive', 'maxEjectTime'), message: 'must not be shorter than ejectTime' });
  }
  return problems;
}

function hostsOf(route: RouteConfig): string[] {
  const host = route.match.host;
  return host === undefined ? [] : (Array.isArray(host) ? host : [host]).map((h) => h.toLowerCase());
}

function targetUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 && url.hostname === '') return 'must name a host';
  return undefined;
}

function routePathProblem(path: string, allowParams = true): string | undefined {
  let normal: string;
  try {
    normal = normalizePath(path);
  } catch (err) {
    return `is not a valid path: ${(err as PathError).message}`;
  }
  if (normal !== path) return `must be written normalised, as "${normal}"`;
  // find-my-way compares decoded request paths: a route names characters, not their escapes.
  if (path.includes('%')) return 'write characters as they are (e.g. /café), not percent-encoded';
  for (const segment of path.split('/')) {
    if (segment.includes('*')) return 'wildcards are not supported: a path is already a prefix';
    if (segment.startsWith(':') ? !allowParams || !PARAM_SEGMENT.test(segment) : segment.includes(':')) {
      return allowParams ? `segment "${segment}": a param is a whole segment ":name"` : 'must not contain params';
    }
  }
  return undefined;
}

/** The methods a route really takes: HEAD follows GET (as compile.ts does). */
function withHead(methods: readonly string[] | undefined): readonly string[] | undefined {
  return methods && methods.includes('GET') && !methods.includes('HEAD') ? [...methods, 'HEAD'] : methods;
}

/** A route is dead when another has the same host, path, kind and headers and takes all its methods. */
function shadowedRoutes(routes: RouteConfig[]): Problem[] {
  const warnings: Problem[] = [];
  const keyOf = (r: RouteConfig) =>
    JSON.stringify([hostsOf(r).sort(), r.match.path.replace(/:[^/]+/g, ':'), r.match.exact ?? false, Object.entries(r.match.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]).sort()]);
  const byKey = new Map<string, number[]>();
  routes.forEach((r, i) => {
    const key = keyOf(r);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  for (const indexes of byKey.values()) {
    for (const i of indexes) {
      for (const j of indexes) {
        if (i === j) continue;
        const a = routes[i]!;
        const b = routes[j]!;
        // Same match: method-restricted routes come before any-method ones, then by name.
        const am = withHead(a.match.methods);
        const bm = withHead(b.match.methods);
        const covers = am === undefined ? bm === undefined : bm !== undefined && bm.every((m) => am.includes(m));
        if (covers && a.name < b.name) {
          warnings.push({ path: ['routes', j], message: `route "${b.name}" is shadowed by route "${a.name}" (routes[${i}]) and never matches`, severity: 'warning' });
          break;
        }
      }
    }
  }
  return warnings;
}
