/** The set of plugins a gateway knows, ordered by priority. Injected so tests can add their own. */
import type { TSchema } from '@sinclair/typebox';
import type { PluginDefinition } from './define-plugin.js';

export class PluginRegistry {
  private readonly byKey = new Map<string, PluginDefinition>();

  constructor(plugins: readonly PluginDefinition[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  register(plugin: PluginDefinition): this {
    if (this.byKey.has(plugin.configKey)) throw new Error(`plugin config key "${plugin.configKey}" registered twice`);
    this.byKey.set(plugin.configKey, plugin as PluginDefinition);
    return this;
  }

  /** Plugins, highest priority first (ties by name, so order never depends on registration). */
  ordered(): PluginDefinition[] {
    return [...this.byKey.values()].sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  }

  routeSchemas(): Record<string, TSchema> {
    const out: Record<string, TSchema> = {};
    for (const [key, plugin] of this.byKey) out[key] = plugin.schema;
    return out;
  }

  get(configKey: string): PluginDefinition | undefined {
    return this.byKey.get(configKey);
  }
}
