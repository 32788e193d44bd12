/**
 * A plugin is a schema plus a factory, in its own folder (Kong's handler + schema, Envoy's
 * per-filter config). The core knows plugins only through this shape; registering one is a line
 * in src/plugins/builtin.ts.
 *
 * Lifecycle, per compiled config: `prepare` once (shared state such as auth providers and their
 * key caches), `create` once per route it applies to, `dispose` when that config is retired and
 * its last request has finished. Nothing of a plugin runs per request but its middleware.
 */
import type { TSchema, Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Middleware } from '../pipeline/compose.js';
import type { RequestContext } from '../pipeline/context.js';
import type { GatewayConfig, RouteConfig } from '../config/schema.js';
import type { Clock } from '../util/clock.js';
import type { GatewayMetrics } from '../observability/metrics.js';

/** A problem found while validating, with a config path such as `routes[2].cors.origins[0]`. */
export interface Problem {
  path: (string | number)[];
  message: string;
  severity?: 'error' | 'warning';
}

/** What a plugin factory may use. Injected, never imported as a singleton. */
export interface PluginDeps {
  logger: Logger;
  clock: Clock;
  /** Absolute directory that relative file paths in the config resolve against (see ValidateContext); the compiler always sets it. */
  configDir?: string;
  /** The gateway's metrics (absent in unit tests that compile without a gateway). */
  metrics?: GatewayMetrics;
}

/** What `validate` may know beyond the config itself. */
export interface ValidateContext {
  /**
   * Absolute directory that relative file paths in the config resolve against: the config
   * file's directory, or (config given as text) `GatewayOptions.configDir`, else the process cwd.
   */
  configDir: string;
}

export interface PluginDefinition<S extends TSchema = TSchema, G extends TSchema = TSchema, Shared = unknown> {
  /** Unique name, kebab-case; also the folder name. */
  name: string;
  /** The per-route config key it owns, e.g. `cors`; also its top-level key when it has `globalSchema`. */
  configKey: string;
  /** Runs before plugins with lower numbers (Kong style): CORS 2000, auth 1000s, limits 900s, transforms 800s. */
  priority: number;
  schema: S;
  /** Schema of the top-level key of the same name (defaults for every route, or shared definitions). */
  globalSchema?: G;
  /**
   * Runs for CORS preflights (OPTIONS with Access-Control-Request-Method), which are routed by
   * the method they announce; plugins without it are skipped for preflights.
   */
  runsOnPreflight?: boolean;
  /**
   * Answers CORS preflights (the CORS plugin). A route gets a preflight chain only when such a
   * plugin is on for it; elsewhere a preflight is served as the plain OPTIONS request it is.
   */
  answersPreflight?: boolean;
  // Method syntax on purpose: a PluginDefinition<TObject<…>> must be assignable to the
  // registry's PluginDefinition<TSchema> (parameters of methods are checked bivariantly).
  /** Semantic checks the schema cannot express (cross references, regex syntax). */
  validate?(value: Static<S>, route: RouteConfig, config: GatewayConfig, context?: ValidateContext): Problem[];
  /** Semantic checks of the top-level value; paths are relative to it. */
  validateGlobal?(value: Static<G>, config: GatewayConfig): Problem[];
  /**
   * The route value to use when a route does not set `configKey`, or undefined to leave the
   * plugin off there. Default: off. (Security headers, for instance, apply everywhere.)
   */
  defaultFor?(route: RouteConfig, global: Static<G> | undefined): Static<S> | undefined;
  /** Once per compiled config, before any route: state shared by all its routes. */
  prepare?(global: Static<G> | undefined, config: GatewayConfig, deps: PluginDeps): Shared;
  /** Builds the route's middleware once, at compile time, from its frozen config. */
  create(value: Static<S>, route: RouteConfig, deps: PluginDeps & { shared: Shared; global: Static<G> | undefined }): Middleware;
  /**
   * For answers no route handled (404, 405, a malformed request): once per compiled config, a
   * synchronous function that adds to `ctx.responseHeaders` before the error is written, or
   * undefined. (Security headers belong on every answer, not only on routed ones.)
   */
  unrouted?(global: Static<G> | undefined, config: GatewayConfig, deps: PluginDeps & { shared: Shared }): ((ctx: RequestContext) => void) | undefined;
  /** Releases what `prepare` made (timers, sockets) once its config is retired and idle. */
  dispose?(shared: Shared): void;
}

/**
 * Any plugin, whatever its shared state: what the registry holds. (`any` because Shared is both
 * produced by `prepare` and consumed by `create`/`dispose`, so no narrower type fits them all.)
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = PluginDefinition<TSchema, TSchema, any>;

export function definePlugin<S extends TSchema, G extends TSchema = TSchema, Shared = unknown>(definition: PluginDefinition<S, G, Shared>): PluginDefinition<S, G, Shared> {
  return definition;
}
