/**
 * Credentials for the auth scenarios, made once per run: an HS256 token for a shared secret, and
 * an RS256 key pair whose public half the bench upstream serves as a JWKS (so the gateway really
 * fetches keys over HTTP, as it would from an IdP).
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const BENCH_HS_SECRET = 'portcullis-bench-secret-0123456789abcdef';
export const BENCH_ORIGIN = 'https://app.example.com';

export interface BenchCredentials {
  hsToken: string;
  rsToken: string;
  /** The RS256 public key as a JWKS document. */
  jwks: { keys: Record<string, unknown>[] };
}

export async function makeCredentials(): Promise<BenchCredentials> {
  const claims = { role: 'user', scope: 'orders:read' };
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const hsToken = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('bench-user').setExpirationTime(exp).sign(new TextEncoder().encode(BENCH_HS_SECRET));
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const rsToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'bench-1' }).setSubject('bench-user').setExpirationTime(exp).sign(privateKey);
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
  return { hsToken, rsToken, jwks: { keys: [jwk] } };
}
