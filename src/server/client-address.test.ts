import { describe, expect, it } from 'vitest';
import { CidrSet } from '../util/cidr.js';
import { resolveClientIp } from './client-address.js';

describe('resolveClientIp', () => {
  const trusted = new CidrSet(['127.0.0.1/32', '10.0.0.0/8', '::1']);
  const cases: Array<[string, string, string | undefined, string, boolean]> = [
    ['untrusted peer ignores XFF', '203.0.113.9', '1.1.1.1', '203.0.113.9', false],
    ['trusted peer without XFF', '127.0.0.1', undefined, '127.0.0.1', true],
    ['trusted peer, one hop', '127.0.0.1', '198.51.100.7', '198.51.100.7', true],
    ['skips trusted hops from the right', '127.0.0.1', '198.51.100.7, 10.1.2.3, 10.9.9.9', '198.51.100.7', true],
    ['spoofed left part is not believed', '127.0.0.1', '6.6.6.6, 198.51.100.7', '198.51.100.7', true],
    ['garbage stops the chain', '127.0.0.1', 'evil, 198.51.100.7', '198.51.100.7', true],
    ['garbage at the end means the peer', '127.0.0.1', '198.51.100.7, not-an-ip', '127.0.0.1', true],
    ['mapped IPv4 peer', '::ffff:127.0.0.1', '198.51.100.7', '198.51.100.7', true],
    ['IPv6 loopback trusted', '::1', '2001:db8::1', '2001:db8::1', true],
    ['all trusted: leftmost', '127.0.0.1', '10.0.0.1, 10.0.0.2', '10.0.0.1', true],
  ];
  it.each(cases)('%s', (_name, peer, xff, clientIp, peerTrusted) => {
    expect(resolveClientIp(peer, trusted, xff)).toEqual({ clientIp, peerTrusted });
  });

  it('trusts nobody by default', () => {
    expect(resolveClientIp('127.0.0.1', new CidrSet([]), '1.2.3.4')).toEqual({ clientIp: '127.0.0.1', peerTrusted: false });
  });
});
