import { describe, expect, it } from 'vitest';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

const defaults: RetryBudgetOptions = { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 };

/** How many tryRetry(now) succeed in a row before the first refusal (bounded to catch runaways). */
function drain(budget: RetryBudget, now: number): number {
  let n = 0;
  while (n < 100_000 && budget.tryRetry(now)) n++;
  return n;
}

describe('RetryBudget allowance', () => {
  it.each<{ name: string; options?: Partial<RetryBudgetOptions>; requests: number; want: number }>([
    { name: 'no traffic: minPerSecond × window seconds', requests: 0, want: 100 },
    { name: 'ratio 0.2 × 1000 requests adds 200', requests: 1000, want: 300 },
    { name: 'a fraction of a retry is not a retry (0.2 × 4 = 0.8)', requests: 4, want: 100 },
    { name: '0.2 × 5 = 1 whole retry', requests: 5, want: 101 },
    { name: 'float products round as meant (0.57 × 100 = 57)', options: { ratio: 0.57, minPerSecond: 0 }, requests: 100, want: 57 },
    { name: 'minPerSecond 0 and no traffic: no retries', options: { minPerSecond: 0 }, requests: 0, want: 0 },
    { name: 'ratio 0: only the reserve', options: { ratio: 0 }, requests: 1000, want: 100 },
    { name: 'window 1 s: reserve is minPerSecond', options: { windowMs: 1000 }, requests: 0, want: 10 },
  ])('$name → $want', ({ options, requests, want }) => {
    const budget = new RetryBudget({ ...defaults, ...options });
    for (let i = 0; i < requests; i++) budget.onRequest(i % 5000); // spread within the window
    expect(drain(budget, 5000)).toBe(want);
    expect(budget.canRetry(5000)).toBe(false);
  });
});

describe('RetryBudget window', () => {
  it('retries expire after the window and the budget comes back', () => {
    const budget = new RetryBudget(defaults);
    expect(drain(budget, 0)).toBe(100);
    expect(budget.canRetry(9999)).toBe(false); // still within 10 s of the retries at 0
    expect(budget.canRetry(10_000)).toBe(true);
    expect(drain(budget, 10_000)).toBe(100);
  });

  it('requests expire after the window and take their share with them', () => {
    const budget = new RetryBudget(defaults);
    for (let i = 0; i < 1000; i++) budget.onRequest(0);
    expect(drain(budget, 9999)).toBe(300);
    // At 10 000 the requests at 0 have expired but the 300 retries at 9999 still count (> 100).
    expect(budget.canRetry(10_000)).toBe(false);
    // At 19 999 those retries have expired too: only the reserve is left.
    expect(drain(budget, 19_999)).toBe(100);
  });

  it('expires slice by slice: old requests leave, recent ones stay', () => {
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0, windowMs: 10_000 });
    for (let i = 0; i < 50; i++) budget.onRequest(0); // slice 0
    for (let i = 0; i < 30; i++) budget.onRequest(5000); // slice 5
    expect(budget.canRetry(9999)).toBe(true);
    // At 10 000 slice 0 is gone, 30 retries left from slice 5.
    expect(drain(budget, 10_000)).toBe(30);
    // At 15 000 slice 5 is gone too: no requests in the window and no reserve.
    expect(budget.canRetry(15_000)).toBe(false);
  });

  it('a gap longer than the window leaves nothing behind', () => {
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0, windowMs: 1000 });
    for (let i = 0; i < 7; i++) budget.onRequest(0);
    // 10 × 1000 ms later the ring slot 0 is reused: its old counts must not leak into the new slice.
    budget.onRequest(10_000);
    expect(drain(budget, 10_000)).toBe(1);
  });
});

describe('RetryBudget canRetry', () => {
  it('does not withdraw', () => {
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 1, windowMs: 2000 });
    for (let i = 0; i < 10; i++) expect(budget.canRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.canRetry(0)).toBe(true);
    expect(budget.tryRetry(0)).toBe(true);
    expect(budget.canRetry(0)).toBe(false);
    expect(budget.tryRetry(0)).toBe(false);
  });

  it('a refused retry is not counted', () => {
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0, windowMs: 1000 });
    expect(budget.tryRetry(0)).toBe(false);
    expect(budget.tryRetry(0)).toBe(false);
    budget.onRequest(0);
    expect(drain(budget, 0)).toBe(1);
  });
});

describe('RetryBudget options', () => {
  it.each<[string, Partial<RetryBudgetOptions>]>([
    ['ratio', { ratio: -0.1 }],
    ['ratio', { ratio: Number.NaN }],
    ['minPerSecond', { minPerSecond: -1 }],
    ['minPerSecond', { minPerSecond: Infinity }],
    ['windowMs', { windowMs: 0 }],
    ['windowMs', { windowMs: Infinity }],
  ])('refuses a bad %s (%j)', (field, bad) => {
    expect(() => new RetryBudget({ ...defaults, ...bad })).toThrow(new RegExp(field));
  });
});
