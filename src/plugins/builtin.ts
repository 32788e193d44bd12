/** The plugins every gateway has. Adding a feature: a folder under src/plugins/ and one line here. */
import type { AnyPlugin } from './define-plugin.js';
import { PluginRegistry } from './registry.js';

export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [];

export function defaultRegistry(): PluginRegistry {
  return new PluginRegistry(BUILTIN_PLUGINS);
}
