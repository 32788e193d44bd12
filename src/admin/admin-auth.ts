/** Bearer token check for /admin/*, in constant time over digests (lengths do not leak either). */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerMatches(header: string | undefined, token: string): boolean {
  if (token === '') return true;
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), digest(token));
}
