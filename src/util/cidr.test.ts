import { describe, expect, it } from 'vitest';
import { CidrSet, parseCidr, unmapIPv4 } from './cidr.js';

describe('parseCidr', () => {
  it.each<[string, string, number, 'ipv4' | 'ipv6']>([
    ['10.0.0.0/8', '10.0.0.0', 8, 'ipv4'],
    ['10.0.0.1', '10.0.0.1', 32, 'ipv4'],
    ['0.0.0.0/0', '0.0.0.0', 0, 'ipv4'],
    ['192.168.1.1/32', '192.168.1.1', 32, 'ipv4'],
    [' 127.0.0.1/32 ', '127.0.0.1', 32, 'ipv4'],
    ['::1', '::1', 128, 'ipv6'],
    ['::/0', '::', 0, 'ipv6'],
    ['fd00::/8', 'fd00::', 8, 'ipv6'],
    ['2001:db8::/128', '2001:db8::', 128, 'ipv6'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1', 128, 'ipv6'],
  ])('%j → %s/%i %s', (text, address, prefix, family) => {
    expect(parseCidr(text)).toEqual({ address, prefix, family });
  });

  it.each([
    '',
    'garbage',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/',
    '10.0.0.0/1.5',
    '10.0.0.0/a',
    '10.0.0.0/8/8',
    '10.0.0.0/1000',
    '10.0.0.256/8',
    '10.0.0/8',
    '/8',
    '::/129',
    '::1/200',
    '[::1]/128',
    '10.0.0.0 /8',
    'localhost',
  ])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('unmapIPv4', () => {
  it.each([
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    ['::ffff:zz', '::ffff:zz'],
    ['fd00::1', 'fd00::1'],
  ])('%s → %s', (ip, out) => {
    expect(unmapIPv4(ip)).toBe(out);
  });
});

describe('CidrSet', () => {
  const set = new CidrSet(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']);

  it.each<[string, boolean]>([
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['9.255.255.255', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['::ffff:10.0.0.1', true],
    ['::ffff:192.168.1.7', true],
    ['::ffff:11.0.0.1', false],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['::1', true],
    ['::2', false],
    ['127.0.0.1', false],
    ['', false],
    ['garbage', false],
    ['10.0.0.1:80', false],
  ])('has(%j) is %s', (ip, expected) => {
    expect(set.has(ip)).toBe(expected);
  });

  it('matches by network even when the entry has host bits set', () => {
    const s = new CidrSet(['10.1.2.3/8']);
    expect(s.has('10.200.0.1')).toBe(true);
    expect(s.has('11.1.2.3')).toBe(false);
  });

  it('an IPv4-mapped entry matches the client however it is spelt', () => {
    const s = new CidrSet(['::ffff:10.0.0.1']);
    expect(s.has('10.0.0.1')).toBe(true);
    expect(s.has('::ffff:10.0.0.1')).toBe(true);
    expect(s.has('10.0.0.2')).toBe(false);
  });

  it('0.0.0.0/0 takes every IPv4 address and no IPv6 one', () => {
    const s = new CidrSet(['0.0.0.0/0']);
    expect(s.has('1.2.3.4')).toBe(true);
    expect(s.has('::ffff:1.2.3.4')).toBe(true);
    expect(s.has('2001:db8::1')).toBe(false);
  });

  it('an empty set matches nothing', () => {
    const s = new CidrSet([]);
    expect(s.size).toBe(0);
    expect(s.has('127.0.0.1')).toBe(false);
    expect(s.has('::1')).toBe(false);
  });

  it.each(['10.0.0.0/33', 'garbage', '', '::/129'])('refuses to build with %j', (bad) => {
    expect(() => new CidrSet(['10.0.0.0/8', bad])).toThrow();
  });

  it('builds from every entry parseCidr accepts', () => {
    for (const text of ['fe80::1%eth0', 'fe80::1%1', '::ffff:10.0.0.0/104', '10.0.0.0/08']) {
      if (parseCidr(text)) expect(() => new CidrSet([text]), text).not.toThrow();
    }
  });
});
