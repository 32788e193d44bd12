/**
 * The client address, resolved through trustedProxies: X-Forwarded-For is believed only when
 * the TCP peer is trusted, and then the client is the nearest address (from the right) that is
 * not itself a trusted proxy. Everything else (rate limits, IP rules, logs) uses this address.
 */
import { isIP } from 'node:net';
import type { CidrSet } from '../util/cidr.js';
import { unmapIPv4 } from '../util/cidr.js';

export function resolveClientIp(peer: string, trusted: CidrSet, xff: string | string[] | undefined): { clientIp: string; peerTrusted: boolean } {
  if (trusted.size === 0 || !trusted.has(peer)) return { clientIp: peer, peerTrusted: false };
  if (xff === undefined) return { clientIp: peer, peerTrusted: true };
  const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapIPv4(hops[i]!.trim());
    // A malformed entry ends the trusted chain: nothing left of it can be believed.
    if (isIP(hop) === 0) return { clientIp: i === hops.length - 1 ? peer : unmapIPv4(hops[i + 1]!.trim()), peerTrusted: true };
    if (!trusted.has(hop)) return { clientIp: hop, peerTrusted: true };
  }
  const first = unmapIPv4(hops[0]!.trim());
  return { clientIp: first, peerTrusted: true };
}
