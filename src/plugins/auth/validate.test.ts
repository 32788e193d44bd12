import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../config/pipeline.js';
import { PluginRegistry } from '../registry.js';
import { authPlugin } from './index.js';

const registry = new PluginRegistry([authPlugin]);
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const SECRET = 'a-secret-of-at-least-thirty-two-chars!!';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function check(auth: string, routeAuth = '{ use: [p] }') {
  const yaml = `upstreams: { u: { targets: ["http://127.0.0.1:8002"] } }
auth:
${auth}
routes:
  - { name: r, match: { path: /r }, upstream: u, auth: ${routeAuth} }
`;
  const result = checkConfigText(yaml, 'c.yaml', registry);
  // Drop the `(c.yaml:line)` suffix: tests assert on path and message.
  const strip = (l: string) => l.replace(/ \(c\.yaml:\d+\)$/, '');
  return { errors: result.errors.map(strip), warnings: result.warnings.map(strip) };
}

describe('auth validation: accepted', () => {
  it.each([
    ['HS256 with a secret', `  p: { type: jwt, algorithms: [HS256, HS512], secret: "${SECRET}" }`],
    ['RS256 and PS256 with an RSA PEM', `  p: { type: jwt, algorithms: [RS256, PS256], publicKey: ${JSON.stringify(rsaPem)} }`],
    ['ES256 with a P-256 PEM', `  p: { type: jwt, algorithms: [ES256], publicKey: ${JSON.stringify(ecPem)} }`],
    ['a JWKS URL', '  p: { type: jwt, algorithms: [RS256, ES256], jwksUri: "https://idp.example/jwks", audience: [a, b] }'],
    ['issuer alone (discovery)', '  p: { type: jwt, algorithms: [RS256], issuer: "https://idp.example/realms/x" }'],
    ['API keys as digests', `  p: { type: apiKey, header: X-Key, query: key, keys: { acme: "${DIGEST}" } }`],
  ])('%s', (_name, auth) => {
    expect(check(auth)).toEqual({ errors: [], warnings: [] });
  });
});

