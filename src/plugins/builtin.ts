/** The plugins every gateway has. Adding a feature: a folder under src/plugins/ and one line here. */
import type { PluginDefinition } from './define-plugin.js';
import { PluginRegistry } from './registry.js';

export const BUILTIN_PLUGINS: readonly PluginDefinition[] = [];

export function defaultRegistry(): PluginRegistry {
  return new PluginRegistry(BUILTIN_PLUGINS);
}
