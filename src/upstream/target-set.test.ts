import { afterEach, describe, expect, it } from 'vitest';
import { PoolRegistry } from './pool-registry.js';
import { TargetSet } from './target-set.js';

const POOL = { connections: 4, keepAliveMs: 1000, connectTimeoutMs: 1000 };
const HEALTH = { active: null, outlier: { consecutiveFailures: 2, baseEjectionMs: 1000, maxEjectionMs: 5000 }, breaker: null };

describe('TargetSet', () => {
  const pools = new PoolRegistry();
  afterEach(() => pools.closeAll());

  it('acquires one pool per target and releases the ones a replace drops', () => {
    const set = new TargetSet('u', pools, POOL, HEALTH);
    expect(set.replace([{ url: 'http://127.0.0.1:1', weight: 1 }, { url: 'http://127.0.0.1:2/base/', weight: 2 }])).toBe(true);
    expect(pools.size).toBe(2);
    expect(set.targets.map((t) => [t.id, t.label, t.url, t.basePath, t.hostHeader, t.weight])).toEqual([
      ['u/127.0.0.1:1', '127.0.0.1:1', 'http://127.0.0.1:1', '', '127.0.0.1:1', 1],
      ['u/127.0.0.1:2', '127.0.0.1:2', 'http://127.0.0.1:2/base', '/base', '127.0.0.1:2', 2],
    ]);
    expect(set.replace([{ url: 'http://127.0.0.1:2/base', weight: 2 }, { url: 'http://127.0.0.1:3', weight: 1 }])).toBe(true);
    expect(pools.size).toBe(2);
    expect(set.targets.map((t) => t.label)).toEqual(['127.0.0.1:2', '127.0.0.1:3']);
    set.release();
    expect(pools.size).toBe(0);
  });

  it('keeps the Target object (pool, load, health) of a target that stays, and says when nothing changed', () => {
    const set = new TargetSet('u', pools, POOL, HEALTH);
    set.replace([{ url: 'http://127.0.0.1:1', weight: 1 }]);
    const before = set.targets[0]!;
    before.health.onOutcome(true, 0);
    before.health.onOutcome(true, 0); // ejected
    expect(set.replace([{ url: 'http://127.0.0.1:1', weight: 1 }])).toBe(false);
    expect(set.targets[0]).toBe(before);
    // A weight change makes a new object with the same pool and health, and no second pool reference.
    expect(set.replace([{ url: 'http://127.0.0.1:1', weight: 3 }])).toBe(true);
    const after = set.targets[0]!;
    expect(after).not.toBe(before);
    expect([after.weight, after.pool, after.health, after.load]).toEqual([3, before.pool, before.health, before.load]);
    expect(after.health.healthy(1)).toBe(false);
    set.release();
    expect(pools.size).toBe(0);
  });

  it('drops duplicate URLs and ignores replaces after release', () => {
    const set = new TargetSet('u', pools, POOL, HEALTH);
    set.replace([{ url: 'http://127.0.0.1:1', weight: 1 }, { url: 'http://127.0.0.1:1/', weight: 5 }]);
    expect(set.targets).toHaveLength(1);
    expect(pools.size).toBe(1);
    set.release();
    expect(set.replace([{ url: 'http://127.0.0.1:9', weight: 1 }])).toBe(false);
    expect(pools.size).toBe(0);
  });

  it('shares a pool with another set naming the same origin until both let go', () => {
    const a = new TargetSet('a', pools, POOL, HEALTH);
    const b = new TargetSet('b', pools, POOL, HEALTH);
    a.replace([{ url: 'http://127.0.0.1:1', weight: 1 }]);
    b.replace([{ url: 'http://127.0.0.1:1', weight: 1 }]);
    expect(pools.size).toBe(1);
    expect(a.targets[0]!.health).not.toBe(b.targets[0]!.health);
    a.replace([]);
    expect(pools.size).toBe(1);
    b.release();
    expect(pools.size).toBe(0);
  });
});
