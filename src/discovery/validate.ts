/**
 * validateDiscovery: every problem of one `discovery` block, with paths relative to it, for the
 * config validator to prefix with `upstreams.<name>.discovery`. It checks the block against the
 * schema of its own `type` (so a misspelt dns field gets a dns message, not "matches no union
 * member") and then what a schema cannot say: URLs are http(s) without credentials, the resolver
 * is IP[:port], A/AAAA have a port, minTtl ≤ maxTtl, username and password go together.
 */
import { Value } from '@sinclair/typebox/value';
import { parseDuration } from '../config/units.js';
import { parseResolver, urlProblem } from './check-url.js';
import { dnsRecordType } from './dns.js';
import { DISCOVERY_SCHEMAS, DISCOVERY_TYPES, type DiscoveryConfig } from './schema.js';

export interface DiscoveryProblem {
  path: (string | number)[];
  message: string;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function validateDiscovery(config: unknown): DiscoveryProblem[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [{ path: [], message: 'must be an object with a type' }];
  const type = (config as { type?: unknown }).type;
  if (typeof type !== 'string' || !(DISCOVERY_TYPES as readonly string[]).includes(type)) {
    return [{ path: ['type'], message: `must be one of ${DISCOVERY_TYPES.join(', ')}` }];
  }
  const schema = DISCOVERY_SCHEMAS[type as keyof typeof DISCOVERY_SCHEMAS];
  const problems: DiscoveryProblem[] = [];
  for (const e of Value.Errors(schema, config)) {
    const custom = (e.schema as Record<string, unknown>)['x-message'];
    problems.push({ path: pointerToPath(e.path), message: typeof custom === 'string' ? custom : e.message });
  }
  if (problems.length > 0) return problems;
  return semanticProblems(config as DiscoveryConfig);
}

function semanticProblems(c: DiscoveryConfig): DiscoveryProblem[] {
  const problems: DiscoveryProblem[] = [];
  const url = (path: (string | number)[], value: string) => {
    const bad = urlProblem(value);
    if (bad !== null) problems.push({ path, message: bad });
  };
  switch (c.type) {
    case 'dns': {
      try {
        parseResolver(c.resolver);
      } catch (err) {
        problems.push({ path: ['resolver'], message: (err as Error).message });
      }
      const record = dnsRecordType(c);
      if (record !== 'srv' && c.port === undefined) problems.push({ path: ['port'], message: `is required for ${record.toUpperCase()} records (SRV records carry their own)` });
      if (record === 'srv' && c.port !== undefined) problems.push({ path: ['port'], message: 'is not used with SRV records (they carry their own port); remove it' });
      const min = parseDuration(c.minTtl ?? '1s');
      const max = parseDuration(c.maxTtl ?? '5m');
      if (min > max) problems.push({ path: ['minTtl'], message: `must not exceed maxTtl (${c.minTtl ?? '1s'} > ${c.maxTtl ?? '5m'})` });
      if (min <= 0) problems.push({ path: ['minTtl'], message: 'must be greater than 0' });
      if (c.refresh !== undefined && parseDuration(c.refresh) <= 0) problems.push({ path: ['refresh'], message: 'must be greater than 0' });
      break;
    }
    case 'consul':
      url(['url'], c.url);
      if (c.wait !== undefined && (parseDuration(c.wait) < 1000 || parseDuration(c.wait) > 600_000)) problems.push({ path: ['wait'], message: 'must be between 1s and 10m (Consul caps it at 10m)' });
      break;
    case 'etcd':
      c.endpoints.forEach((e, i) => url(['endpoints', i], e));
      if (!c.prefix.endsWith('/')) problems.push({ path: ['prefix'], message: 'must end with "/" (else /services/orders would also match /services/orders-old)' });
      if ((c.username === undefined) !== (c.password === undefined)) problems.push({ path: [c.username === undefined ? 'username' : 'password'], message: 'username and password go together' });
      break;
    case 'static':
      c.targets.forEach((t, i) => (typeof t === 'string' ? url(['targets', i], t) : url(['targets', i, 'url'], t.url)));
      break;
  }
  return problems;
}
