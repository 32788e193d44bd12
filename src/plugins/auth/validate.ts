/**
 * Checks of `auth` the schema cannot express: which fields go with which provider type, the
 * algorithm/key pairing (never an HMAC algorithm with an asymmetric key, and the reverse), the
 * PEM key itself, API key formats, and per route the provider names in `use`.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Problem } from '../define-plugin.js';
import { HMAC_ALGORITHMS, type Algorithm, type AuthGlobalConfig, type ProviderConfig, type RouteAuthConfig } from './schema.js';
import { parseStoredKey } from './api-key-provider.js';
import { isReservedHeader } from './identity-headers.js';

const JWT_ONLY = ['algorithms', 'secret', 'publicKey', 'jwksUri', 'issuer', 'audience', 'clockSkew', 'requiredClaims', 'maxTokenSize', 'rolesClaim', 'scopesClaim', 'headers', 'tokenCache'] as const;
const API_KEY_ONLY = ['header', 'query', 'keys'] as const;

const isHmac = (alg: string) => (HMAC_ALGORITHMS as readonly string[]).includes(alg);

/** The key types an asymmetric algorithm can verify with (KeyObject.asymmetricKeyType, EC curve). */
function keyFits(alg: Algorithm, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RS')) return type === 'rsa';
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  if (alg === 'ES256') return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (alg === 'ES384') return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448';
  return false;
}

/** Parses a PEM public key (SPKI, or an X.509 certificate's key); undefined when it is none. */
export function parsePublicKey(pem: string): KeyObject | undefined {
  try {
    const key = createPublicKey(pem);
    return key.type === 'public' ? key : undefined;
  } catch {
    return undefined;
  }
}

function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  return undefined;
}

function jwtProblems(p: ProviderConfig, at: (...rest: (string | number)[]) => (string | number)[]): Problem[] {
  const problems: Problem[] = [];
  const error = (path: (string | number)[], message: string) => problems.push({ path, message });
  if (p.algorithms === undefined) {
    error(at('algorithms'), 'is required for a jwt provider (the accepted algorithms)');
    return problems;
  }
  const hmac = p.algorithms.filter(isHmac);
  const asymmetric = p.algorithms.filter((a) => !isHmac(a));
  // `issuer` alone means discovery; with another key source it only checks `iss`.
  const sources = [p.secret !== undefined && 'secret', p.publicKey !== undefined && 'publicKey', p.jwksUri !== undefined && 'jwksUri'].filter((s): s is string => s !== false);
  if (sources.length > 1) error(at(sources[1]!), `give exactly one key source (secret, publicKey, jwksUri, or issuer alone), not ${sources.join(' and ')}`);
  if (sources.length === 0 && p.issuer === undefined) error(at('algorithms'), 'a jwt provider needs a key: secret, publicKey, jwksUri, or issuer (OIDC discovery)');
  if (hmac.length > 0 && asymmetric.length > 0) {
    error(at('algorithms'), `do not mix HMAC (${hmac.join(', ')}) and asymmetric (${asymmetric.join(', ')}) algorithms in one provider: define two providers`);
  } else if (hmac.length > 0 && p.secret === undefined) {
    error(at('secret'), `is required for ${hmac.join(', ')} (an HMAC algorithm is never verified with a public key, JWKS or issuer)`);
  } else if (asymmetric.length > 0 && p.secret !== undefined) {
    error(at('secret'), `cannot verify ${asymmetric.join(', ')}: asymmetric algorithms need publicKey, jwksUri or issuer`);
  }
  if (p.secret !== undefined && p.secret.length < 32 && hmac.length > 0) {
    problems.push({ path: at('secret'), message: 'is shorter than 32 characters; an HMAC secret this short can be guessed offline', severity: 'warning' });
  }
  if (p.publicKey !== undefined) {
    const key = parsePublicKey(p.publicKey);
    if (!key) error(at('publicKey'), 'is not a PEM public key (-----BEGIN PUBLIC KEY-----)');
    else for (const alg of asymmetric) if (!keyFits(alg, key)) error(at('publicKey'), `is an ${(key.asymmetricKeyType ?? 'unknown').toUpperCase()} key, which cannot verify ${alg}`);
  }
  for (const [claim, header] of Object.entries(p.headers ?? {})) {
    if (header !== null && isReservedHeader(header)) error(at('headers', claim), `${header} is set by the gateway or the connection; choose another header`);
  }
  for (const field of ['jwksUri', 'issuer'] as const) {
    const value = p[field];
    // `issuer` is compared to `iss` as is; it must be a URL only when it is the key source.
    if (value === undefined || (field === 'issuer' && sources.length > 0)) continue;
    const problem = httpUrlProblem(value);
    if (problem) error(at(field), problem);
  }
  return problems;
}

function apiKeyProblems(p: ProviderConfig, at: (...rest: (string | number)[]) => (string | number)[]): Problem[] {
  const problems: Problem[] = [];
  if (p.keys === undefined || Object.keys(p.keys).length === 0) {
    problems.push({ path: at('keys'), message: 'is required for an apiKey provider (consumer: "sha256:<hex>")' });
    return problems;
  }
  const seen = new Map<string, string>();
  for (const [consumer, stored] of Object.entries(p.keys)) {
    const parsed = parseStoredKey(stored);
    if ('error' in parsed) {
      problems.push({ path: at('keys', consumer), message: parsed.error });
      continue;
    }
    if (parsed.plain) {
      problems.push({ path: at('keys', consumer), message: 'is a plain-text key; store its digest instead: "sha256:" + `printf %s KEY | sha256sum`', severity: 'warning' });
    }
    const hex = parsed.digest.toString('hex');
    const other = seen.get(hex);
    if (other !== undefined) problems.push({ path: at('keys', consumer), message: `is the same key as consumer "${other}"` });
    else seen.set(hex, consumer);
  }
  return problems;
}

export function validateProviders(value: AuthGlobalConfig): Problem[] {
  const problems: Problem[] = [];
  for (const [name, provider] of Object.entries(value)) {
    const at = (...rest: (string | number)[]) => [name, ...rest];
    const foreign = provider.type === 'jwt' ? API_KEY_ONLY : JWT_ONLY;
    for (const key of foreign) {
      if (provider[key] !== undefined) problems.push({ path: at(key), message: `is not a field of ${provider.type === 'jwt' ? 'a jwt' : 'an apiKey'} provider` });
    }
    problems.push(...(provider.type === 'jwt' ? jwtProblems(provider, at) : apiKeyProblems(provider, at)));
  }
  return problems;
}

export function validateRouteAuth(value: RouteAuthConfig, providers: unknown): Problem[] {
  const known = providers !== null && typeof providers === 'object' ? (providers as Record<string, ProviderConfig>) : {};
  const problems: Problem[] = [];
  value.use.forEach((name, j) => {
    if (!Object.hasOwn(known, name)) {
      const names = Object.keys(known);
      problems.push({ path: ['use', j], message: `unknown auth provider "${name}"${names.length > 0 ? ` (defined: ${names.join(', ')})` : ' (the top-level auth defines none)'}` });
    }
  });
  const used = value.use.map((n) => known[n]).filter((p): p is ProviderConfig => p !== undefined);
  if ((value.roles !== undefined || value.scopes !== undefined) && used.length > 0 && used.every((p) => p.type === 'apiKey')) {
    problems.push({ path: [value.roles !== undefined ? 'roles' : 'scopes'], message: 'API keys carry no roles or scopes: every request would be refused (403)' });
  }
  return problems;
}
