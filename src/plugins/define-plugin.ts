/**
 * A plugin is a schema plus a factory, in its own folder (Kong's handler + schema, Envoy's
 * per-filter config). The core knows plugins only through this shape; registering one is a line
 * in src/plugins/builtin.ts.
 */
import type { TSchema, Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Middleware } from '../pipeline/compose.js';
import type { GatewayConfig, RouteConfig } from '../config/schema.js';
import type { Clock } from '../util/clock.js';

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
}

export interface PluginDefinition<S extends TSchema = TSchema> {
  /** Unique name, kebab-case; also the folder name. */
  name: string;
  /** The per-route config key it owns, e.g. `cors`. */
  configKey: string;
  /** Runs before plugins with lower numbers (Kong style): auth 1000s, limits 900s, transforms 800s. */
  priority: number;
  schema: S;
  // Method syntax on purpose: a PluginDefinition<TObject<…>> must be assignable to the
  // registry's PluginDefinition<TSchema> (parameters of methods are checked bivariantly).
  /** Semantic checks the schema cannot express (cross references, regex syntax). */
  validate?(value: Static<S>, route: RouteConfig, config: GatewayConfig): Problem[];
  /** Builds the route's middleware once, at compile time, from its frozen config. */
  create(value: Static<S>, route: RouteConfig, deps: PluginDeps): Middleware;
}

export function definePlugin<S extends TSchema>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}
