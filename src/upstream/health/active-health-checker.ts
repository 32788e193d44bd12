/**
 * Active health checks: every `interval`, a GET of `path` to each current target of an upstream,
 * over a connection of the checker's own (one undici Client per target, kept alive), so a probe
 * never queues behind traffic in a saturated pool and a busy but healthy target is not taken for
 * a dead one (Envoy's health checker also uses its own connections). A probe passes
 * on an expected status within `timeout`; the thresholds (consecutive passes / failures) live in
 * TargetHealth. The first round runs at once, so a target that is down at start-up or after a
 * reload leaves the rotation after about `(unhealthy − 1) × interval + timeout`.
 * Timers are unref'd: probes never keep the process alive.
 */
import type { Logger } from 'pino';
import { Client } from 'undici';
import type { Target } from '../target.js';

export interface ActiveCheckOptions {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Statuses that pass; null: any 2xx or 3xx. */
  statuses: ReadonlySet<number> | null;
}

export class ActiveHealthChecker {
  private timer: NodeJS.Timeout | null = null;
  /** Targets with a probe in flight: never two probes of one target at once. */
  private readonly busy = new WeakSet<Target>();
  /** The probe connection of each target, by origin; closed when its target leaves. */
  private readonly clients = new Map<string, Client>();
  private stopped = false;

  constructor(
    private readonly options: ActiveCheckOptions,
    private readonly targets: () => readonly Target[],
    private readonly onResult: (target: Target, passed: boolean) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.round();
    this.timer = setInterval(() => this.round(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const client of this.clients.values()) client.destroy().catch(() => undefined);
    this.clients.clear();
  }

  private round(): void {
    const targets = this.targets();
    // Targets discovery removed: their probe connections go.
    const origins = new Set(targets.map((t) => originOf(t)));
    for (const [origin, client] of this.clients) {
      if (!origins.has(origin)) {
        this.clients.delete(origin);
        client.close().catch(() => undefined);
      }
    }
    for (const target of targets) {
      if (this.busy.has(target)) continue;
      this.busy.add(target);
      void this.probe(target).then((passed) => {
        this.busy.delete(target);
        if (!this.stopped) this.onResult(target, passed);
      });
    }
  }

  /** One probe; never throws. */
  private async probe(target: Target): Promise<boolean> {
    const { path, timeoutMs, statuses } = this.options;
    try {
      const origin = originOf(target);
      let client = this.clients.get(origin);
      if (client === undefined) {
        client = new Client(origin, { keepAliveTimeout: Math.max(this.options.intervalMs * 2, 4_000), connect: { timeout: timeoutMs } });
        this.clients.set(origin, client);
      }
      const res = await client.request({
        method: 'GET',
        path: target.basePath + path,
        headers: { host: target.hostHeader, 'user-agent': 'portcullis-health-check' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Read the body to its end so the connection goes back to the pool.
      await res.body.dump({ limit: 64 * 1024 });
      const passed = statuses === null ? res.statusCode >= 200 && res.statusCode < 400 : statuses.has(res.statusCode);
      if (!passed) this.logger.debug({ target: target.id, status: res.statusCode }, 'health probe failed');
      return passed;
    } catch (err) {
      this.logger.debug({ target: target.id, err: (err as Error).message }, 'health probe failed');
      return false;
    }
  }
}

/** The target's origin (its URL without the base path). */
function originOf(target: Target): string {
  return target.basePath === '' ? target.url : target.url.slice(0, -target.basePath.length);
}
