import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';

const opts: CircuitBreakerOptions = { failures: 3, windowMs: 1000, cooldownMs: 5000, halfOpenRequests: 1 };

/** One step of a scripted scenario: an operation at time `at` (ms) and what it must return. */
type Step =
  | { op: 'fail' | 'ok'; at: number; state: CircuitState }
  | { op: 'acquire'; at: number; want: boolean; state: CircuitState }
  | { op: 'release'; at: number; state: CircuitState };

function run(options: CircuitBreakerOptions, steps: Step[]): CircuitBreaker {
  const cb = new CircuitBreaker(options);
  steps.forEach((s, i) => {
    const where = `step ${i}: ${s.op} at ${s.at}`;
    if (s.op === 'acquire') expect(cb.tryAcquire(s.at), where).toBe(s.want);
    else if (s.op === 'fail') cb.onFailure(s.at);
    else if (s.op === 'ok') cb.onSuccess(s.at);
    else cb.release();
    expect(cb.state(s.at), where).toBe(s.state);
  });
  return cb;
}

describe('CircuitBreaker scenarios', () => {
  it.each<{ name: string; options?: Partial<CircuitBreakerOptions>; steps: Step[] }>([
    {
      name: 'closed → open → half-open → closed',
      steps: [
        { op: 'acquire', at: 0, want: true, state: 'closed' },
        { op: 'fail', at: 100, state: 'closed' },
        { op: 'fail', at: 200, state: 'closed' },
        { op: 'fail', at: 300, state: 'open' }, // 3 failures within 1000 ms
        { op: 'acquire', at: 301, want: false, state: 'open' },
        { op: 'acquire', at: 5299, want: false, state: 'open' }, // cooldown until 5300
        { op: 'acquire', at: 5300, want: true, state: 'half-open' }, // the one trial
        { op: 'acquire', at: 5301, want: false, state: 'half-open' }, // slot taken
        { op: 'ok', at: 5400, state: 'closed' },
        { op: 'acquire', at: 5401, want: true, state: 'closed' },
        // Old failures were cleared on close: two new ones do not reopen it.
        { op: 'fail', at: 5500, state: 'closed' },
        { op: 'fail', at: 5600, state: 'closed' },
        { op: 'fail', at: 5700, state: 'open' },
      ],
    },
    {
      name: 'half-open trial fails → open again with a new cooldown',
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 0, state: 'open' },
        { op: 'acquire', at: 5000, want: true, state: 'half-open' },
        { op: 'fail', at: 6000, state: 'open' }, // reopened at 6000 → half-open at 11000
        { op: 'acquire', at: 10_999, want: false, state: 'open' },
        { op: 'acquire', at: 11_000, want: true, state: 'half-open' },
        { op: 'ok', at: 11_001, state: 'closed' },
      ],
    },
    {
      name: 'window edge: oldest failure exactly windowMs ago still counts',
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 500, state: 'closed' },
        { op: 'fail', at: 1000, state: 'open' },
      ],
    },
    {
      name: 'window edge: failures spread wider than the window do not open',
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 500, state: 'closed' },
        { op: 'fail', at: 1001, state: 'closed' }, // 0 is 1 ms out of the window
      ],
    },
    {
      name: 'sliding window: the last `failures` failures decide',
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 2000, state: 'closed' },
        { op: 'fail', at: 4000, state: 'closed' },
        { op: 'fail', at: 4500, state: 'closed' }, // last 3: 2000, 4000, 4500 → span 2500
        { op: 'fail', at: 4900, state: 'open' }, // last 3: 4000, 4500, 4900 → span 900
      ],
    },
    {
      name: 'successes in closed state do not erase failures',
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'ok', at: 10, state: 'closed' },
        { op: 'fail', at: 20, state: 'closed' },
        { op: 'ok', at: 30, state: 'closed' },
        { op: 'fail', at: 40, state: 'open' },
      ],
    },
    {
      name: 'failures and successes of in-flight requests while open change nothing',
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 0, state: 'open' },
        { op: 'fail', at: 4000, state: 'open' }, // must not push the cooldown past 5000
        { op: 'ok', at: 4500, state: 'open' }, // must not close before any trial
        { op: 'acquire', at: 5000, want: true, state: 'half-open' },
      ],
    },
    {
      name: 'halfOpenRequests: 2 lets exactly 2 trials; release frees a slot',
      options: { halfOpenRequests: 2 },
      steps: [
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 0, state: 'closed' },
        { op: 'fail', at: 0, state: 'open' },
        { op: 'acquire', at: 5000, want: true, state: 'half-open' },
        { op: 'acquire', at: 5000, want: true, state: 'half-open' },
        { op: 'acquire', at: 5000, want: false, state: 'half-open' },
        { op: 'release', at: 5001, state: 'half-open' },
        { op: 'acquire', at: 5002, want: true, state: 'half-open' },
        { op: 'acquire', at: 5003, want: false, state: 'half-open' },
        { op: 'ok', at: 5004, state: 'closed' },
        { op: 'ok', at: 5005, state: 'closed' }, // the other trial's late success: harmless
      ],
    },
    {
      name: 'stray release/success in closed state cannot free half-open slots',
      steps: [
        { op: 'release', at: 0, state: 'closed' },
        { op: 'release', at: 0, state: 'closed' },
        { op: 'ok', at: 0, state: 'closed' },
        { op: 'fail', at: 1, state: 'closed' },
        { op: 'fail', at: 1, state: 'closed' },
        { op: 'fail', at: 1, state: 'open' },
        { op: 'acquire', at: 5001, want: true, state: 'half-open' },
        { op: 'acquire', at: 5001, want: false, state: 'half-open' }, // no negative counter
      ],
    },
    {
      name: 'failures: 1 opens on the first failure; cooldownMs: 0 is half-open at once',
      options: { failures: 1, cooldownMs: 0 },
      steps: [
        { op: 'fail', at: 7, state: 'half-open' },
        { op: 'acquire', at: 7, want: true, state: 'half-open' },
        { op: 'acquire', at: 7, want: false, state: 'half-open' },
        { op: 'ok', at: 8, state: 'closed' },
      ],
    },
  ])('$name', ({ options, steps }) => {
    run({ ...opts, ...options }, steps);
  });

  it('failures spread one step wider than the window never open it', () => {
    const cb = new CircuitBreaker(opts);
    // 3 failures always span 2 × 501 ms > 1000 ms.
    for (let t = 0; t < 100_000; t += 501) {
      cb.onFailure(t);
      expect(cb.state(t)).toBe('closed');
    }
  });
});

