/** `portcullis token`: an HS256 JWT for trying routes locally (jose). */
import { SignJWT } from 'jose';
import { parseDuration } from '../config/units.js';

export async function signDevToken(options: { secret: string; sub: string; role?: string | undefined; ttl: string }): Promise<string> {
  const ttlSeconds = Math.max(1, Math.floor(parseDuration(options.ttl) / 1000));
  const claims: Record<string, unknown> = {};
  if (options.role !== undefined) claims['role'] = options.role;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(options.secret));
}
