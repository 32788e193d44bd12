/** The set of plugins a gateway knows, ordered by priority. Injected so tests can add their own. */
import type { TSchema } from '@sinclair/typebox';
import type { AnyPlugin, PluginDefinition } from './define-plugin.js';

export class PluginRegistry {
  private readonly byKey = new Map<string, AnyPlugin>();

  constructor(plugins: readonly AnyPlugin[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  register<S extends TSchema, G extends TSchema, Shared>(plugin: PluginDefinition<S, G, Shared>): this {
    if (this.byKey.has(plugin.configKey)) throw new Error(`plugin config key "${plugin.configKey}" registered twice`);
    this.byKey.set(plugin.configKey, plugin as unknown as AnyPlugin);
    return this;
  }

  /** Plugins, highest priority first (ties by name, so order never depends on registration). */
  ordered(): AnyPlugin[] {
    return [...this.byKey.values()].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  }

  routeSchemas(): Record<string, TSchema> {
    const out: Record<string, TSchema> = {};
    for (const [key, plugin] of this.byKey) out[key] = plugin.schema;
    return out;
  }

  /** Top-level keys plugins add beside `upstreams` and `routes`. */
  globalSchemas(): Record<string, TSchema> {
    const out: Record<string, TSchema> = {};
    for (const [key, plugin] of this.byKey) if (plugin.globalSchema) out[key] = plugin.globalSchema;
    return out;
  }
}
