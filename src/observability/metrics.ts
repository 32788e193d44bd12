/**
 * Prometheus metrics with CONTRACT names. One registry per gateway (no module singletons, so
 * two gateways can share a process). Labels are bounded: route and upstream names come from the
 * config, methods from a fixed list, statuses are three digits.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
/** Label for requests that matched no route. */
export const NO_ROUTE = '(none)';

type CounterChild = ReturnType<Counter<'route' | 'method' | 'status'>['labels']>;
type RouteHistogramChild = ReturnType<Histogram<'route'>['labels']>;
type UpstreamHistogramChild = ReturnType<Histogram<'upstream'>['labels']>;

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly requestDuration: Histogram<'route'>;
  readonly upstreamDuration: Histogram<'upstream'>;
  readonly inflight: Gauge;
  readonly reloads: Counter<'result'>;
  // Label children cached by key: the hot path does one Map lookup instead of label hashing.
  private readonly requestChildren = new Map<string, CounterChild>();
  private readonly durationChildren = new Map<string, RouteHistogramChild>();
  private readonly upstreamChildren = new Map<string, UpstreamHistogramChild>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'portcullis_requests_total', help: 'Requests answered, by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.requestDuration = new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time until the upstream response head arrived, by upstream.',
      labelNames: ['upstream'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.inflight = new Gauge({ name: 'portcullis_inflight_requests', help: 'Requests being handled now.', registers });
    this.reloads = new Counter({ name: 'portcullis_config_reloads_total', help: 'Config reloads, by result (ok or error).', labelNames: ['result'], registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_process_' });
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    const key = `${route}\n${m}\n${status}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = this.requests.labels(route, m, String(status));
      this.requestChildren.set(key, child);
    }
    child.inc();
    let hist = this.durationChildren.get(route);
    if (hist === undefined) {
      hist = this.requestDuration.labels(route);
      this.durationChildren.set(route, hist);
    }
    hist.observe(seconds);
  }

  observeUpstream(upstream: string, seconds: number): void {
    let hist = this.upstreamChildren.get(upstream);
    if (hist === undefined) {
      hist = this.upstreamDuration.labels(upstream);
      this.upstreamChildren.set(upstream, hist);
    }
    hist.observe(seconds);
  }

  /** Drops label sets of routes and upstreams a reload removed, so series do not pile up. */
  retainOnly(routes: ReadonlySet<string>, upstreams: ReadonlySet<string>): void {
    for (const [key, _child] of this.requestChildren) {
      const [route, method, status] = key.split('\n') as [string, string, string];
      if (route !== NO_ROUTE && !routes.has(route)) {
        this.requests.remove(route, method, status);
        this.requestChildren.delete(key);
      }
    }
    for (const route of [...this.durationChildren.keys()]) {
      if (route !== NO_ROUTE && !routes.has(route)) {
        this.requestDuration.remove(route);
        this.durationChildren.delete(route);
      }
    }
    for (const upstream of [...this.upstreamChildren.keys()]) {
      if (!upstreams.has(upstream)) {
        this.upstreamDuration.remove(upstream);
        this.upstreamChildren.delete(upstream);
      }
    }
  }
}
