/**
 * Consul discovery against test/helpers/consul-fake.ts — a stand-in for Consul speaking its
 * documented HTTP API, because no Consul package exists on this machine.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { consulEntry, startConsulFake, type ConsulFake } from '../../test/helpers/consul-fake.js';
import { nextConsulIndex } from './consul-index.js';
import { consulProvider, type ConsulDiscoveryConfig } from './consul.js';
import type { DiscoveryProvider } from './provider.js';
import { capturingLogger, recorder, t, waitFor } from '../../test/helpers/discovery-recorder.js';

const silent = pino({ level: 'silent' });
let fake: ConsulFake | null = null;
let provider: DiscoveryProvider | null = null;

function make(extra: Partial<ConsulDiscoveryConfig> = {}, logger = silent): DiscoveryProvider {
  provider = consulProvider({ type: 'consul', url: fake!.url, service: 'orders', wait: '30s', ...extra }, { logger }, { minIntervalMs: 50, backoff: { initialMs: 50, maxMs: 200 } });
  return provider;
}

afterEach(async () => {
  provider?.stop();
  provider = null;
  await fake?.close();
  fake = null;
});

const ORDERS = [
  consulEntry({ address: '10.0.0.2', port: 8080, weight: 3 }),
  consulEntry({ nodeAddress: '10.0.0.1', port: 8081 }), // no Service.Address: the node's is used
  consulEntry({ address: 'fd00::1', port: 8080 }),
  consulEntry({ address: '10.0.0.9', port: 8080, status: 'critical' }), // filtered by ?passing
];

describe('consul discovery', () => {
  it('reports the passing instances: service address or node address, port, Weights.Passing', async () => {
    fake = await startConsulFake();
    fake.setService('orders', ORDERS);
    const rec = recorder();
    make({ scheme: 'https', datacenter: 'dc2' }).start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    expect(rec.last()).toEqual(t('https://10.0.0.1:8081', 'https://10.0.0.2:8080*3', 'https://[fd00::1]:8080'));
    const first = fake.requests[0]!;
    expect(first.path).toBe('/v1/health/service/orders');
    expect(first.query.get('passing')).toBe('true');
    expect(first.query.get('dc')).toBe('dc2');
    expect(rec.errors).toEqual([]);
  });

  it('filters by tag, and an empty service is a real answer []', async () => {
    fake = await startConsulFake();
    fake.setService('orders', [consulEntry({ address: '10.0.0.1', port: 1, tags: ['v2'] }), consulEntry({ address: '10.0.0.2', port: 2 })]);
    const rec = recorder();
    make({ tag: 'v2' }).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1'));
    fake.setService('orders', []);
    await waitFor('empty', () => rec.targets.length === 2);
    expect(rec.last()).toEqual([]);
    expect(rec.errors).toEqual([]);
  });

  it('a change wakes the blocking query at once, long before the wait', async () => {
    fake = await startConsulFake();
    fake.setService('orders', ORDERS.slice(0, 1));
    const rec = recorder();
    make({ wait: '60s' }).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await waitFor('a parked blocking query', () => fake!.waiting() === 1);
    const blocking = fake.requests.at(-1)!;
    expect(blocking.query.get('wait')).toBe('60000ms');
    expect(Number(blocking.query.get('index'))).toBeGreaterThan(0);
    const changedAt = Date.now();
    fake.setService('orders', ORDERS.slice(0, 2));
    await waitFor('changed targets', () => rec.targets.length === 2);
    // Well before the 60 s wait: the change, not a timeout, ended the query.
    expect(Date.now() - changedAt).toBeLessThan(20_000);
    expect(rec.last()).toEqual(t('http://10.0.0.1:8081', 'http://10.0.0.2:8080*3'));
  });

  it('sends the ACL token in X-Consul-Token, never in the URL or the logs', async () => {
    fake = await startConsulFake({ token: 's3cret-token' });
    fake.setService('orders', ORDERS.slice(0, 1));
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make({ token: 's3cret-token' }, logger).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await waitFor('a parked blocking query', () => fake!.waiting() === 1);
    expect(fake.requests.every((r) => r.token === 's3cret-token')).toBe(true);
    expect(fake.requests.every((r) => !r.query.toString().includes('s3cret'))).toBe(true);
    expect(JSON.stringify(entries)).not.toContain('s3cret');
  });

  it('403 (no or wrong token) → onError once, nothing reported, and no token leaks', async () => {
    fake = await startConsulFake({ token: 'right-token' });
    fake.setService('orders', ORDERS);
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make({ token: 'wrong-token' }, logger).start(rec);
    await waitFor('onError', () => rec.errors.length === 1);
    expect(rec.errors[0]!.message).toMatch(/403.*ACL not found/);
    await waitFor('retries', () => fake!.requests.length >= 4);
    expect(rec.errors).toHaveLength(1);
    expect(rec.targets).toEqual([]);
    expect(JSON.stringify(entries) + rec.errors[0]!.message).not.toContain('wrong-token');
  });

  it('Consul down: last known targets kept, onError once, recovery with the new list', async () => {
    fake = await startConsulFake();
    fake.setService('orders', ORDERS.slice(0, 1));
    const rec = recorder();
    make().start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await waitFor('a parked blocking query', () => fake!.waiting() === 1);
    await fake.stop();
    await waitFor('onError', () => rec.errors.length === 1);
    const before = fake.requests.length;
    fake.setService('orders', ORDERS.slice(1, 2));
    await fake.start();
    await waitFor('recovery', () => rec.recovered === 1 && rec.targets.length === 2);
    expect(rec.last()).toEqual(t('http://10.0.0.1:8081'));
    expect(rec.errors).toHaveLength(1);
    // The first request after the outage is a plain read (index reset), not a blocking one.
    expect(fake.requests[before]!.query.has('index')).toBe(false);
  });

  it('resets the index when it goes backwards', async () => {
    fake = await startConsulFake();
    fake.setService('orders', ORDERS.slice(0, 1));
    fake.setIndex(50);
    const rec = recorder();
    make().start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await waitFor('a parked blocking query', () => fake!.waiting() === 1);
    expect(fake.requests.at(-1)!.query.get('index')).toBe('50');
    const n = fake.requests.length;
    fake.setIndex(7); // e.g. Consul restored from an older snapshot
    await waitFor('two more requests', () => fake!.requests.length >= n + 2);
    expect(fake.requests[n]!.query.has('index')).toBe(false);
    await waitFor('blocking again on the new index', () => fake!.waiting() === 1 && fake!.requests.at(-1)!.query.get('index') === '7');
    expect(rec.errors).toEqual([]);
  });

  it('garbage JSON → onError (no crash), then recovery; bad entries are skipped with a warning', async () => {
    fake = await startConsulFake();
    fake.setService('orders', ORDERS.slice(0, 1));
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make({}, logger).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    fake.setRaw('orders', '{"not": "an array"');
    await waitFor('onError', () => rec.errors.length === 1);
    expect(rec.errors[0]!.message).toContain('not JSON');
    fake.setRaw('orders', '{"an": "object"}');
    await waitFor('more retries', () => entries.filter((e) => e.msg === 'service discovery still failing').length >= 2);
    expect(rec.errors).toHaveLength(1);
    expect(rec.targets).toHaveLength(1);
    fake.setRaw('orders', null);
    fake.setService('orders', [...ORDERS.slice(0, 1), { Node: { Node: 'x', Address: '' }, Service: { ID: 'x', Service: 'orders', Tags: [], Address: '', Port: 0 }, Checks: [] }, consulEntry({ address: '10.0.0.5', port: 80 })]);
    await waitFor('recovery', () => rec.recovered === 1 && rec.targets.length === 2);
    expect(rec.last()).toEqual(t('http://10.0.0.2:8080*3', 'http://10.0.0.5:80'));
    expect(entries.some((e) => e.level === 40 && String(e.msg).includes('skipped'))).toBe(true);
  });

  it('stop aborts the blocking query and nothing is called after it', async () => {
    fake = await startConsulFake();
    fake.setService('orders', ORDERS.slice(0, 1));
    const rec = recorder();
    const p = make();
    p.start(rec);
    await waitFor('a parked blocking query', () => fake!.waiting() === 1);
    p.stop();
    await waitFor('the query closed', () => fake!.waiting() === 0);
    const n = fake.requests.length;
    fake.setService('orders', ORDERS);
    await fake.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(rec.targets).toHaveLength(1);
    expect(rec.errors).toEqual([]);
    expect(fake.requests.length).toBe(n);
  });
});

describe('nextConsulIndex', () => {
  it.each([
    [0, '5', 5],
    [5, '5', 5],
    [5, '9', 9],
    [9, '3', 0], // backwards
    [9, '0', 0], // zero is never valid
    [9, undefined, 0],
    [9, 'abc', 0],
    [9, '-4', 0],
    [0, ['12', '13'], 12],
  ] as const)('previous %s, header %j → %s', (previous, header, expected) => {
    expect(nextConsulIndex(previous, header as string | string[] | undefined)).toBe(expected);
  });
});
