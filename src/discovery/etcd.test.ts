import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_MISSING, hasEtcd, startEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { parseEtcdValue } from './etcd-value.js';
import { etcdProvider } from './etcd.js';
import type { DiscoveryProvider } from './provider.js';
import { capturingLogger, recorder, t, waitFor } from '../../test/helpers/discovery-recorder.js';

const silent = pino({ level: 'silent' });

describe.skipIf(!hasEtcd)(hasEtcd ? 'etcd discovery (real etcd)' : ETCD_MISSING, () => {
  let etcd: TestEtcd;
  let provider: DiscoveryProvider | null = null;
  let n = 0;
  /** A fresh prefix per test, so tests don't see each other's keys. */
  let prefix = '';
  const make = (logger = silent) => {
    provider = etcdProvider({ type: 'etcd', endpoints: [etcd.url], prefix }, { logger }, { backoff: { initialMs: 100, maxMs: 500 }, watchBackoff: { initialMs: 100, maxMs: 500 }, readTimeoutMs: 2000 });
    return provider;
  };
  const entry = (url: string, weight?: number) => JSON.stringify(weight === undefined ? { url } : { url, weight });

  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterEach(async () => {
    provider?.stop();
    provider = null;
    await etcd.start();
  }, 30_000);
  afterAll(async () => {
    await etcd?.close();
  });

  const fresh = () => (prefix = `/services/orders-${++n}/`);

  it('reads the prefix at start, sorted, weights kept', async () => {
    fresh();
    await etcd.put(`${prefix}b`, entry('http://10.0.0.2:8080', 3));
    await etcd.put(`${prefix}a`, entry('http://10.0.0.1:8080'));
    const rec = recorder();
    make().start(rec);
    await waitFor('targets', () => rec.targets.length > 0);
    expect(rec.last()).toEqual(t('http://10.0.0.1:8080', 'http://10.0.0.2:8080*3'));
    expect(rec.errors).toEqual([]);
  });

  it('an empty prefix is a real answer [], then puts and deletes arrive through the watch', async () => {
    fresh();
    const rec = recorder();
    make().start(rec);
    await waitFor('empty list', () => rec.targets.length === 1);
    expect(rec.last()).toEqual([]);
    await etcd.put(`${prefix}one`, entry('http://10.0.0.1:1'));
    await waitFor('put seen', () => rec.targets.length === 2);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1'));
    await etcd.put(`${prefix}two`, entry('http://10.0.0.2:2', 5));
    await waitFor('second put seen', () => rec.targets.length === 3);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1', 'http://10.0.0.2:2*5'));
    await etcd.del(`${prefix}one`);
    await waitFor('delete seen', () => rec.targets.length === 4);
    expect(rec.last()).toEqual(t('http://10.0.0.2:2*5'));
  });

  it('ignores keys outside the prefix', async () => {
    fresh();
    await etcd.put(`${prefix}a`, entry('http://10.0.0.1:1'));
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make(logger).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    // A sibling prefix sharing the leading characters, and an unrelated key.
    await etcd.put(prefix.replace(/\/$/, '-other/x'), entry('http://10.9.9.9:1'));
    await etcd.put('/elsewhere', entry('http://10.9.9.8:1'));
    // Then a change inside: once it is seen, the earlier outside puts were certainly processed too.
    await etcd.put(`${prefix}b`, entry('http://10.0.0.2:2'));
    await waitFor('inside change', () => rec.targets.length === 2);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1', 'http://10.0.0.2:2'));
    expect(JSON.stringify(entries)).not.toContain('10.9.9');
  });

  it('skips a malformed value with a warning naming the key, keeping the others', async () => {
    fresh();
    await etcd.put(`${prefix}good`, entry('http://10.0.0.1:1'));
    await etcd.put(`${prefix}broken`, '{not json');
    await etcd.put(`${prefix}ftp`, entry('ftp://10.0.0.3:21'));
    const rec = recorder();
    const { logger, entries } = capturingLogger();
    make(logger).start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1'));
    const warned = entries.filter((e) => e.level === 40).map((e) => e.key);
    expect(warned).toEqual(expect.arrayContaining([`${prefix}broken`, `${prefix}ftp`]));
    expect(rec.errors).toEqual([]);
  });

  it('etcd killed: last known targets kept, onError once; restarted: changes seen again', async () => {
    fresh();
    await etcd.put(`${prefix}a`, entry('http://10.0.0.1:1'));
    const rec = recorder();
    make().start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    await etcd.stop();
    await waitFor('onError', () => rec.errors.length === 1, 15_000);
    expect(rec.targets).toHaveLength(1);
    await etcd.start();
    await waitFor('recovered', () => rec.recovered === 1, 20_000);
    // Same data after the restart: recovery alone reports nothing new.
    expect(rec.targets).toHaveLength(1);
    await etcd.put(`${prefix}b`, entry('http://10.0.0.2:2'));
    await waitFor('change after restart', () => rec.targets.length === 2, 20_000);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1', 'http://10.0.0.2:2'));
    expect(rec.errors).toHaveLength(1);
  }, 60_000);

  it('etcd down at start: onError, then targets once it is up', async () => {
    fresh();
    await etcd.put(`${prefix}a`, entry('http://10.0.0.1:1'));
    await etcd.stop();
    const rec = recorder();
    make().start(rec);
    await waitFor('onError', () => rec.errors.length === 1, 15_000);
    expect(rec.targets).toEqual([]);
    await etcd.start();
    await waitFor('targets', () => rec.targets.length === 1, 20_000);
    expect(rec.last()).toEqual(t('http://10.0.0.1:1'));
  }, 60_000);

  it('calls nothing after stop', async () => {
    fresh();
    const rec = recorder();
    const p = make();
    p.start(rec);
    await waitFor('targets', () => rec.targets.length === 1);
    p.stop();
    await etcd.put(`${prefix}a`, entry('http://10.0.0.1:1'));
    await etcd.stop();
    await new Promise((r) => setTimeout(r, 1000));
    expect(rec.targets).toHaveLength(1);
    expect(rec.errors).toEqual([]);
  });
});

describe('parseEtcdValue', () => {
  it.each([
    ['{"url":"http://10.0.0.1:8080"}', { url: 'http://10.0.0.1:8080', weight: 1 }],
    ['{"url":"https://a.internal/base/","weight":4}', { url: 'https://a.internal/base', weight: 4 }],
    ['{not json', { problem: 'value is not JSON' }],
    ['[1]', { problem: 'value is not a JSON object' }],
    ['null', { problem: 'value is not a JSON object' }],
    ['{"weight":2}', { problem: '"url" is missing or not a string' }],
    ['{"url":"ftp://x:21"}', { problem: '"url" must be an http:// or https:// URL, not ftp:' }],
    ['{"url":"http://u:p@x:1"}', { problem: '"url" must not hold credentials (use the token/username/password fields)' }],
    ['{"url":"http://x:1","weight":0}', { problem: '"weight" must be an integer ≥ 1' }],
    ['{"url":"http://x:1","weight":"2"}', { problem: '"weight" must be an integer ≥ 1' }],
  ])('%s', (value, expected) => {
    expect(parseEtcdValue(value)).toEqual(expected);
  });
});
