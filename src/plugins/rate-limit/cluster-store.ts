/**
 * The shared store for `scope: cluster`: one ioredis client per compiled config (made in the
 * plugin's `prepare` only when some route uses cluster scope, closed in `dispose`). It fails
 * fast rather than queueing, so a Redis outage costs a request at most `COMMAND_TIMEOUT_MS`:
 *  - `commandTimeout` 100 ms: a slow Redis counts as an unreachable one;
 *  - `enableOfflineQueue: false`: while disconnected a command is refused at once;
 *  - `maxRetriesPerRequest: 0`: a failed command is not retried (the limit decides what then);
 *  - reconnects on its own (backoff 50 ms per attempt, at most 1 s), so recovery needs no one.
 * One warn log line when an outage starts, one info line when Redis answers again; with
 * metrics, every failed decision counts in `portcullis_store_errors_total{store="redis"}` and
 * `portcullis_store_up{store="redis"}` is 0 from the first failure until a decision succeeds
 * again (1 from the first connection on).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { CLUSTER_SCRIPT } from './cluster-script.js';

/** Longest a rate-limit decision waits for Redis before the limit's `onStoreError` applies (ms). */
export const COMMAND_TIMEOUT_MS = 100;
/** Key prefix: `portcullis:rl:<route>:<limit index>:<key>`. */
export const KEY_PREFIX = 'portcullis:rl:';
/** The `store` label of the outage metrics (one fixed value: bounded). */
export const STORE_LABEL = 'redis';

type ScriptClient = Redis & { portcullisRateLimit(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

export class ClusterStore {
  private readonly client: ScriptClient;
  private down = false;
  /** Until the first connection is up, a decision waits for it (at most COMMAND_TIMEOUT_MS) rather than fall back at start-up. */
  private firstReady: Promise<void> | null;
  /** Store errors seen (failed decisions), for tests and metrics. */
  errors = 0;

  constructor(
    url: string,
    private readonly logger: Logger,
    /** The gateway's metrics; absent in unit tests that build a store without a gateway. */
    private readonly metrics?: GatewayMetrics,
  ) {
    const client = new Redis(url, {
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 1000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 50, 1000),
    });
    // Connection errors are reported per decision (and logged once per outage), not thrown.
    client.on('error', () => {});
    client.defineCommand('portcullisRateLimit', { lua: CLUSTER_SCRIPT });
    this.client = client as ScriptClient;
    this.firstReady = new Promise<void>((resolve) => client.once('ready', () => resolve()));
    void this.firstReady.then(() => {
      this.firstReady = null;
      // Up from the first connection on, unless a decision already failed (then its success says so).
      if (!this.down) this.metrics?.observeStore(STORE_LABEL, true);
    });
  }

  /**
   * One decision for all limits of a route; `args` are 4 per limit (see cluster-script.ts).
   * Resolves to the script's reply, or to undefined when Redis is unreachable, slow or failing.
   */
  async decide(keys: readonly string[], args: readonly number[]): Promise<number[] | undefined> {
    if (this.firstReady !== null) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.firstReady, new Promise<void>((resolve) => (timer = setTimeout(resolve, COMMAND_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    try {
      const reply = await this.client.portcullisRateLimit(keys.length, ...keys, ...args);
      if (this.down) {
        this.down = false;
        this.logger.info({ store: STORE_LABEL }, 'rate-limit store reachable again; cluster limits are shared again');
        this.metrics?.observeStore(STORE_LABEL, true);
      }
      return reply;
    } catch (err) {
      this.errors++;
      this.metrics?.observeStore(STORE_LABEL, false);
      if (!this.down) {
        this.down = true;
        this.logger.warn({ store: STORE_LABEL, err: (err as Error).message }, 'rate-limit store unavailable; cluster limits apply their onStoreError');
      }
      return undefined;
    }
  }

  close(): void {
    this.client.disconnect();
  }
}
