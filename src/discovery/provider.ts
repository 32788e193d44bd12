/**
 * Service discovery: a provider watches a registry (DNS, Consul, etcd, or the config itself) and
 * reports the complete current target list whenever it changes. The upstream swaps its targets
 * without a reload and without dropping in-flight requests (see src/upstream/target-set.ts).
 *
 * Contract every provider keeps:
 *  - `start` begins watching; `onTargets` receives the whole list each time it changes (never a
 *    diff), deduplicated by url, sorted by url, only when it differs from the last one reported.
 *  - While the registry is unreachable or answers garbage, the last known list stays: the
 *    provider calls `onError` (at most once per outage: it logs, the upstream keeps its targets)
 *    and retries with a capped backoff on its own. An empty answer from a reachable registry is
 *    a real answer (the service has no instances) and is reported as [].
 *  - `stop` ends every timer, socket and request; after it no callback fires.
 *  - No module singletons; time and logging are injected.
 */
import type { Logger } from 'pino';

export interface DiscoveredTarget {
  /** Origin with optional base path, e.g. `http://10.0.0.7:8080`. */
  url: string;
  /** Relative weight, integer ≥ 1. Default 1. */
  weight: number;
}

export interface DiscoveryCallbacks {
  onTargets(targets: DiscoveredTarget[]): void;
  /** The registry failed; the last known targets stay. `recovered` is called at the next good answer. */
  onError(err: Error): void;
  onRecovered?(): void;
}

export interface DiscoveryProvider {
  /** For logs and /admin/upstreams, e.g. `dns _orders._tcp.example.internal`. */
  readonly description: string;
  start(callbacks: DiscoveryCallbacks): void;
  stop(): void;
}

export interface DiscoveryDeps {
  logger: Logger;
}
