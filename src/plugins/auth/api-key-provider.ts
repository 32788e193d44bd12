/**
 * API keys: each names a consumer. Keys are stored as SHA-256 digests (`sha256:<hex>`; a plain
 * key is hashed at load). A presented key is hashed, looked up by digest, and confirmed with
 * `timingSafeEqual`: the comparison's timing depends on a digest the client cannot steer, never
 * on how many leading characters of a real key it guessed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../../pipeline/context.js';
import { identityHeaders } from './identity-headers.js';

const STORED_DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

/** Longest key accepted (a hash of anything longer is computed for no one). */
export const MAX_API_KEY_LENGTH = 1024;

export type StoredKey = { digest: Buffer; plain: boolean } | { error: string };

/** `sha256:<64 hex>` → its digest; any other string is a plain key, hashed here. */
export function parseStoredKey(stored: string): StoredKey {
  const m = STORED_DIGEST.exec(stored);
  if (m) return { digest: Buffer.from(m[1]!, 'hex'), plain: false };
  if (stored.toLowerCase().startsWith('sha256:')) return { error: 'a sha256: key must be followed by exactly 64 hex digits' };
  if (stored.length > MAX_API_KEY_LENGTH) return { error: `is longer than ${MAX_API_KEY_LENGTH} characters` };
  return { digest: sha256(stored), plain: true };
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export interface ApiKeyOptions {
  /** Lower-case request header carrying the key. */
  header: string;
  /** Query parameter carrying the key, or null. */
  query: string | null;
  keys: Record<string, string>;
}

export interface ApiKeyIdentity {
  identity: Identity;
  /** [X-Consumer, consumer] for the upstream. */
  headers: readonly string[];
}

export class ApiKeyProvider {
  readonly kind = 'apiKey' as const;
  readonly name: string;
  readonly header: string;
  readonly query: string | null;
  /** Hex digest → the digest bytes and what the key stands for. */
  private readonly byDigest = new Map<string, { digest: Buffer; result: ApiKeyIdentity }>();

  constructor(name: string, options: ApiKeyOptions) {
    this.name = name;
    this.header = options.header;
    this.query = options.query;
    for (const [consumer, stored] of Object.entries(options.keys)) {
      const parsed = parseStoredKey(stored);
      if ('error' in parsed) throw new Error(`auth.${name}.keys.${consumer}: ${parsed.error}`);
      // Identities are immutable and the same for every request of a consumer: made once.
      const identity: Identity = Object.freeze({ provider: name, subject: null, email: null, roles: [], scopes: [], consumer, claims: Object.freeze({}) });
      const result = Object.freeze({ identity, headers: Object.freeze(identityHeaders(identity, [])) });
      this.byDigest.set(parsed.digest.toString('hex'), { digest: parsed.digest, result });
    }
  }

  /** The identity a presented key names (and its upstream headers), or null when it names none. */
  authenticate(presented: string): ApiKeyIdentity | null {
    if (presented.length === 0 || presented.length > MAX_API_KEY_LENGTH) return null;
    const digest = sha256(presented);
    const entry = this.byDigest.get(digest.toString('hex'));
    if (entry === undefined || !timingSafeEqual(digest, entry.digest)) return null;
    return entry.result;
  }
}
