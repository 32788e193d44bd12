import { describe, expect, it } from 'vitest';
import { RequestContext } from './context.js';

describe('RequestContext.hideResponseHeaders', () => {
  // Only the fields the method touches; the rest of the context is not needed here.
  const ctx = (): RequestContext => Object.assign(Object.create(RequestContext.prototype) as object, { hiddenResponseHeaders: null, hiddenIsShared: false }) as unknown as RequestContext;

  it('shares the first set and copies before adding a second, leaving both route sets untouched', () => {
    const routeA: ReadonlySet<string> = new Set(['server']);
    const routeB: ReadonlySet<string> = new Set(['x-powered-by']);
    const c = ctx();
    c.hideResponseHeaders(routeA);
    expect(c.hiddenResponseHeaders).toBe(routeA);
    c.hideResponseHeaders(routeB);
    expect([...c.hiddenResponseHeaders!].sort()).toEqual(['server', 'x-powered-by']);
    expect([...routeA]).toEqual(['server']);
    expect([...routeB]).toEqual(['x-powered-by']);
    c.hideResponseHeaders(new Set(['via']));
    expect(c.hiddenResponseHeaders!.has('via')).toBe(true);
    expect(routeA.has('via')).toBe(false);
  });
});
