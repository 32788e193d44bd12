/**
 * Builds the providers of one compiled config (once, in `prepare`): only those some route uses,
 * so an unused JWKS provider fetches nothing. Closing them stops their JWKS refresh timers.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/schema.js';
import { parseDuration, parseSize } from '../../config/units.js';
import type { Clock } from '../../util/clock.js';
import { ApiKeyProvider } from './api-key-provider.js';
import { DEFAULT_ROLE_CLAIMS, DEFAULT_SCOPE_CLAIMS } from './authorize.js';
import { resolveMapping } from './identity-headers.js';
import { createJwksSource, JwksUnavailableError } from './jwks-source.js';
import { JwtProvider, secretKey, type JwtKey } from './jwt-provider.js';
import type { AuthGlobalConfig, ProviderConfig } from './schema.js';
import { DEFAULT_TOKEN_CACHE_ENTRIES } from './token-cache.js';
import { parsePublicKey } from './validate.js';

export type Provider = JwtProvider | ApiKeyProvider;

export const DEFAULTS = { clockSkew: '30s', maxTokenSize: '8kb', apiKeyHeader: 'X-API-Key' } as const;

export interface AuthShared {
  providers: ReadonlyMap<string, Provider>;
}

function jwtKey(name: string, p: ProviderConfig, logger: Logger, clock: Clock): JwtKey {
  if (p.secret !== undefined) return { kind: 'static', key: secretKey(p.secret) };
  if (p.publicKey !== undefined) {
    const key = parsePublicKey(p.publicKey);
    if (!key) throw new Error(`auth.${name}.publicKey is not a PEM public key`);
    return { kind: 'static', key };
  }
  const source = createJwksSource({
    ...(p.jwksUri !== undefined ? { jwksUri: p.jwksUri } : { issuer: p.issuer! }),
    logger: logger.child({ authProvider: name }),
    clock,
  });
  return { kind: 'remote', getKey: source.getKey, close: () => source.close(), isUnavailable: (err) => err instanceof JwksUnavailableError };
}

export function buildProvider(name: string, p: ProviderConfig, logger: Logger, clock: Clock): Provider {
  if (p.type === 'apiKey') {
    return new ApiKeyProvider(name, { header: (p.header ?? DEFAULTS.apiKeyHeader).toLowerCase(), query: p.query ?? null, keys: p.keys ?? {} });
  }
  return new JwtProvider({
    name,
    algorithms: p.algorithms ?? [],
    key: jwtKey(name, p, logger, clock),
    issuer: p.issuer,
    audience: p.audience,
    clockSkewSeconds: parseDuration(p.clockSkew ?? DEFAULTS.clockSkew) / 1000,
    requiredClaims: p.requiredClaims ?? [],
    maxTokenSize: parseSize(p.maxTokenSize ?? DEFAULTS.maxTokenSize),
    roleClaims: p.rolesClaim !== undefined ? [p.rolesClaim] : DEFAULT_ROLE_CLAIMS,
    scopeClaims: p.scopesClaim !== undefined ? [p.scopesClaim] : DEFAULT_SCOPE_CLAIMS,
    mapping: resolveMapping(p.headers),
    cacheEntries: p.tokenCache?.maxEntries ?? DEFAULT_TOKEN_CACHE_ENTRIES,
    clock,
    logger,
  });
}

/** Providers named by at least one route's `auth.use`. */
export function buildProviders(global: AuthGlobalConfig | undefined, config: GatewayConfig, logger: Logger, clock: Clock): AuthShared {
  const used = new Set<string>();
  for (const route of config.routes) {
    const auth = route['auth'] as { use?: readonly string[] } | undefined;
    for (const name of auth?.use ?? []) used.add(name);
  }
  const providers = new Map<string, Provider>();
  try {
    for (const [name, p] of Object.entries(global ?? {})) if (used.has(name)) providers.set(name, buildProvider(name, p, logger, clock));
  } catch (err) {
    closeProviders({ providers });
    throw err;
  }
  return { providers };
}

export function closeProviders(shared: AuthShared): void {
  for (const provider of shared.providers.values()) if (provider.kind === 'jwt') provider.close();
}
