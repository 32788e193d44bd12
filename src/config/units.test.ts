import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, parseDuration, parseSize, SIZE_PATTERN } from './units.js';

describe('parseDuration', () => {
  it.each<[string | number, number]>([
    ['250ms', 250],
    ['0ms', 0],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    [' 30s ', 30_000],
    ['0.25s', 250],
    [100, 100],
    [0, 0],
  ])('%j → %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 's', 'ms', '30', '30S', '30MS', '-1s', '+1s', '1.s', '.5s', '30 s', '1w', '1y', '1e3ms', 'Infinity', 'NaN', '30sec', '1h30m', 'forever', '0x10s'])(
    'refuses %j',
    (input) => {
      expect(() => parseDuration(input)).toThrow();
    },
  );

  it('the schema pattern accepts exactly what parseDuration accepts (untrimmed)', () => {
    const re = new RegExp(DURATION_PATTERN);
    for (const ok of ['250ms', '30s', '1.5s', '5m', '1h', '2d']) expect(re.test(ok), ok).toBe(true);
    for (const bad of ['', '30', '30S', '-1s', '1w', '30 s', '1h30m']) expect(re.test(bad), bad).toBe(false);
  });
});

describe('parseSize', () => {
  it.each<[string | number, number]>([
    ['512b', 512],
    ['0b', 0],
    ['64kb', 65_536],
    ['10mb', 10 * 1024 * 1024],
    ['1gb', 1024 ** 3],
    ['10MB', 10 * 1024 * 1024],
    ['64Kb', 65_536],
    ['1.5kb', 1_536],
    [' 1kb ', 1_024],
    [4096, 4096],
  ])('%j → %i bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['', 'b', 'kb', '10', '10m', '10k', '10 mb', '1tb', '-1kb', '+1kb', '1e3b', '10mbs', '.5kb', 'ten mb'])('refuses %j', (input) => {
    expect(() => parseSize(input)).toThrow();
  });

  it('the schema pattern accepts exactly what parseSize accepts (untrimmed)', () => {
    const re = new RegExp(SIZE_PATTERN);
    for (const ok of ['512b', '64kb', '10mb', '1gb', '10MB', '64Kb', '1.5kb']) expect(re.test(ok), ok).toBe(true);
    for (const bad of ['', '10', '10m', '10 mb', '1tb', '-1kb']) expect(re.test(bad), bad).toBe(false);
  });
});