describe('CircuitBreaker reopensAt and gaugeValue', () => {
  it.each([
    { at: 0, gauge: 0, reopensAt: Infinity, steps: 0 },
    { at: 100, gauge: 2, reopensAt: 5100, steps: 3 },
    { at: 5099, gauge: 2, reopensAt: 5100, steps: 3 },
    { at: 5100, gauge: 1, reopensAt: 5100, steps: 3 },
  ])('at $at after $steps failures → gauge $gauge, reopensAt $reopensAt', ({ at, gauge, reopensAt, steps }) => {
    const cb = new CircuitBreaker(opts);
    for (let i = 0; i < steps; i++) cb.onFailure(100);
    expect(cb.gaugeValue(at)).toBe(gauge);
    expect(cb.reopensAt()).toBe(reopensAt);
  });

  it('reopensAt moves with a failed trial and is Infinity once closed', () => {
    const cb = new CircuitBreaker(opts);
    for (let i = 0; i < 3; i++) cb.onFailure(0);
    expect(cb.reopensAt()).toBe(5000);
    expect(cb.tryAcquire(5000)).toBe(true);
    cb.onFailure(5200);
    expect(cb.reopensAt()).toBe(10_200);
    expect(cb.tryAcquire(10_200)).toBe(true);
    cb.onSuccess(10_300);
    expect(cb.reopensAt()).toBe(Infinity);
    expect(cb.gaugeValue(10_300)).toBe(0);
  });
});

describe('CircuitBreaker options', () => {
  it.each<[string, Partial<CircuitBreakerOptions>]>([
    ['failures', { failures: 0 }],
    ['failures', { failures: 1.5 }],
    ['windowMs', { windowMs: 0 }],
    ['windowMs', { windowMs: Number.NaN }],
    ['cooldownMs', { cooldownMs: -1 }],
    ['cooldownMs', { cooldownMs: Infinity }],
    ['halfOpenRequests', { halfOpenRequests: 0 }],
  ])('refuses a bad %s (%j)', (field, bad) => {
    expect(() => new CircuitBreaker({ ...opts, ...bad })).toThrow(new RegExp(field));
  });
});
