/** Per-route `ipRules: { allow: [10.0.0.0/8], deny: [10.1.0.0/16] }`. */
import { Type, type Static } from '@sinclair/typebox';

const CidrList = (description: string) =>
  Type.Array(Type.String(), { minItems: 1, description, 'x-message': 'must be a non-empty list of IPv4/IPv6 addresses or CIDRs (omit the key instead)' });

export const IpRulesSchema = Type.Object(
  {
    allow: Type.Optional(CidrList('Client addresses admitted (IPv4/IPv6 address or CIDR); with this list, any other client is refused with 403.')),
    deny: Type.Optional(CidrList('Client addresses refused with 403 (IPv4/IPv6 address or CIDR); deny wins over allow.')),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'Allow/deny CIDR lists checked against the client address resolved through trustedProxies; refused requests get 403 forbidden and never reach the upstream.',
    'x-message': 'must be an object with allow, deny or both',
  },
);

export type IpRulesConfig = Static<typeof IpRulesSchema>;
