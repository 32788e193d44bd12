import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DNSMASQ_MISSING, hasDnsmasq, startDnsServer, type TestDnsServer } from '../../test/helpers/dns-server.js';
import { dnsProvider, dnsRecordType, type DnsDiscoveryConfig } from './dns.js';
import type { DiscoveryProvider } from './provider.js';
import { capturingLogger, recorder, t, waitFor } from '../../test/helpers/discovery-recorder.js';

const silent = pino({ level: 'silent' });
const HOSTS = [
  '10.0.0.2 orders.example.internal',
  '10.0.0.1 orders.example.internal',
  'fd00::7 v6.example.internal',
  '10.0.1.1 a1.example.internal',
  '10.0.1.2 a2.example.internal',
  '10.0.1.3 a3.example.internal',
];
const SRV = [
  // priority 10: a1 weight 5, a2 weight 0 (→ 1); priority 20 (a3) is a fallback group: unused.
  '_orders._tcp.example.internal,a1.example.internal,8080,10,5',
  '_orders._tcp.example.internal,a2.example.internal,8081,10,0',
  '_orders._tcp.example.internal,a3.example.internal,9090,20,7',
  // a target host without an address is skipped, not fatal.
  '_ghost._tcp.example.internal,missing.example.internal,80,0,1',
  '_ghost._tcp.example.internal,a1.example.internal,81,0,1',
];

