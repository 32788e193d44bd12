/**
 * IP rules, pure parts: the allow/deny decision on prebuilt CIDR sets, and load-time checks of
 * the lists. Semantics (as Kong's ip-restriction and nginx's allow/deny are usually configured):
 * deny wins over allow; with an allow list, any address not in it is refused; an address that is
 * not an IP at all is refused. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) count as IPv4.
 */
import { isIP } from 'node:net';
import type { Problem } from '../define-plugin.js';
import { CidrSet, parseCidr, type Cidr } from '../../util/cidr.js';
import type { IpRulesConfig } from './schema.js';

export class IpRules {
  private readonly allow: CidrSet | null;
  private readonly deny: CidrSet | null;

  /** Built once per route at compile time; throws on an invalid entry (validation reports them first). */
  constructor(config: IpRulesConfig) {
    this.allow = config.allow === undefined ? null : new CidrSet(config.allow);
    this.deny = config.deny === undefined ? null : new CidrSet(config.deny);
  }

  /** True when `ip` (the resolved client address) may pass. */
  admits(ip: string): boolean {
    if (this.deny !== null && this.deny.has(ip)) return false;
    if (this.allow !== null) return this.allow.has(ip);
    return isIP(ip) !== 0;
  }
}

/** The address as 4 or 16 bytes (the text is already known to be a valid IP of that family). */
export function addressBytes(address: string, family: 'ipv4' | 'ipv6'): number[] {
  if (family === 'ipv4') return address.split('.').map(Number);
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Embedded IPv4 in the last 32 bits, e.g. ::ffff:10.0.0.1
    tail.push(...text.slice(lastColon + 1).split('.').map(Number));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** True when the CIDR has address bits set beyond its prefix (`10.1.2.3/8`). */
export function hasHostBits(cidr: Cidr): boolean {
  const bytes = addressBytes(cidr.address, cidr.family);
  for (let bit = cidr.prefix; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

/** Load-time checks of one route's `ipRules`; paths relative to it (`allow[1]`). */
export function ipRulesProblems(value: IpRulesConfig): Problem[] {
  const problems: Problem[] = [];
  for (const key of ['allow', 'deny'] as const) {
    const seen = new Set<string>();
    value[key]?.forEach((text, i) => {
      const cidr = parseCidr(text);
      if (!cidr) {
        problems.push({ path: [key, i], message: `"${text}" is not an IPv4 or IPv6 address or CIDR` });
        return;
      }
      const canonical = `${cidr.address.toLowerCase()}/${cidr.prefix}`;
      if (seen.has(canonical)) problems.push({ path: [key, i], message: `"${text}" is listed twice`, severity: 'warning' });
      seen.add(canonical);
      if (hasHostBits(cidr)) {
        problems.push({
          path: [key, i],
          message: `"${text}" has address bits set beyond /${cidr.prefix}, so it covers the whole network; write the network address, or /${cidr.family === 'ipv4' ? 32 : 128} for one address`,
          severity: 'warning',
        });
      }
    });
  }
  return problems;
}
