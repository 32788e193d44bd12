/** Config checks of upstreams.<name>.healthCheck, circuitBreaker, retries, discovery, and routes[].retries / fallback. */
import { describe, expect, it } from 'vitest';
import { checkConfigText } from './pipeline.js';
import { defaultRegistry } from '../plugins/builtin.js';

const registry = defaultRegistry();

function errorsFor(upstreamExtra: string, routeExtra = '', targets = 'targets: ["http://127.0.0.1:8002"]'): string[] {
  const yaml = `upstreams:
  orders: { ${targets}${upstreamExtra} }
routes:
  - { name: orders, match: { path: /orders }, upstream: orders${routeExtra} }
`;
  return checkConfigText(yaml, 'config.yaml', registry, {}).errors;
}

describe('validate: upstream resilience', () => {
  it.each([
    ', healthCheck: { path: /health, interval: 5s, timeout: 1s, healthy: 2, unhealthy: 3, statuses: [200, 204] }',
    ', healthCheck: { passive: { failures: 3, ejectTime: 10s, maxEjectTime: 1m } }',
    ', healthCheck: { path: /health, passive: false }',
    ', circuitBreaker: { failures: 5, window: 10s, cooldown: 30s, halfOpenRequests: 1 }',
    ', circuitBreaker: {}',
    ', retries: { attempts: 2, on: [connect-error, reset, timeout, 502, 503], methods: [GET, PUT], backoff: 10ms, maxBackoff: 1s, budget: 0.5, minRetriesPerSecond: 0, bufferBody: 1mb }',
  ])('accepts%s', (extra) => {
    expect(errorsFor(extra)).toEqual([]);
  });

  it.each([
    [', healthCheck: { interval: 5s }', 'upstreams.orders.healthCheck.interval: configures active checks, which need healthCheck.path (config.yaml:2)'],
    [', healthCheck: { path: health }', 'upstreams.orders.healthCheck.path: must be a path starting with / (config.yaml:2)'],
    [', healthCheck: { path: /h, interval: 1s, timeout: 2s }', 'upstreams.orders.healthCheck.timeout: must not be longer than interval (config.yaml:2)'],
    [', healthCheck: { passive: { ejectTime: 1m, maxEjectTime: 10s } }', 'upstreams.orders.healthCheck.passive.maxEjectTime: must not be shorter than ejectTime (config.yaml:2)'],
    [', healthCheck: { passive: true }', 'upstreams.orders.healthCheck.passive: must be false or { failures, ejectTime, maxEjectTime } (config.yaml:2)'],
    [', circuitBreaker: { failures: 0 }', 'upstreams.orders.circuitBreaker.failures: must be >= 1 (config.yaml:2)'],
    [', circuitBreaker: { cooldown: soon }', 'upstreams.orders.circuitBreaker.cooldown: must be a duration such as 250ms, 30s, 5m or 1h (config.yaml:2)'],
    [', retries: { methods: [POST] }', 'upstreams.orders.retries.methods[0]: POST is not idempotent: only a route may opt it in (routes[].retries.methods) (config.yaml:2)'],
    [', retries: { backoff: 1s, maxBackoff: 10ms }', 'upstreams.orders.retries.maxBackoff: must not be shorter than backoff (config.yaml:2)'],
    [', retries: { budget: 2 }', 'upstreams.orders.retries.budget: must be <= 1 (config.yaml:2)'],
    [', retries: { attempts: 11 }', 'upstreams.orders.retries.attempts: must be <= 10 (config.yaml:2)'],
  ])('refuses%s', (extra, message) => {
    expect(errorsFor(extra)).toEqual([message]);
  });

  it('needs exactly one of targets and discovery', () => {
    expect(errorsFor('', '', '')).toEqual(['upstreams.orders: needs targets or discovery (config.yaml:2)']);
    expect(errorsFor(', discovery: { type: static, targets: ["http://127.0.0.1:1"] }')).toEqual([
      'upstreams.orders.discovery: use either targets or discovery, not both (config.yaml:2)',
    ]);
    expect(errorsFor('', '', 'discovery: { type: static, targets: ["http://127.0.0.1:1"] }')).toEqual([]);
  });

  it("names a discovery provider's own field problems", () => {
    const errors = errorsFor('', '', 'discovery: { type: etcd, endpoint: ["http://127.0.0.1:2379"], prefix: /services/orders/ }');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.startsWith('upstreams.orders.discovery'))).toBe(true);
    expect(errors.join('\n')).toMatch(/endpoint/);
    expect(errorsFor('', '', 'discovery: { type: zookeeper }')).toEqual(['upstreams.orders.discovery.type: must be one of dns, consul, etcd, static (config.yaml:2)']);
  });

  it('route retries: false or an override, never the budget', () => {
    expect(errorsFor(', retries: {}', ', retries: false')).toEqual([]);
    expect(errorsFor('', ', retries: { methods: [POST], attempts: 1 }')).toEqual([]);
    expect(errorsFor('', ', retries: { budget: 0.5 }')).toEqual([
      "routes[0].retries.budget: is the upstream's (the budget caps retries to the upstream from all its routes): set it in upstreams.<name>.retries (config.yaml:4)",
    ]);
    expect(errorsFor('', ', retries: true')).toEqual(['routes[0].retries: must be false or a retries object (config.yaml:4)']);
    // An object is checked as the retries object of the union: the failing field is named.
    expect(errorsFor('', ', retries: { attempts: 11, on: [404] }').sort()).toEqual([
      'routes[0].retries.attempts: must be <= 10 (config.yaml:4)',
      'routes[0].retries.on[0]: must be connect-error, reset, timeout or a 5xx status (config.yaml:4)',
    ]);
    expect(errorsFor(', healthCheck: { passive: { failures: 0, ejecttime: 1s } }').sort()).toEqual([
      'upstreams.orders.healthCheck.passive.ejecttime: unknown key (config.yaml:2)',
      'upstreams.orders.healthCheck.passive.failures: must be >= 1 (config.yaml:2)',
    ]);
  });

  it('fallback', () => {
    expect(errorsFor('', ', fallback: { status: 200, headers: { Content-Type: application/json }, body: "[]" }')).toEqual([]);
    expect(errorsFor('', ', fallback: { status: 99 }')).toEqual(['routes[0].fallback.status: must be >= 200 (config.yaml:4)']);
    expect(errorsFor('', ', fallback: { headers: { Content-Length: "3" } }')).toEqual(['routes[0].fallback.headers.Content-Length: is set by the gateway, not by a fallback (config.yaml:4)']);
  });
});
