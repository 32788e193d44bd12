/**
 * The one middleware shape: `(next) => async function name(ctx) {…}`. Chains are composed once
 * at compile time; a middleware short-circuits by not calling `next` (answering or throwing a
 * GatewayError).
 */
import type { RequestContext } from './context.js';

export type Handler = (ctx: RequestContext) => Promise<void>;
export type Middleware = (next: Handler) => Handler;

/** Composes middlewares, outermost first, around the terminal handler. */
export function compose(middlewares: readonly Middleware[], terminal: Handler): Handler {
  let handler = terminal;
  for (let i = middlewares.length - 1; i >= 0; i--) handler = middlewares[i]!(handler);
  return handler;
}
