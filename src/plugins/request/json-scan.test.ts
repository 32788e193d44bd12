import { describe, expect, it } from 'vitest';
import { scanJson } from './json-scan.js';

const scan = (text: string, depth = 64) => scanJson(Buffer.from(text, 'utf8'), depth);

describe('scanJson: depth', () => {
  it.each([
    ['{}', 1, false],
    ['[[]]', 2, false],
    ['[[]]', 1, true],
    ['{"a":{"b":[1,{"c":2}]}}', 4, false],
    ['{"a":{"b":[1,{"c":2}]}}', 3, true],
    ['"[[[[[["', 1, false], // brackets inside strings do not count
    ['["\\"[[[["]', 1, false], // nor after an escaped quote
    ['[][][][]', 1, false], // depth, not count
  ])('%s with limit %i → tooDeep %s', (text, limit, tooDeep) => {
    expect(scan(text, limit).tooDeep).toBe(tooDeep);
  });

  it('stops at the first bracket past the limit (100k nesting)', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(scan(text).tooDeep).toBe(true);
  });

  it('never throws on garbage', () => {
    for (const text of ['"', '"\\', '}}}]]]', '{"a', '{"a":', '[,,,]', '\u00ff\u0000{', '{"\\u12']) {
      expect(() => scan(text)).not.toThrow();
    }
  });
});

describe('scanJson: duplicate keys', () => {
  it.each([
    ['{"a":1,"b":2}', null],
    ['{"a":1,"a":2}', { path: [], key: 'a' }],
    ['{"a":{"x":1},"b":{"x":1}}', null], // same key in different objects
    ['{"a":"b","b":1}', null], // a string value is not a key
    ['{"items":[{"qty":1},{"qty":1,"qty":2}]}', { path: ['items', 1], key: 'qty' }],
    ['{"a":1,"\\u0061":2}', { path: [], key: 'a' }], // escapes are decoded before comparing
    ['{"é":1,"\\u00e9":2}', { path: [], key: 'é' }],
    ['{"a":[1,2,{"k":{"z":0,"z":1}}]}', { path: ['a', 2, 'k'], key: 'z' }],
    ['[{"a":1},{"a":1}]', null],
    ['{"a,":1,"a":2}', null], // a comma inside a key is not structure
  ])('%s → %j', (text, duplicate) => {
    expect(scan(text).duplicate).toEqual(duplicate);
  });
});
