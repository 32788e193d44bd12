import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/context.js';
import { createBalancer } from './balancers/create-balancer.js';
import { CompiledUpstream } from './compiled-upstream.js';
import { PoolRegistry } from './pool-registry.js';
import type { Target } from './target.js';
import type { HealthOptions } from './health/target-health.js';
import { TargetSet } from './target-set.js';

const ctx = {} as RequestContext;
const POOL = { connections: 1, keepAliveMs: 1000, connectTimeoutMs: 1000 };

function errorOf(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error('did not throw');
}

describe('CompiledUpstream', () => {
  const pools = new PoolRegistry();
  afterEach(() => pools.closeAll());
  const clock = { t: 1_000_000, now() { return this.t; } };

  function upstream(health: HealthOptions, ports = [1, 2, 3]): CompiledUpstream {
    const set = new TargetSet('u', pools, POOL, health);
    set.replace(ports.map((p) => ({ url: `http://127.0.0.1:${p}`, weight: 1 })));
    return new CompiledUpstream({ name: 'u', targets: set, balancer: createBalancer<Target>('round-robin', set.targets), balancerName: 'round-robin', responseTimeoutMs: 1000, connectTimeoutMs: 1000, clock });
  }
  const labels = (u: CompiledUpstream, n: number) => Array.from({ length: n }, () => u.pick(ctx).label.split(':')[1]);

  it('a retry avoids the targets the request already tried while another is in rotation', () => {
    const u = upstream({ active: null, outlier: null, breaker: null });
    const [a, b, c] = u.targets;
    for (let i = 0; i < 6; i++) {
      const t = u.pick(ctx, [a!, b!]);
      expect(t).toBe(c);
    }
    // Everything tried: any target rather than none.
    expect(u.targets).toContain(u.pick(ctx, [a!, b!, c!]));
  });

  it('ejected targets leave the rotation and come back by themselves after the ejection time', () => {
    const u = upstream({ active: null, outlier: { consecutiveFailures: 2, baseEjectionMs: 10_000, maxEjectionMs: 60_000 }, breaker: null });
    const [a] = u.targets;
    u.report(a!, true);
    expect(labels(u, 3).sort()).toEqual(['1', '2', '3']);
    u.report(a!, true);
    expect(labels(u, 6)).not.toContain('1');
    clock.t += 9_999;
    expect(labels(u, 6)).not.toContain('1');
    clock.t += 1;
    expect(labels(u, 6)).toContain('1');
  });

  it('keeps the same rotation array while its members do not change (balancer caches survive)', () => {
    const u = upstream({ active: { healthy: 1, unhealthy: 1 }, outlier: null, breaker: null });
    const rotation = () => (u as unknown as { rotation: readonly Target[] }).rotation;
    const first = rotation();
    u.probed(u.targets[0]!, true);
    u.report(u.targets[0]!, false);
    expect(rotation()).toBe(first);
    u.probed(u.targets[0]!, false);
    expect(rotation()).not.toBe(first);
    expect(rotation()).toHaveLength(2);
  });

  it('no target in rotation: circuit_open with Retry-After until the first cooldown ends, else no_healthy_upstream', () => {
    const u = upstream({ active: { healthy: 1, unhealthy: 1 }, outlier: null, breaker: { failures: 1, windowMs: 1000, cooldownMs: 30_000, halfOpenRequests: 1 } }, [1, 2]);
    const [a, b] = u.targets;
    u.report(a!, true);
    clock.t += 10_000;
    u.report(b!, true);
    let err = errorOf(() => u.pick(ctx));
    expect([err.code, err.headers?.['retry-after']]).toEqual(['circuit_open', '20']);
    // Half-open with its one trial slot taken: the other is still open → circuit_open, try in a second.
    clock.t += 20_000;
    expect(u.pick(ctx)).toBe(a);
    err = errorOf(() => u.pick(ctx));
    expect([err.code, err.headers?.['retry-after']]).toEqual(['circuit_open', '1']);
    u.report(a!, false); // the trial succeeded: closed
    expect(u.pick(ctx)).toBe(a);
    u.probed(a!, false);
    u.probed(b!, false);
    err = errorOf(() => u.pick(ctx));
    expect([err.code, err.headers?.['retry-after']]).toEqual(['no_healthy_upstream', '5']);
    expect(u.hasHealthyTarget()).toBe(false);
  });

  it('a trial the client abandoned frees its half-open slot', () => {
    const u = upstream({ active: null, outlier: null, breaker: { failures: 1, windowMs: 1000, cooldownMs: 1000, halfOpenRequests: 1 } }, [1]);
    const [a] = u.targets;
    u.report(a!, true);
    clock.t += 1000;
    expect(u.pick(ctx)).toBe(a);
    expect(errorOf(() => u.pick(ctx)).code).toBe('circuit_open');
    u.release(a!);
    expect(u.pick(ctx)).toBe(a);
  });

  it('an upstream sharing a target health (old and new state after a reload) sees changes reported through the other', () => {
    const health = { active: null, outlier: { consecutiveFailures: 1, baseEjectionMs: 10_000, maxEjectionMs: 60_000 }, breaker: null };
    const oldOne = upstream(health, [1, 2]);
    const set = new TargetSet('u', pools, POOL, health);
    set.inherit = (url) => oldOne.targets.find((t) => t.url === url)?.health;
    set.replace([{ url: 'http://127.0.0.1:1', weight: 1 }, { url: 'http://127.0.0.1:2', weight: 1 }]);
    set.inherit = null;
    const newOne = new CompiledUpstream({ name: 'u', targets: set, balancer: createBalancer<Target>('round-robin', set.targets), balancerName: 'round-robin', responseTimeoutMs: 1000, connectTimeoutMs: 1000, clock });
    expect(newOne.targets[0]!.health).toBe(oldOne.targets[0]!.health);
    oldOne.report(oldOne.targets[0]!, true); // a request of the draining state ejects target 1
    expect(labels(newOne, 4)).toEqual(['2', '2', '2', '2']);
    oldOne.dispose();
    clock.t += 10_000;
    expect(labels(newOne, 4).sort()).toEqual(['1', '1', '2', '2']);
    newOne.report(newOne.targets[1]!, true);
    expect(labels(newOne, 2)).toEqual(['1', '1']);
    newOne.dispose();
  });

  it('new targets from discovery join the rotation; an empty list is no_healthy_upstream', () => {
    const u = upstream({ active: null, outlier: null, breaker: null }, [1]);
    expect(u.setTargets([{ url: 'http://127.0.0.1:1', weight: 1 }, { url: 'http://127.0.0.1:2', weight: 1 }])).toBe(true);
    expect(labels(u, 4).sort()).toEqual(['1', '1', '2', '2']);
    expect(u.setTargets([])).toBe(true);
    expect(errorOf(() => u.pick(ctx)).code).toBe('no_healthy_upstream');
    u.dispose();
    expect(pools.size).toBe(0);
  });
});
