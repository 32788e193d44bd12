/**
 * The admin listener (default 127.0.0.1:9901): liveness, readiness, Prometheus metrics, the
 * route and upstream views, reload, and the dashboard page. `/admin/*` needs the admin token
 * when one is set; without a token the listener may only bind a loopback address (validated).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RuntimeState } from '../config/runtime-state.js';
import { GatewayError, sendError } from '../errors.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { bearerMatches } from './admin-auth.js';
import { DASHBOARD_HTML } from './dashboard.js';

export interface ReloadOutcome {
  ok: boolean;
  generation: number;
  errors: string[];
  warnings: string[];
}

export interface AdminDeps {
  current(): RuntimeState;
  metrics: GatewayMetrics;
  logger: Logger;
  reload(): Promise<ReloadOutcome>;
  draining(): boolean;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export function routesView(state: RuntimeState) {
  return state.routes.map((r) => ({
    name: r.name,
    match: { path: r.match.path, exact: r.match.exact, methods: r.match.methods, hosts: r.match.hosts, headers: Object.fromEntries(r.match.headers) },
    upstream: r.upstream.name,
    stripPrefix: r.config.stripPrefix ?? false,
    rewrite: r.config.rewrite ?? null,
    plugins: r.plugins,
  }));
}

export function upstreamsView(state: RuntimeState) {
  return [...state.upstreams.values()].map((u) => {
    const now = u.clock.now();
    return {
      name: u.name,
      balancer: u.balancerName,
      source: u.source,
      timeouts: { connectMs: u.connectTimeoutMs, responseMs: u.responseTimeoutMs },
      targets: u.targets.map((t) => {
        const stats = t.pool.stats;
        const h = t.health;
        const ejectedUntil = h.outlier !== null && h.outlier.ejected(now) ? h.outlier.ejectedUntil() : 0;
        return {
          id: t.id,
          url: t.url,
          weight: t.weight,
          healthy: h.healthy(now),
          inRotation: h.available(now),
          health: { probe: h.probeHealthy ? 'passing' : 'failing', ejectedUntil: ejectedUntil === 0 ? null : new Date(ejectedUntil).toISOString(), ejections: h.outlier?.ejections ?? 0 },
          circuit: h.breaker === null ? null : h.breaker.state(now),
          inflight: t.load.inflight,
          connections: { connected: stats.connected, free: stats.free, pending: stats.pending, running: stats.running },
        };
      }),
    };
  });
}

/** Ready once a config is loaded and every upstream a route uses has a target that takes requests. */
function readiness(state: RuntimeState, draining: boolean): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (draining) reasons.push('shutting down');
  const used = new Set(state.routes.map((r) => r.upstream));
  for (const upstream of used) {
    if (upstream.targets.length === 0) reasons.push(`upstream ${upstream.name} has no target`);
    else if (!upstream.hasHealthyTarget()) reasons.push(`upstream ${upstream.name} has no healthy target`);
  }
  return { ready: reasons.length === 0, reasons };
}

async function route(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  const state = deps.current();
  const path = (req.url ?? '/').split('?')[0]!;
  const method = req.method ?? 'GET';
  const requestId = randomUUID();
  const fail = (err: GatewayError) => sendError(res, err, requestId);

  if (path.startsWith('/admin/') && !bearerMatches(req.headers.authorization, state.admin.token)) {
    return fail(new GatewayError('invalid_token', { headers: { 'www-authenticate': 'Bearer realm="portcullis-admin"' } }));
  }
  const only = (allowed: string) => {
    if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return true;
    fail(new GatewayError('method_not_allowed', { headers: { allow: allowed === 'GET' ? 'GET, HEAD' : allowed } }));
    return false;
  };
  switch (path) {
    case '/':
      if (!only('GET')) return;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'" });
      return void res.end(DASHBOARD_HTML);
    case '/health':
      if (!only('GET')) return;
      return json(res, 200, { status: 'ok' });
    case '/ready': {
      if (!only('GET')) return;
      const r = readiness(state, deps.draining());
      return json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', generation: state.generation, reasons: r.reasons });
    }
    case '/metrics': {
      if (!only('GET')) return;
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
      return void res.end(text);
    }
    case '/admin/routes':
      if (!only('GET')) return;
      return json(res, 200, { generation: state.generation, routes: routesView(state) });
    case '/admin/upstreams':
      if (!only('GET')) return;
      return json(res, 200, { generation: state.generation, upstreams: upstreamsView(state) });
    case '/admin/reload': {
      if (!only('POST')) return;
      const outcome = await deps.reload();
      return json(res, outcome.ok ? 200 : 400, outcome);
    }
    default:
      return fail(new GatewayError('not_found', { message: 'No admin endpoint at this path.' }));
  }
}

export function createAdminServer(deps: AdminDeps): Server {
  // No requireHostHeader: node's 400 for it has an empty body; the admin API answers JSON.
  const server = createServer({ requireHostHeader: false, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    route(req, res, deps).catch((err: unknown) => {
      deps.logger.error({ err }, 'admin request failed');
      sendError(res, new GatewayError('internal_error'), randomUUID());
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}
