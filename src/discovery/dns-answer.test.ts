import { describe, expect, it } from 'vitest';
import { lowestPriorityGroup, nextResolveDelay } from './dns-answer.js';

const srv = (name: string, priority: number, weight = 1) => ({ name, port: 80, priority, weight });

describe('lowestPriorityGroup', () => {
  it.each([
    [[], []],
    [[srv('a', 10), srv('b', 20), srv('c', 10)], [srv('a', 10), srv('c', 10)]],
    [[srv('a', 0), srv('b', 65535)], [srv('a', 0)]],
  ])('%j → %j', (records, group) => {
    expect(lowestPriorityGroup(records)).toEqual(group);
  });
});

describe('nextResolveDelay', () => {
  const policy = { refreshMs: 30_000, minTtlMs: 1000, maxTtlMs: 300_000 };
  it.each([
    ['shortest TTL wins', [60, 5, 120], 5000],
    ['TTL 0 → refresh', [0], 30_000],
    ['unknown (SRV) caps at refresh', [null, 120], 30_000],
    ['unknown with a shorter known TTL', [null, 10], 10_000],
    ['empty answer → refresh', [], 30_000],
    ['clamped to minTtl', [0.2], 1000],
    ['clamped to maxTtl', [86_400], 300_000],
  ] as const)('%s', (_name, ttls, delay) => {
    expect(nextResolveDelay(ttls, policy)).toBe(delay);
  });
});
