import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TargetReporter } from './reporter.js';
import { recorder, t } from '../../test/helpers/discovery-recorder.js';

const silent = pino({ level: 'silent' });

describe('TargetReporter', () => {
  it('reports normalised lists only when they change', () => {
    const rec = recorder();
    const r = new TargetReporter(rec, silent, 'test');
    r.targets(t('http://b:1', 'http://a:1'));
    r.targets(t('http://a:1', 'http://b:1', 'http://a:1'));
    r.targets([]);
    r.targets([]);
    expect(rec.targets).toEqual([t('http://a:1', 'http://b:1'), []]);
  });

  it('onError once per outage, onRecovered at the next good answer, even when the list is unchanged', () => {
    const rec = recorder();
    const r = new TargetReporter(rec, silent, 'test');
    r.targets(t('http://a:1'));
    r.failure(new Error('down'));
    r.failure(new Error('still down'));
    expect(rec.errors.map((e) => e.message)).toEqual(['down']);
    r.targets(t('http://a:1'));
    expect(rec.recovered).toBe(1);
    expect(rec.targets).toHaveLength(1);
    r.failure(new Error('down again'));
    expect(rec.errors).toHaveLength(2);
  });

  it('a failure before any answer is an outage too', () => {
    const rec = recorder();
    const r = new TargetReporter(rec, silent, 'test');
    r.failure(new Error('down'));
    r.targets([]);
    expect(rec.errors).toHaveLength(1);
    expect(rec.recovered).toBe(1);
    expect(rec.targets).toEqual([[]]);
  });

  it('calls nothing after close', () => {
    const rec = recorder();
    const r = new TargetReporter(rec, silent, 'test');
    r.close();
    r.targets(t('http://a:1'));
    r.failure(new Error('x'));
    expect([rec.targets, rec.errors, rec.recovered]).toEqual([[], [], 0]);
  });

  it('hands out copies: a callee mutating its list does not change what is compared next', () => {
    const rec = recorder();
    const r = new TargetReporter(rec, silent, 'test');
    r.targets(t('http://a:1'));
    rec.targets[0]![0]!.weight = 9;
    r.targets(t('http://a:1'));
    expect(rec.targets).toHaveLength(1);
  });
});
