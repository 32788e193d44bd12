/**
 * Prometheus metrics with CONTRACT names. One registry per gateway (no module singletons, so
 * two gateways can share a process). Labels are bounded: route and upstream names come from the
 * config, methods from a fixed list, statuses are three digits.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
/** Label for requests that matched no route. */
export const NO_ROUTE = '(none)';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new FastCounter('portcullis_requests_total', 'Requests answered, by route, method and status.');
  readonly requestDuration = new FastHistogram('portcullis_request_duration_seconds', 'Time from request arrival to the end of the response, by route.', BUCKETS, 'route');
  readonly upstreamDuration = new FastHistogram('portcullis_upstream_duration_seconds', 'Time until the upstream response head arrived, by upstream.', BUCKETS, 'upstream');
  readonly rateLimited = new FastCounter('portcullis_rate_limited_total', 'Requests refused by a rate limit (429), by route.');
  readonly retries = new FastCounter('portcullis_upstream_retries_total', 'Retries sent to an upstream (tries after the first), by upstream.');
  readonly inflight: Gauge;
  readonly reloads: Counter<'result'>;
  /** Requests being handled now (read by the inflight gauge at scrape time). */
  private inflightCount = 0;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.registry.registerMetric(this.requests as never);
    this.registry.registerMetric(this.requestDuration as never);
    this.registry.registerMetric(this.upstreamDuration as never);
    this.registry.registerMetric(this.rateLimited as never);
    this.registry.registerMetric(this.retries as never);
    const self = this;
    this.inflight = new Gauge({
      name: 'portcullis_inflight_requests',
      help: 'Requests being handled now.',
      registers,
      collect() {
        this.set(self.inflightCount);
      },
    });
    this.reloads = new Counter({ name: 'portcullis_config_reloads_total', help: 'Config reloads, by result (ok or error).', labelNames: ['result'], registers });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_process_' });
  }

  requestStarted(): void {
    this.inflightCount++;
  }

  requestEnded(): void {
    this.inflightCount--;
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    const key = `${route}\n${m}\n${status}`;
    if (!this.requests.inc(key)) this.requests.add(key, { route, method: m, status: String(status) });
    this.requestDuration.observe(route, seconds);
  }

  /** A request a rate limit refused (counted from the answer's error code, see request-handler.ts). */
  observeRateLimited(route: string): void {
    if (!this.rateLimited.inc(route)) this.rateLimited.add(route, { route });
  }

  /** A retry sent to this upstream (see src/upstream/proxy.ts). */
  observeRetry(upstream: string): void {
    if (!this.retries.inc(upstream)) this.retries.add(upstream, { upstream });
  }

  observeUpstream(upstream: string, seconds: number): void {
    this.upstreamDuration.observe(upstream, seconds);
  }

  /**
   * Shared stores (the rate-limit Redis), by `store` (a fixed name such as `redis`, so bounded):
   * `portcullis_store_errors_total` counts decisions a store could not make, `portcullis_store_up`
   * is 1 while it answers and 0 during an outage. Not per route, so `retainOnly` leaves it alone.
   */
  readonly stores = {
    errors: new Counter({ name: 'portcullis_store_errors_total', help: 'Decisions a shared store (Redis) could not make, by store.', labelNames: ['store'] as const, registers: [this.registry] }),
    up: new Gauge({ name: 'portcullis_store_up', help: 'Whether a shared store (Redis) is reachable (1) or in an outage (0), by store.', labelNames: ['store'] as const, registers: [this.registry] }),
  };

  /** `ok` false: one decision `store` could not make (counted; the store is down); true: it answers (again). */
  observeStore(store: string, ok: boolean): void {
    // inc by 0 when up: the error series exists (at 0) from the first connection, so rate() sees the first error.
    this.stores.errors.inc({ store }, ok ? 0 : 1);
    this.stores.up.set({ store }, ok ? 1 : 0);
  }

  /** Drops label sets of routes and upstreams a reload removed, so series do not pile up. */
  retainOnly(routes: ReadonlySet<string>, upstreams: ReadonlySet<string>): void {
    const keepRoute = (route: string) => route === NO_ROUTE || routes.has(route);
    this.requests.retain((labels) => keepRoute(labels['route']!));
    this.requestDuration.retain(keepRoute);
    this.upstreamDuration.retain((u) => upstreams.has(u));
    this.retries.retain((labels) => upstreams.has(labels['upstream']!));
    this.rateLimited.retain((labels) => keepRoute(labels['route']!));
  }
}
