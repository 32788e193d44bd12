/**
 * Active health checks: every `interval`, a GET of `path` to each current target of an upstream,
 * through the target's own pool (so a probe also finds a broken keep-alive path). A probe passes
 * on an expected status within `timeout`; the thresholds (consecutive passes / failures) live in
 * TargetHealth. The first round runs at once, so a target that is down at start-up or after a
 * reload leaves the rotation after about `(unhealthy − 1) × interval + timeout`.
 * Timers are unref'd: probes never keep the process alive.
 */
import type { Logger } from 'pino';
import type { Target } from './target.js';

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
  }

  private round(): void {
    for (const target of this.targets()) {
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
      const res = await target.pool.request({
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
