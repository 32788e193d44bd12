/**
 * `auth`: JWT (jose; HMAC secret, PEM public key, JWKS, OIDC discovery) and API keys, roles and
 * scopes, identity headers for upstreams. Providers are defined once at the top level and built
 * once per compiled config (`prepare`); routes name the ones they accept in `auth.use`.
 * Priority 1000: after CORS (so preflights never need credentials) and IP rules, before
 * request validation and anything that spends work on the body.
 */
import { definePlugin } from '../define-plugin.js';
import { buildProviders, closeProviders, type AuthShared } from './providers.js';
import { createRouteAuth } from './route-auth.js';
import { AuthGlobalSchema, RouteAuthSchema } from './schema.js';
import { validateProviders, validateRouteAuth } from './validate.js';

export const authPlugin = definePlugin({
  name: 'auth',
  configKey: 'auth',
  priority: 1000,
  schema: RouteAuthSchema,
  globalSchema: AuthGlobalSchema,
  validate: (value, _route, config) => validateRouteAuth(value, config['auth']),
  validateGlobal: (value) => validateProviders(value),
  prepare: (global, config, deps): AuthShared => buildProviders(global, config, deps.logger, deps.clock),
  create: (value, _route, { shared, logger }) => createRouteAuth(value, shared, logger),
  dispose: (shared) => closeProviders(shared),
});
