import { describe, expect, it } from 'vitest';
import { compose, type Middleware } from './compose.js';
import type { RequestContext } from './context.js';

describe('compose', () => {
  it('runs middlewares outermost first and lets one short-circuit', async () => {
    const seen: string[] = [];
    const tag = (name: string, stop = false): Middleware => (next) => async function tagged(ctx) {
      seen.push(name);
      if (!stop) await next(ctx);
      seen.push(`/${name}`);
    };
    const ctx = {} as RequestContext;
    await compose([tag('a'), tag('b')], async () => void seen.push('terminal'))(ctx);
    expect(seen).toEqual(['a', 'b', 'terminal', '/b', '/a']);
    seen.length = 0;
    await compose([tag('a', true), tag('b')], async () => void seen.push('terminal'))(ctx);
    expect(seen).toEqual(['a', '/a']);
  });
});
