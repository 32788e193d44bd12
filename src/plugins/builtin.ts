/** The plugins every gateway has. Adding a feature: a folder under src/plugins/ and one line here. */
import type { AnyPlugin } from './define-plugin.js';
import { PluginRegistry } from './registry.js';
import { corsPlugin } from './cors/index.js';
import { securityHeadersPlugin } from './security-headers/index.js';
import { ipRulesPlugin } from './ip-rules/index.js';
import { requestPlugin } from './request/index.js';
import { authPlugin } from './auth/index.js';
import { rateLimitPlugin } from './rate-limit/index.js';
import { fallbackPlugin } from './fallback/index.js';

export const BUILTIN_PLUGINS: readonly AnyPlugin[] = [
  corsPlugin,
  securityHeadersPlugin,
  ipRulesPlugin,
  requestPlugin,
  authPlugin,
  rateLimitPlugin,
  fallbackPlugin,
];

export function defaultRegistry(): PluginRegistry {
  return new PluginRegistry(BUILTIN_PLUGINS);
}
