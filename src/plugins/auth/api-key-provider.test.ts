import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

// Observe the constant-time comparison (the real function still runs).
const spies = vi.hoisted(() => ({ timingSafeEqual: undefined as unknown as ReturnType<typeof vi.fn> }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  spies.timingSafeEqual = vi.fn(actual.timingSafeEqual);
  return { ...actual, timingSafeEqual: spies.timingSafeEqual };
});

const { ApiKeyProvider, parseStoredKey, MAX_API_KEY_LENGTH } = await import('./api-key-provider.js');

const hex = (key: string) => createHash('sha256').update(key).digest('hex');

describe('parseStoredKey', () => {
  it('reads sha256 digests in either case, hashes plain keys, refuses malformed digests', () => {
    const d = parseStoredKey(`sha256:${hex('k').toUpperCase()}`);
    expect('digest' in d && d.digest.toString('hex')).toBe(hex('k'));
    expect('plain' in d && d.plain).toBe(false);
    const p = parseStoredKey('plain-key');
    expect('digest' in p && p.digest.toString('hex')).toBe(hex('plain-key'));
    expect('plain' in p && p.plain).toBe(true);
    expect(parseStoredKey('sha256:1234')).toEqual({ error: expect.stringContaining('64 hex') });
    expect(parseStoredKey(`SHA256:${'z'.repeat(64)}`)).toEqual({ error: expect.stringContaining('64 hex') });
  });
});

describe('ApiKeyProvider', () => {
  const provider = new ApiKeyProvider('partners', { header: 'x-api-key', query: null, keys: { acme: `sha256:${hex('acme-secret')}`, globex: 'globex-plain' } });

  it('names the consumer of a good key, with X-Consumer for the upstream', () => {
    expect(provider.authenticate('acme-secret')?.identity).toMatchObject({ provider: 'partners', consumer: 'acme', subject: null, roles: [], scopes: [] });
    expect(provider.authenticate('acme-secret')?.headers).toEqual(['X-Consumer', 'acme']);
    expect(provider.authenticate('globex-plain')?.identity.consumer).toBe('globex');
  });

  it('confirms a digest match with timingSafeEqual', () => {
    spies.timingSafeEqual.mockClear();
    expect(provider.authenticate('acme-secret')).not.toBeNull();
    expect(spies.timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = spies.timingSafeEqual.mock.calls[0] as [Buffer, Buffer];
    expect(a.toString('hex')).toBe(hex('acme-secret'));
    expect(b.toString('hex')).toBe(hex('acme-secret'));
  });

  it.each([
    ['a wrong key', 'acme-secreT'],
    ['the digest itself', `sha256:${hex('acme-secret')}`],
    ['empty', ''],
    ['too long', 'a'.repeat(MAX_API_KEY_LENGTH + 1)],
  ])('refuses %s', (_name, key) => {
    expect(provider.authenticate(key)).toBeNull();
  });

  it('identities are frozen (shared by all requests of a consumer)', () => {
    const result = provider.authenticate('acme-secret')!;
    expect(Object.isFrozen(result.identity)).toBe(true);
    expect(Object.isFrozen(result.headers)).toBe(true);
  });
});
