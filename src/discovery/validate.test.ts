import pino from 'pino';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { createDiscovery } from './create-discovery.js';
import { DiscoverySchema, type DiscoveryConfig } from './schema.js';
import { staticProvider } from './static.js';
import { recorder, t } from '../../test/helpers/discovery-recorder.js';
import { validateDiscovery } from './validate.js';

const silent = pino({ level: 'silent' });

const GOOD: DiscoveryConfig[] = [
  { type: 'dns', name: '_orders._tcp.example.internal', resolver: '127.0.0.1:53' },
  { type: 'dns', name: 'orders.example.internal', resolver: '[::1]:5353', port: 8080, scheme: 'https', refresh: '10s', minTtl: '500ms', maxTtl: '1m' },
  { type: 'consul', url: 'http://127.0.0.1:8500', service: 'orders', token: 't', datacenter: 'dc1', tag: 'v2', wait: '30s' },
  { type: 'etcd', endpoints: ['http://127.0.0.1:2379'], prefix: '/services/orders/', username: 'u', password: 'p' },
  { type: 'static', targets: ['http://10.0.0.1:80', { url: 'http://10.0.0.2:80', weight: 2 }] },
];

describe('validateDiscovery', () => {
  it.each(GOOD.map((c) => [c.type, c] as const))('accepts a good %s block, which the union schema accepts too', (_type, config) => {
    expect(validateDiscovery(config)).toEqual([]);
    expect(Value.Check(DiscoverySchema, config)).toBe(true);
  });

  it.each([
    ['not an object', 'dns', [{ path: [], message: 'must be an object with a type' }]],
    ['unknown type', { type: 'zookeeper' }, [{ path: ['type'], message: 'must be one of dns, consul, etcd, static' }]],
    ['A without port', { type: 'dns', name: 'orders.x', resolver: '127.0.0.1' }, [{ path: ['port'], message: 'is required for A records (SRV records carry their own)' }]],
    ['SRV with port', { type: 'dns', name: '_o._tcp.x', resolver: '127.0.0.1', port: 80 }, [{ path: ['port'], message: 'is not used with SRV records (they carry their own port); remove it' }]],
    ['hostname resolver', { type: 'dns', name: '_o._tcp.x', resolver: 'ns.internal' }, [{ path: ['resolver'], message: 'resolver "ns.internal" must be an IP address (with an optional :port), not a hostname' }]],
    ['minTtl > maxTtl', { type: 'dns', name: '_o._tcp.x', resolver: '127.0.0.1', minTtl: '10m' }, [{ path: ['minTtl'], message: 'must not exceed maxTtl (10m > 5m)' }]],
    ['bad record', { type: 'dns', name: 'o.x', resolver: '127.0.0.1', record: 'mx', port: 1 }, [{ path: ['record'], message: 'must be a, aaaa or srv' }]],
    ['bad duration', { type: 'dns', name: '_o._tcp.x', resolver: '127.0.0.1', refresh: 'soon' }, [{ path: ['refresh'], message: 'must be a duration such as 250ms, 30s, 5m or 1h' }]],
    ['consul credentials in url', { type: 'consul', url: 'http://a:b@consul:8500', service: 'o' }, [{ path: ['url'], message: 'must not hold credentials (use the token/username/password fields)' }]],
    ['consul wait too long', { type: 'consul', url: 'http://consul:8500', service: 'o', wait: '1h' }, [{ path: ['wait'], message: 'must be between 1s and 10m (Consul caps it at 10m)' }]],
    ['etcd non-http endpoint', { type: 'etcd', endpoints: ['http://ok:2379', 'grpc://x:2379'], prefix: '/s/' }, [{ path: ['endpoints', 1], message: 'must be an http:// or https:// URL, not grpc:' }]],
    ['etcd prefix without /', { type: 'etcd', endpoints: ['http://e:2379'], prefix: '/services/orders' }, [{ path: ['prefix'], message: 'must end with "/" (else /services/orders would also match /services/orders-old)' }]],
    ['etcd user without password', { type: 'etcd', endpoints: ['http://e:2379'], prefix: '/s/', username: 'u' }, [{ path: ['password'], message: 'username and password go together' }]],
    ['static ftp target', { type: 'static', targets: [{ url: 'ftp://x' }] }, [{ path: ['targets', 0, 'url'], message: 'must be an http:// or https:// URL, not ftp:' }]],
  ])('%s', (_name, config, problems) => {
    expect(validateDiscovery(config)).toEqual(problems);
  });

  it('reports a misspelt field against its own type', () => {
    const problems = validateDiscovery({ type: 'consul', url: 'http://c:8500', service: 'o', tokn: 'x' });
    expect(problems.map((p) => p.path)).toContainEqual(['tokn']);
  });
});

describe('createDiscovery', () => {
  it.each(GOOD.map((c) => [c.type, c] as const))('builds a %s provider with a telling description', (type, config) => {
    const p = createDiscovery(config, { logger: silent });
    expect(p.description.startsWith(type)).toBe(true);
  });
  it('throws on an invalid block', () => {
    expect(() => createDiscovery({ type: 'dns', name: 'o.x', resolver: '127.0.0.1' }, { logger: silent })).toThrow(/port: is required/);
  });
});

describe('staticProvider', () => {
  it('reports the normalised list once on start', () => {
    const rec = recorder();
    const p = staticProvider(['http://b:1', { url: 'http://a:1', weight: 3 }, 'http://b:1']);
    p.start(rec);
    p.stop();
    expect(rec.targets).toEqual([t('http://a:1*3', 'http://b:1')]);
  });
});
