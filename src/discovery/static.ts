/** `discovery: { type: static, targets: [...] }`: the list from the config, reported once on start. */
import { Type, type Static } from '@sinclair/typebox';
import type { DiscoveredTarget, DiscoveryProvider } from './provider.js';
import { normalizeTargets } from './targets.js';

export const StaticDiscoverySchema = Type.Object(
  {
    type: Type.Literal('static', { description: 'Targets listed in the config itself.' }),
    targets: Type.Array(
      Type.Union([
        Type.String({ description: 'Target base URL, e.g. http://127.0.0.1:8002.' }),
        Type.Object(
          {
            url: Type.String({ description: 'Target base URL.' }),
            weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Relative share of traffic. Default 1.' })),
          },
          { additionalProperties: false },
        ),
      ]),
      { description: 'The servers: a URL string or { url, weight }.' },
    ),
  },
  { additionalProperties: false, description: 'A fixed target list (mostly for tests and for symmetry with the other providers).' },
);
export type StaticDiscoveryConfig = Static<typeof StaticDiscoverySchema>;

export function staticProvider(targets: ReadonlyArray<string | { url: string; weight?: number }>): DiscoveryProvider {
  const list: DiscoveredTarget[] = normalizeTargets(targets.map((t) => (typeof t === 'string' ? { url: t, weight: 1 } : { url: t.url, weight: t.weight ?? 1 })));
  return {
    description: `static (${list.length} targets)`,
    start(callbacks) {
      callbacks.onTargets(list.map((t) => ({ ...t })));
    },
    // Nothing runs between start and stop, so there is nothing to end.
    stop() {},
  };
}
