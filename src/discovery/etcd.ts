/**
 * `discovery: { type: etcd }`: targets registered under a key prefix in etcd v3, one key per
 * instance holding `{"url": "...", "weight": N}` (see etcd-value.ts; a malformed value is skipped
 * with a warning naming its key).
 *
 * How it follows changes: a watch on the prefix (etcd3's Watcher, which reconnects on its own
 * and resumes from its last revision). Every watch event — and every (re)connection of the
 * watch — triggers a full read of the prefix, coalesced so at most one read runs at a time. The
 * list is therefore always one consistent snapshot, and nothing that changed while the watch was
 * down is missed. Reading the whole prefix per change is cheap at registry sizes (tens to
 * hundreds of keys) and avoids replaying events against a possibly stale map.
 *
 * Outages: a failed read or a dropped watch is one `onError`; the last targets stay; reads are
 * retried with a capped backoff (1 s doubling to 30 s by default) and the watch reconnects with
 * its own (200 ms doubling to 5 s). The first good read calls `onRecovered`.
 */
import { Etcd3, type IOptions, type Watcher } from 'etcd3';
import { Type, type Static } from '@sinclair/typebox';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { parseEtcdValue } from './etcd-value.js';
import type { DiscoveredTarget, DiscoveryDeps, DiscoveryProvider } from './provider.js';
import { TargetReporter } from './reporter.js';

export const EtcdDiscoverySchema = Type.Object(
  {
    type: Type.Literal('etcd', { description: 'Targets registered under a key prefix in etcd v3.' }),
    endpoints: Type.Array(Type.String({ minLength: 1, description: 'etcd client URL, e.g. http://127.0.0.1:2379.' }), { minItems: 1, description: 'etcd client URLs (http or https; no credentials in them).' }),
    prefix: Type.String({ minLength: 1, description: 'Key prefix; each key under it holds {"url": "...", "weight": N}, e.g. /services/orders/.' }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'etcd user (with password), for clusters with auth enabled.' })),
    password: Type.Optional(Type.String({ minLength: 1, description: 'Password of username (use ${ETCD_PASSWORD}).' })),
  },
  { additionalProperties: false, description: 'Follow a key prefix in etcd with a watch.' },
);
export type EtcdDiscoveryConfig = Static<typeof EtcdDiscoverySchema>;

export interface EtcdProviderOptions {
  /** Retry delays for reads during an outage. Default 1 s doubling to 30 s. */
  backoff?: BackoffOptions;
  /** Watch reconnect delays. Default 200 ms doubling to 5 s. */
  watchBackoff?: BackoffOptions;
  /** Deadline of one read, ms. Default 5000. */
  readTimeoutMs?: number;
}

/** The shape etcd3's `faultHandling.watchBackoff` takes (cockatiel's IBackoff), capped exponential. */
interface WatchBackoff {
  readonly duration: number;
  next(context: unknown): WatchBackoff;
}
function cappedWatchBackoff(ms: number, maxMs: number): WatchBackoff {
  return { duration: ms, next: () => cappedWatchBackoff(Math.min(maxMs, ms * 2), maxMs) };
}

export function etcdProvider(config: EtcdDiscoveryConfig, deps: DiscoveryDeps, options: EtcdProviderOptions = {}): DiscoveryProvider {
  if ((config.username === undefined) !== (config.password === undefined)) throw new Error('etcd discovery: username and password go together');
  const logger = deps.logger;
  const description = `etcd ${config.prefix} @${config.endpoints.join(',')}`;
  const readTimeoutMs = options.readTimeoutMs ?? 5000;
  const watchBackoff = options.watchBackoff ?? { initialMs: 200, maxMs: 5000 };

  let state: { client: Etcd3; watcher: Watcher; reporter: TargetReporter; timer: NodeJS.Timeout | null } | null = null;

  return {
    description,
    start(callbacks) {
      if (state !== null) throw new Error(`${description}: already started`);
      const etcdOptions: IOptions = {
        hosts: config.endpoints,
        ...(config.username !== undefined ? { auth: { username: config.username, password: config.password! } } : {}),
        dialTimeout: 2000,
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + readTimeoutMs }),
        faultHandling: { watchBackoff: { duration: watchBackoff.initialMs, next: () => cappedWatchBackoff(watchBackoff.initialMs, watchBackoff.maxMs) } },
      };
      const client = new Etcd3(etcdOptions);
      const reporter = new TargetReporter(callbacks, logger, description);
      const backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
      let reading = false;
      let again = false;

      const readAll = async (): Promise<void> => {
        if (reporter.isClosed) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          const kvs = await client.getAll().prefix(config.prefix).strings();
          if (reporter.isClosed) return;
          const targets: DiscoveredTarget[] = [];
          for (const [key, value] of Object.entries(kvs)) {
            const parsed = parseEtcdValue(value);
            if ('problem' in parsed) logger.warn({ discovery: description, key, problem: parsed.problem }, 'malformed etcd registry value; key skipped');
            else targets.push(parsed);
          }
          backoff.reset();
          reporter.targets(targets);
        } catch (err) {
          if (reporter.isClosed) return;
          reporter.failure(new Error(`${description}: ${(err as Error).message}`));
          if (state !== null && state.timer === null) {
            state.timer = setTimeout(() => {
              if (state !== null) state.timer = null;
              void readAll();
            }, backoff.next());
          }
        } finally {
          reading = false;
        }
        if (again) {
          again = false;
          void readAll();
        }
      };

      // Not `create()`: that waits for a connection, and etcd may be down at start.
      const watcher = client.watch().prefix(config.prefix).watcher();
      watcher.on('connected', () => void readAll());
      watcher.on('data', () => void readAll());
      watcher.on('disconnected', (err: Error) => {
        if (!reporter.isClosed) reporter.failure(new Error(`${description}: watch lost: ${err.message}`));
      });
      // A cancelled watch (e.g. compaction) is re-established by etcd3; log it, keep the targets.
      watcher.on('error', (err: Error) => logger.warn({ discovery: description, err: err.message }, 'etcd watch error'));
      state = { client, watcher, reporter, timer: null };
      void readAll();
    },
    stop() {
      const s = state;
      state = null;
      if (s === null) return;
      s.reporter.close();
      if (s.timer !== null) clearTimeout(s.timer);
      s.watcher.removeAllListeners();
      // An EventEmitter 'error' without a listener throws; nothing should come, but never crash.
      s.watcher.on('error', () => undefined);
      // Closing the client ends the watch stream and every channel.
      s.client.close();
    },
  };
}
