/**
 * The gateway: owns the listeners, the pool registry, the metrics and the current runtime state,
 * and runs load → validate → compile → swap on start and on every reload. A reload that fails at
 * any step leaves the running state serving; a successful one is a single assignment.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createAdminServer, type ReloadOutcome } from './admin/admin-server.js';
import { compileConfig } from './config/compile.js';
import { checkConfigFile, checkConfigText, type CheckedConfig } from './config/pipeline.js';
import type { RuntimeState } from './config/runtime-state.js';
import { watchConfigFile, type ConfigWatcher } from './config/watch.js';
import { createLogger, flushLogger } from './observability/logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import { registerUpstreamGauges } from './observability/upstream-gauges.js';
import { AccessLog } from './observability/access-log.js';
import { defaultRegistry } from './plugins/builtin.js';
import type { PluginRegistry } from './plugins/registry.js';
import { applyTimeouts, createProxyServer } from './server/http-server.js';
import { systemClock, type Clock } from './util/clock.js';
import { PoolRegistry } from './upstream/pool-registry.js';

export interface GatewayOptions {
  /** Config file to load, watch and reload from. */
  configFile?: string;
  /** Or config text (tests); `reload(text)` replaces it. */
  configText?: string;
  /** File name shown in problems for configText. Default `config.yaml`. */
  configName?: string;
  /** Directory that relative file paths in configText resolve against (e.g. a JSON Schema). Default: the process cwd; with configFile, always that file's directory. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  plugins?: PluginRegistry;
  clock?: Clock;
  /** Watch configFile and reload on change. Default true when configFile is set. */
  watch?: boolean;
  /** Collect process metrics (CPU, memory, GC). Default false. */
  processMetrics?: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid config:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export class Gateway {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  private readonly options: GatewayOptions;
  private readonly plugins: PluginRegistry;
  private readonly pools = new PoolRegistry();
  private readonly clock: Clock;
  private state: RuntimeState;
  private configText: string | undefined;
  private generation = 1;
  private proxyServer: Server | null = null;
  private adminServer: Server | null = null;
  private watcher: ConfigWatcher | null = null;
  private isDraining = false;
  private reloading: Promise<ReloadOutcome> | null = null;
  private readonly accessLog: AccessLog;

  private constructor(options: GatewayOptions, state: RuntimeState, plugins: PluginRegistry, logger: Logger, clock: Clock) {
    this.options = options;
    this.state = state;
    this.plugins = plugins;
    this.logger = logger;
    this.clock = clock;
    this.configText = options.configText;
    this.metrics = new GatewayMetrics({ defaultMetrics: options.processMetrics ?? false });
    this.accessLog = new AccessLog(logger);
    registerUpstreamGauges(this.metrics.registry, () => this.state.upstreams.values(), clock);
  }

  /** Loads, validates and compiles the config; throws ConfigError listing every problem. */
  static async create(options: GatewayOptions): Promise<Gateway> {
    const plugins = options.plugins ?? defaultRegistry();
    const checked = await Gateway.check(options, plugins, options.configText);
    if (!checked.config) throw new ConfigError(checked.errors);
    const logger = options.logger ?? createLogger({ level: checked.config.log?.level ?? 'info' });
    for (const warning of checked.warnings) logger.warn({ warning }, 'config warning');
    const clock = options.clock ?? systemClock;
    // The pool registry belongs to the instance; compile into a placeholder first.
    const gateway = new Gateway(options, undefined as unknown as RuntimeState, plugins, logger, clock);
    gateway.state = compileConfig(checked.config, 1, { pools: gateway.pools, plugins, logger, clock, configDir: configDirOf(options), metrics: gateway.metrics });
    return gateway;
  }

  private static check(options: GatewayOptions, plugins: PluginRegistry, text: string | undefined): Promise<CheckedConfig> | CheckedConfig {
    if (options.configFile !== undefined) return checkConfigFile(options.configFile, plugins, options.env);
    if (text === undefined) throw new Error('Gateway needs configFile or configText');
    return checkConfigText(text, options.configName ?? 'config.yaml', plugins, options.env, configDirOf(options));
  }

  /** The state new requests use. */
  current(): RuntimeState {
    return this.state;
  }

  async start(): Promise<void> {
    const deps = { current: () => this.state, logger: this.logger, metrics: this.metrics, accessLog: this.accessLog, draining: () => this.isDraining };
    this.proxyServer = createProxyServer(deps, this.state.limits, this.logger);
    this.adminServer = createAdminServer({ ...deps, reload: () => this.reload() });
    await listen(this.proxyServer, this.state.listen.host, this.state.listen.port);
    await listen(this.adminServer, this.state.admin.listen.host, this.state.admin.listen.port);
    if (this.options.configFile !== undefined && this.options.watch !== false) {
      this.watcher = await watchConfigFile(this.options.configFile, () => {
        this.logger.info('config file changed, reloading');
        void this.reload();
      });
    }
    this.logger.info({ proxy: this.address('proxy'), admin: this.address('admin'), routes: this.state.routes.length }, 'portcullis listening');
  }

  address(which: 'proxy' | 'admin'): { host: string; port: number } {
    const server = which === 'proxy' ? this.proxyServer : this.adminServer;
    const addr = server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error(`${which} listener is not running`);
    return { host: addr.address, port: addr.port };
  }

  url(which: 'proxy' | 'admin' = 'proxy'): string {
    const { host, port } = this.address(which);
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Number of distinct upstream pools alive (for leak checks). */
  get poolCount(): number {
    return this.pools.size;
  }

  /** Reloads from the config file (or from `text`). Concurrent calls share one reload. */
  reload(text?: string): Promise<ReloadOutcome> {
    if (text !== undefined) this.configText = text;
    if (this.reloading) return this.reloading.then(() => this.reload());
    this.reloading = this.doReload().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async doReload(): Promise<ReloadOutcome> {
    const old = this.state;
    const fail = (errors: string[], warnings: string[] = []): ReloadOutcome => {
      this.metrics.reloads.labels('error').inc();
      this.logger.error({ errors }, 'config reload failed; the previous config keeps serving');
      return { ok: false, generation: old.generation, errors, warnings };
    };
    let checked: CheckedConfig;
    try {
      checked = await Gateway.check(this.options, this.plugins, this.configText);
    } catch (err) {
      return fail([`cannot load config: ${(err as Error).message}`]);
    }
    if (!checked.config) return fail(checked.errors, checked.warnings);
    let next: RuntimeState;
    try {
      next = compileConfig(checked.config, this.generation + 1, { pools: this.pools, plugins: this.plugins, logger: this.logger, clock: this.clock, configDir: configDirOf(this.options), metrics: this.metrics, previous: this.state });
    } catch (err) {
      this.logger.error({ err }, 'config compile failed');
      return fail(['config could not be compiled (see the gateway log)']);
    }
    const warnings = [...checked.warnings];
    if (next.listen.host !== old.listen.host || next.listen.port !== old.listen.port) warnings.push('listen: changed; takes effect after a restart');
    if (next.admin.listen.host !== old.admin.listen.host || next.admin.listen.port !== old.admin.listen.port) warnings.push('admin.listen: changed; takes effect after a restart');
    if (next.limits.maxHeaderSize !== old.limits.maxHeaderSize) warnings.push('limits.maxHeaderSize: changed; takes effect after a restart');
    for (const warning of warnings) this.logger.warn({ warning }, 'config warning');

    // Swap: one assignment. In-flight requests keep `old` until they finish.
    this.generation = next.generation;
    this.state = next;
    if (this.proxyServer) applyTimeouts(this.proxyServer, next.limits);
    if (next.log.level !== this.logger.level) this.logger.level = next.log.level;
    this.metrics.retainOnly(new Set(next.routes.map((r) => r.name)), new Set(next.upstreams.keys()));
    // The old state may still drain, but its probes and discovery watches stop now: the new
    // state runs its own (and shares the health of targets that stayed).
    for (const upstream of old.upstreams.values()) upstream.stopBackground();
    old.retire(() => old.dispose());
    this.metrics.reloads.labels('ok').inc();
    this.logger.info({ generation: next.generation, routes: next.routes.length }, 'config reloaded');
    return { ok: true, generation: next.generation, errors: [], warnings };
  }

  /**
   * Graceful stop: stop accepting, let in-flight requests finish (up to the drain timeout), then
   * close everything. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.isDraining) return;
    this.isDraining = true;
    this.watcher?.close();
    // No probes or discovery changes while draining: requests in flight keep the targets they have.
    for (const upstream of this.state.upstreams.values()) upstream.stopBackground();
    const drainMs = this.state.limits.drainTimeoutMs;
    const proxy = this.proxyServer;
    const admin = this.adminServer;
    const closed = proxy ? new Promise<void>((resolve) => proxy.close(() => resolve())) : Promise.resolve();
    proxy?.closeIdleConnections();
    // Keep-alive connections become idle as their last response ends: close those as they appear.
    const sweeper = setInterval(() => proxy?.closeIdleConnections(), 100);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), drainMs);
      }),
    ]);
    clearTimeout(timer);
    clearInterval(sweeper);
    if (timedOut) {
      this.logger.warn({ drainMs }, 'drain timeout reached; closing remaining connections');
      proxy?.closeAllConnections();
      await this.pools.destroyAll();
    } else {
      await this.pools.closeAll();
    }
    this.state.dispose();
    if (admin) {
      const adminClosed = new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      await adminClosed;
    }
    this.logger.info('portcullis stopped');
    this.accessLog.flush();
    flushLogger(this.logger);
  }
}

/** Where relative file paths in the config resolve: the config file's directory, else configDir or the cwd. */
function configDirOf(options: GatewayOptions): string {
  return options.configFile !== undefined ? dirname(resolve(options.configFile)) : resolve(options.configDir ?? process.cwd());
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
