/** Config checks of upstreams.<name>.balancer and hashOn (schema and semantic). */
import { describe, expect, it } from 'vitest';
import { checkConfigText } from './pipeline.js';
import { defaultRegistry } from '../plugins/builtin.js';

const registry = defaultRegistry();

function errorsFor(upstreamExtra: string): string[] {
  const yaml = `upstreams:
  orders: { targets: ["http://127.0.0.1:8002", "http://127.0.0.1:8003"]${upstreamExtra} }
routes:
  - { name: orders, match: { path: /orders }, upstream: orders }
`;
  return checkConfigText(yaml, 'config.yaml', registry, {}).errors;
}

describe('validate: balancer and hashOn', () => {
  it.each([
    '',
    ', balancer: round-robin',
    ', balancer: weighted',
    ', balancer: random',
    ', balancer: least-request',
    ', balancer: consistent-hash, hashOn: ip',
    ', balancer: consistent-hash, hashOn: "header:X-User-Key"',
    ', balancer: consistent-hash, hashOn: "cookie:session_id"',
  ])('accepts%s', (extra) => {
    expect(errorsFor(extra)).toEqual([]);
  });

  it.each([
    [', balancer: least-connections', 'upstreams.orders.balancer: must be one of round-robin, weighted, random, least-request, consistent-hash (config.yaml:2)'],
    [', balancer: consistent-hash', 'upstreams.orders.hashOn: is required with balancer consistent-hash (ip, header:NAME or cookie:NAME) (config.yaml:2)'],
    [', balancer: round-robin, hashOn: ip', 'upstreams.orders.hashOn: is only used with balancer consistent-hash (config.yaml:2)'],
    [', hashOn: ip', 'upstreams.orders.hashOn: is only used with balancer consistent-hash (config.yaml:2)'],
    [', balancer: consistent-hash, hashOn: uri', 'upstreams.orders.hashOn: must be ip, header:NAME or cookie:NAME (config.yaml:2)'],
    [', balancer: consistent-hash, hashOn: "header:"', 'upstreams.orders.hashOn: must be ip, header:NAME or cookie:NAME (config.yaml:2)'],
    [', balancer: consistent-hash, hashOn: "header:X User"', 'upstreams.orders.hashOn: must be ip, header:NAME or cookie:NAME (config.yaml:2)'],
    [', balancer: consistent-hash, hashOn: "cookie:a;b"', 'upstreams.orders.hashOn: must be ip, header:NAME or cookie:NAME (config.yaml:2)'],
    [', balancer: consistent-hash, hashOn: 5', 'upstreams.orders.hashOn: must be ip, header:NAME or cookie:NAME (config.yaml:2)'],
  ])('refuses%s', (extra, error) => {
    expect(errorsFor(extra)).toEqual([error]);
  });
});
