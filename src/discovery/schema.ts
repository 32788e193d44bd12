/**
 * The `discovery` block of an upstream: one of the providers' schemas, told apart by `type`.
 * The config schema itself only names the type (src/config/upstream-schema.ts); validateDiscovery
 * (validate.ts) checks a block against its type's schema here, with per-field messages, and
 * what a schema cannot express. DiscoverySchema is the whole union, for typing and tools.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ConsulDiscoverySchema } from './consul.js';
import { DnsDiscoverySchema } from './dns.js';
import { EtcdDiscoverySchema } from './etcd.js';
import { StaticDiscoverySchema } from './static.js';

export const DISCOVERY_TYPES = ['dns', 'consul', 'etcd', 'static'] as const;
export type DiscoveryType = (typeof DISCOVERY_TYPES)[number];

export const DISCOVERY_SCHEMAS = {
  dns: DnsDiscoverySchema,
  consul: ConsulDiscoverySchema,
  etcd: EtcdDiscoverySchema,
  static: StaticDiscoverySchema,
} as const;

export const DiscoverySchema = Type.Union([DnsDiscoverySchema, ConsulDiscoverySchema, EtcdDiscoverySchema, StaticDiscoverySchema], {
  description: 'Where the targets come from at run time instead of `targets`: dns, consul, etcd or static (see docs/discovery.md).',
  'x-message': `must be a discovery block with type ${DISCOVERY_TYPES.join(', ')} and that type's fields (see docs/discovery.md)`,
});
export type DiscoveryConfig = Static<typeof DiscoverySchema>;