describe.skipIf(!hasDnsmasq)(hasDnsmasq ? 'dns discovery (real dnsmasq)' : DNSMASQ_MISSING, () => {
  let dns: TestDnsServer;
  let provider: DiscoveryProvider | null = null;
  const make = (extra: Partial<DnsDiscoveryConfig>, logger = silent) => {
    provider = dnsProvider({ type: 'dns', name: 'orders.example.internal', resolver: dns.resolver, port: 8080, minTtl: '100ms', ...extra }, { logger }, { backoff: { initialMs: 100, maxMs: 300 }, queryTimeoutMs: 300 });
    return provider;
  };

  beforeAll(async () => {
    dns = await startDnsServer({ hosts: HOSTS, srv: SRV, ttl: 1 });
  });
  afterEach(async () => {
    provider?.stop();
    provider = null;
    await dns.setHosts(HOSTS);
    await dns.start().catch(() => undefined);
  });
  afterAll(async () => {
    await dns?.close();
  });

  it('reports A records as sorted targets on the configured port and scheme', async () => {
    const rec = recorder();
    make({ scheme: 'https' }).start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    expect(rec.last()).toEqual(t('https://10.0.0.1:8080', 'https://10.0.0.2:8080'));
    expect(rec.errors).toEqual([]);
  });

  it('reports AAAA records with the address in brackets', async () => {
    const rec = recorder();
    make({ name: 'v6.example.internal', record: 'aaaa', port: 9000 }).start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    expect(rec.last()).toEqual(t('http://[fd00::7]:9000'));
  });

  it('sees changed records once the TTL expires, and reports only real changes', async () => {
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make({}, logger).start(rec);
    await waitFor('first targets', () => rec.targets.length === 1);
    const resolutions = () => entries.filter((e) => e.msg === 'dns resolved').length;
    // The TTL (1s) is honoured: the next resolution is scheduled 1000 ms out.
    expect(entries.find((e) => e.msg === 'dns resolved')?.nextMs).toBe(1000);
    await dns.setHosts(['10.0.0.3 orders.example.internal', ...HOSTS.slice(2)]);
    // TTL is 1s: the new answer must arrive well within a few TTLs.
    await waitFor('changed targets', () => rec.targets.length === 2, 10_000);
    expect(rec.last()).toEqual(t('http://10.0.0.3:8080'));
    // Re-resolving the same answer does not report it again.
    const seen = resolutions();
    await waitFor('two more resolutions', () => resolutions() >= seen + 2, 10_000);
    expect(rec.targets).toHaveLength(2);
  });

  it('uses only the lowest SRV priority group, SRV weight as target weight (0 → 1)', async () => {
    const rec = recorder();
    make({ name: '_orders._tcp.example.internal', port: undefined }).start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    expect(rec.last()).toEqual(t('http://10.0.1.1:8080*5', 'http://10.0.1.2:8081'));
  });

  it('follows address changes of SRV target hosts', async () => {
    const rec = recorder();
    make({ name: '_orders._tcp.example.internal', port: undefined, refresh: '300ms' }).start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    await dns.setHosts(HOSTS.map((l) => l.replace('10.0.1.2 ', '10.0.1.22 ')));
    await waitFor('changed targets', () => rec.targets.length === 2, 10_000);
    expect(rec.last()).toEqual(t('http://10.0.1.1:8080*5', 'http://10.0.1.22:8081'));
  });

  it('skips an SRV target host that has no address, with a warning naming it', async () => {
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make({ name: '_ghost._tcp.example.internal', record: 'srv', port: undefined }, logger).start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    expect(rec.last()).toEqual(t('http://10.0.1.1:81'));
    expect(entries.some((e) => e.level === 40 && e.host === 'missing.example.internal')).toBe(true);
  });

  it('treats NXDOMAIN and NODATA from a reachable server as a real empty answer', async () => {
    for (const extra of [{ name: 'nope.example.internal' }, { name: 'orders.example.internal', record: 'aaaa' as const }, { name: '_nope._tcp.example.internal', port: undefined }]) {
      const rec = recorder();
      make(extra).start(rec);
      await waitFor(`empty answer for ${extra.name}`, () => rec.targets.length > 0);
      expect(rec.targets).toEqual([[]]);
      expect(rec.errors).toEqual([]);
      provider!.stop();
    }
  });

  it('an empty answer after targets is reported as []', async () => {
    const rec = recorder();
    make({}).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await dns.setHosts(HOSTS.slice(2));
    await waitFor('empty list', () => rec.targets.length === 2, 10_000);
    expect(rec.last()).toEqual([]);
  });

  it('resolver down: onError once, targets kept (no onTargets), recovery after restart', async () => {
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    // On timeout, say what the provider last did.
    const detail = () => ({ targets: rec.targets, errors: rec.errors.map((e) => e.message), recovered: rec.recovered, log: entries.slice(-4) });
    make({}, logger).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await dns.stop();
    await waitFor('onError', () => rec.errors.length === 1, 15_000, detail);
    expect(rec.errors[0]!.message).toContain('orders.example.internal');
    // Several more failed retries must not call onError again nor report targets.
    await waitFor('retries', () => entries.filter((e) => e.msg === 'service discovery still failing').length >= 3, 15_000, detail);
    expect(rec.errors).toHaveLength(1);
    expect(rec.targets).toHaveLength(1);
    await dns.setHosts(['10.0.0.9 orders.example.internal']);
    await dns.start();
    await waitFor('recovery', () => rec.recovered === 1 && rec.targets.length === 2, 15_000, detail);
    expect(rec.last()).toEqual(t('http://10.0.0.9:8080'));
    expect(rec.errors).toHaveLength(1);
  });

  it('calls nothing after stop', async () => {
    const rec = recorder();
    const p = make({});
    p.start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    p.stop();
    await dns.setHosts(['10.0.0.5 orders.example.internal']);
    await dns.stop();
    // Longer than a TTL plus several retries: had a timer survived, something would have fired.
    await new Promise((r) => setTimeout(r, 1500));
    expect(rec.targets).toHaveLength(1);
    expect(rec.errors).toEqual([]);
  });
});

describe('dns discovery config', () => {
  it.each([
    ['_orders._tcp.x', undefined, 'srv'],
    ['orders.x', undefined, 'a'],
    ['orders.x', 'aaaa', 'aaaa'],
    ['_orders._tcp.x', 'a', 'a'],
  ] as const)('%s with record=%s is %s', (name, record, type) => {
    expect(dnsRecordType({ name, record })).toBe(type);
  });

  it('refuses A/AAAA without a port, and a hostname resolver', () => {
    expect(() => dnsProvider({ type: 'dns', name: 'orders.x', resolver: '127.0.0.1' }, { logger: silent })).toThrow(/port.*required/);
    expect(() => dnsProvider({ type: 'dns', name: '_o._tcp.x', resolver: 'dns.example:53' }, { logger: silent })).toThrow(/IP address/);
  });
});
