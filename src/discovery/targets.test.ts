import { describe, expect, it } from 'vitest';
import { normalizeTargets, sameTargets, targetUrl, targetWeight } from './targets.js';
import { t } from '../../test/helpers/discovery-recorder.js';

describe('targetUrl', () => {
  it.each([
    ['http', '10.0.0.7', 8080, 'http://10.0.0.7:8080'],
    ['https', 'fd00::7', 443, 'https://[fd00::7]:443'],
    ['http', 'orders-1.internal', 80, 'http://orders-1.internal:80'],
  ])('%s %s %s → %s', (scheme, host, port, url) => {
    expect(targetUrl(scheme, host, port)).toBe(url);
  });
});

describe('targetWeight', () => {
  it.each([[1, 1], [7, 7], [2.9, 2], [0, 1], [-3, 1], [Number.NaN, 1], ['5', 1], [undefined, 1]])('%s → %s', (input, weight) => {
    expect(targetWeight(input)).toBe(weight);
  });
});

describe('normalizeTargets', () => {
  it('sorts by url, dedupes keeping the highest weight, fixes weights', () => {
    expect(normalizeTargets([...t('http://b:1*2', 'http://a:1', 'http://b:1*5', 'http://b:1'), { url: 'http://c:1', weight: 0 }])).toEqual(t('http://a:1', 'http://b:1*5', 'http://c:1'));
  });
  it('empty stays empty', () => {
    expect(normalizeTargets([])).toEqual([]);
  });
});

describe('sameTargets', () => {
  it.each([
    [t('http://a:1'), t('http://a:1'), true],
    [t('http://a:1'), t('http://a:1*2'), false],
    [t('http://a:1'), t('http://a:1', 'http://b:1'), false],
    [[], [], true],
  ])('%j vs %j → %s', (a, b, same) => {
    expect(sameTargets(a, b)).toBe(same);
  });
});