describe('auth validation: refused', () => {
  it.each([
    ['alg none', '  p: { type: jwt, algorithms: [none], secret: "x" }', 'auth.p.algorithms[0]: must be one of'],
    ['algorithms missing', `  p: { type: jwt, secret: "${SECRET}" }`, 'auth.p.algorithms: is required for a jwt provider'],
    ['HS256 with a public key', `  p: { type: jwt, algorithms: [HS256], publicKey: ${JSON.stringify(rsaPem)} }`, 'auth.p.secret: is required for HS256'],
    ['HS256 with a JWKS', '  p: { type: jwt, algorithms: [HS256], jwksUri: "https://idp/jwks" }', 'auth.p.secret: is required for HS256'],
    ['HS256 with an issuer only', '  p: { type: jwt, algorithms: [HS256], issuer: "https://idp" }', 'auth.p.secret: is required for HS256'],
    ['RS256 with a secret', `  p: { type: jwt, algorithms: [RS256], secret: "${SECRET}" }`, 'auth.p.secret: cannot verify RS256'],
    ['HMAC and asymmetric mixed', `  p: { type: jwt, algorithms: [HS256, RS256], secret: "${SECRET}" }`, 'auth.p.algorithms: do not mix HMAC'],
    ['two key sources', `  p: { type: jwt, algorithms: [RS256], publicKey: ${JSON.stringify(rsaPem)}, jwksUri: "https://idp/jwks" }`, 'auth.p.jwksUri: give exactly one key source'],
    ['no key source', '  p: { type: jwt, algorithms: [RS256] }', 'auth.p.algorithms: a jwt provider needs a key'],
    ['a PEM that is no key', '  p: { type: jwt, algorithms: [RS256], publicKey: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----" }', 'auth.p.publicKey: is not a PEM public key'],
    ['an EC key for RS256', `  p: { type: jwt, algorithms: [RS256], publicKey: ${JSON.stringify(ecPem)} }`, 'auth.p.publicKey: is an EC key, which cannot verify RS256'],
    ['an RSA key for ES256', `  p: { type: jwt, algorithms: [ES256], publicKey: ${JSON.stringify(rsaPem)} }`, 'auth.p.publicKey: is an RSA key, which cannot verify ES256'],
    ['a jwksUri that is not http(s)', '  p: { type: jwt, algorithms: [RS256], jwksUri: "file:///etc/jwks" }', 'auth.p.jwksUri: must be an http:// or https:// URL'],
    ['a bad clockSkew', `  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}", clockSkew: soon }`, 'auth.p.clockSkew: must be a duration'],
    ['a bad maxTokenSize', `  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}", maxTokenSize: big }`, 'auth.p.maxTokenSize: must be a size'],
    ['an identity header the gateway owns', `  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}", headers: { sub: X-Forwarded-For } }`, 'auth.p.headers.sub: X-Forwarded-For is set by the gateway'],
    ['an apiKey field on a jwt provider', `  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}", keys: { a: b } }`, 'auth.p.keys: is not a field of a jwt provider'],
    ['a jwt field on an apiKey provider', `  p: { type: apiKey, keys: { a: "${DIGEST}" }, secret: x }`, 'auth.p.secret: is not a field of an apiKey provider'],
    ['apiKey without keys', '  p: { type: apiKey }', 'auth.p.keys: is required for an apiKey provider'],
    ['a malformed sha256 key', '  p: { type: apiKey, keys: { acme: "sha256:abc" } }', 'auth.p.keys.acme: a sha256: key must be followed by exactly 64 hex digits'],
    ['the same key twice', `  p: { type: apiKey, keys: { a: "${DIGEST}", b: "${DIGEST.toUpperCase().replace('SHA256', 'sha256')}" } }`, 'auth.p.keys.b: is the same key as consumer "a"'],
    ['an unknown type', '  p: { type: basic }', 'auth.p.type: must be jwt or apiKey'],
    ['an unknown key', `  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}", algorithm: HS256 }`, 'auth.p.algorithm: unknown key'],
  ])('%s', (_name, auth, expected) => {
    const { errors } = check(auth);
    expect(errors.some((e) => e.startsWith(expected)), errors.join('\n')).toBe(true);
  });

  it('an unknown provider in use is reported at routes[i].auth.use[j]', () => {
    const { errors } = check(`  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}" }`, '{ use: [p, users] }');
    expect(errors).toEqual(['routes[0].auth.use[1]: unknown auth provider "users" (defined: p)']);
  });

  it('a route auth without a top-level auth', () => {
    const result = checkConfigText(`upstreams: { u: { targets: ["http://127.0.0.1:8002"] } }
routes: [{ name: r, match: { path: /r }, upstream: u, auth: { use: [users] } }]
`, 'c.yaml', registry);
    expect(result.errors.map((e) => e.replace(/ \(.*\)$/, ''))).toEqual(['routes[0].auth.use[0]: unknown auth provider "users"']);
  });

  it('roles on a route that only accepts API keys would refuse everyone', () => {
    const { errors } = check(`  p: { type: apiKey, keys: { a: "${DIGEST}" } }`, '{ use: [p], roles: [admin] }');
    expect(errors[0]).toMatch(/^routes\[0\]\.auth\.roles: API keys carry no roles/);
  });

  it.each([
    ['use empty', '{ use: [] }', 'routes[0].auth.use'],
    ['match other', '{ use: [p], match: some }', 'routes[0].auth.match: must be any or all'],
    ['unknown route key', '{ use: [p], role: [x] }', 'routes[0].auth.role: unknown key'],
  ])('route: %s', (_name, routeAuth, expected) => {
    const { errors } = check(`  p: { type: jwt, algorithms: [HS256], secret: "${SECRET}" }`, routeAuth);
    expect(errors.some((e) => e.startsWith(expected)), errors.join('\n')).toBe(true);
  });
});

describe('auth validation: warnings', () => {
  it('a plain-text API key is accepted with a warning', () => {
    const { errors, warnings } = check('  p: { type: apiKey, keys: { acme: "plain-key-123" } }');
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^auth\.p\.keys\.acme: is a plain-text key/);
  });

  it('a short HMAC secret is accepted with a warning', () => {
    const { errors, warnings } = check('  p: { type: jwt, algorithms: [HS256], secret: "short" }');
    expect(errors).toEqual([]);
    expect(warnings[0]).toMatch(/^auth\.p\.secret: is shorter than 32 characters/);
  });
});
