import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../config/pipeline.js';
import { parseCidr } from '../../util/cidr.js';
import { PluginRegistry } from '../registry.js';
import { ipRulesPlugin } from './index.js';
import { addressBytes, hasHostBits, IpRules, ipRulesProblems } from './ip-rules.js';
import type { IpRulesConfig } from './schema.js';

describe('IpRules.admits', () => {
  const cases: [string, IpRulesConfig, [string, boolean][]][] = [
    [
      'allow only',
      { allow: ['10.0.0.0/8', '2001:db8::/32'] },
      [
        ['10.1.2.3', true],
        ['11.0.0.1', false],
        ['::ffff:10.9.9.9', true], // IPv4-mapped counts as IPv4
        ['::ffff:11.0.0.1', false],
        ['2001:db8::1', true],
        ['2001:db9::1', false],
        ['::1', false],
        ['', false],
        ['not-an-ip', false],
      ],
    ],
    [
      'deny only',
      { deny: ['10.1.0.0/16', '::1'] },
      [
        ['10.1.0.1', false],
        ['10.2.0.1', true],
        ['::ffff:10.1.200.1', false],
        ['::1', false],
        ['::2', true],
        ['', false], // no address at all: refused, never waved through
        ['garbage', false],
      ],
    ],
    [
      'deny wins over allow',
      { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16', '10.2.3.4'] },
      [
        ['10.0.0.1', true],
        ['10.1.5.5', false],
        ['10.2.3.4', false],
        ['10.2.3.5', true],
        ['192.168.0.1', false],
      ],
    ],
    [
      'a mapped-IPv6 CIDR matches plain IPv4 clients',
      { allow: ['::ffff:192.168.0.0/112'] },
      [
        ['192.168.3.4', true],
        ['::ffff:192.168.3.4', true],
        ['192.169.0.1', false],
      ],
    ],
    [
      'everything denied, v4 and v6',
      { deny: ['0.0.0.0/0', '::/0'] },
      [
        ['1.2.3.4', false],
        ['2001:db8::1', false],
      ],
    ],
  ];
  for (const [name, config, table] of cases) {
    it.each(table)(`${name}: %j → %s`, (ip, expected) => {
      expect(new IpRules(config).admits(ip)).toBe(expected);
    });
  }

  it('throws on an invalid entry (validation reports it first)', () => {
    expect(() => new IpRules({ allow: ['10.0.0.0/33'] })).toThrow(/invalid CIDR/);
  });
});

describe('addressBytes / hasHostBits', () => {
  it.each<[string, number[]]>([
    ['10.1.2.3', [10, 1, 2, 3]],
    ['::1', [...new Array(15).fill(0), 1]],
    ['2001:db8::', [0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)]],
    ['::ffff:10.0.0.1', [...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['fe80::1:2', [0xfe, 0x80, ...new Array(10).fill(0), 0, 1, 0, 2]],
  ])('%s', (address, bytes) => {
    expect(addressBytes(address, address.includes(':') ? 'ipv6' : 'ipv4')).toEqual(bytes);
  });

  it.each<[string, boolean]>([
    ['10.0.0.0/8', false],
    ['10.1.0.0/8', true],
    ['10.1.2.3', false],
    ['10.1.2.3/31', true],
    ['10.1.2.2/31', false],
    ['0.0.0.0/0', false],
    ['1.0.0.0/0', true],
    ['2001:db8::/32', false],
    ['2001:db8::1/32', true],
    ['2001:db8:8000::/33', false],
    ['2001:db8:4000::/33', true],
    ['::/0', false],
    ['::1', false],
    ['::ffff:10.0.0.0/104', false],
    ['::ffff:10.0.0.1/104', true],
  ])('%s has host bits: %s', (text, expected) => {
    expect(hasHostBits(parseCidr(text)!)).toBe(expected);
  });
});

describe('ipRulesProblems', () => {
  it('accepts valid lists', () => {
    expect(ipRulesProblems({ allow: ['10.0.0.0/8', '::1', '2001:db8::/32'], deny: ['10.1.0.0/16'] })).toEqual([]);
  });

  it.each<[string, IpRulesConfig, (string | number)[], 'error' | 'warning', RegExp]>([
    ['garbage', { allow: ['10.0.0.0/8', 'nope'] }, ['allow', 1], 'error', /"nope" is not an IPv4 or IPv6 address or CIDR/],
    ['a prefix too long', { deny: ['10.0.0.0/33'] }, ['deny', 0], 'error', /not an IPv4 or IPv6/],
    ['a v6 prefix too long', { deny: ['::/129'] }, ['deny', 0], 'error', /not an IPv4 or IPv6/],
    ['a host name', { allow: ['localhost'] }, ['allow', 0], 'error', /not an IPv4 or IPv6/],
    ['host bits', { allow: ['10.1.2.3/8'] }, ['allow', 0], 'warning', /covers the whole network/],
    ['a duplicate', { deny: ['10.0.0.0/8', '10.0.0.0/8'] }, ['deny', 1], 'warning', /listed twice/],
  ])('%s', (_name, value, path, severity, message) => {
    const problems = ipRulesProblems(value);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toEqual(path);
    expect(problems[0]!.severity ?? 'error').toBe(severity);
    expect(problems[0]!.message).toMatch(message);
  });
});

describe('ipRules in a config file', () => {
  const registry = new PluginRegistry([ipRulesPlugin]);
  const check = (rules: string) =>
    checkConfigText(`upstreams: { a: { targets: [http://127.0.0.1:1] } }\nroutes:\n  - name: r\n    match: { path: /a }\n    upstream: a\n    ipRules: ${rules}\n`, 'gateway.yaml', registry);

  it('accepts allow and deny lists', () => {
    expect(check('{ allow: [10.0.0.0/8, "::1"], deny: [10.1.0.0/16] }').errors).toEqual([]);
  });

  it.each<[string, RegExp]>([
    ['{ allow: [10.0.0.0/8, 10.0.0.300] }', /^routes\[0\]\.ipRules\.allow\[1\]: "10\.0\.0\.300" is not an IPv4 or IPv6 address or CIDR \(gateway\.yaml:\d+\)$/],
    ['{ deny: ["fe80::/200"] }', /^routes\[0\]\.ipRules\.deny\[0\]: /],
    ['{}', /^routes\[0\]\.ipRules: must be an object with allow, deny or both/],
    ['{ allow: [] }', /^routes\[0\]\.ipRules\.allow: must be a non-empty list/],
    ['{ allow: 10.0.0.0/8 }', /^routes\[0\]\.ipRules\.allow: must be a non-empty list/],
    ['{ alow: [10.0.0.0/8] }', /^routes\[0\]\.ipRules\.alow: unknown key/],
  ])('%s is reported with its path', (rules, message) => {
    const result = check(rules);
    expect(result.config).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(message);
  });

  it('warns, without failing, on host bits', () => {
    const result = check('{ allow: [10.1.0.0/8] }');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^routes\[0\]\.ipRules\.allow\[0\]: .*covers the whole network/);
  });
});
