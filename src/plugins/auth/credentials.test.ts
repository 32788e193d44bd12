import { describe, expect, it } from 'vitest';
import { countHeader, parseBearer, queryValues, withoutQueryParam } from './credentials.js';

describe('parseBearer', () => {
  it.each<[string, string | null]>([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['Bearer a-b_c~d+e/f==', 'a-b_c~d+e/f=='],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearerabc', null],
    ['Basic abc', null],
    ['Bearer a b', null],
    ['Bearer a=b', null],
    ['Bearer a,b', null],
    ['Bearer \tabc', null],
    [' Bearer abc', null],
  ])('%j → %j', (value, token) => {
    expect(parseBearer(value)).toBe(token);
  });
});

describe('countHeader', () => {
  it('counts case-insensitively in raw headers', () => {
    expect(countHeader(['Host', 'x', 'Authorization', 'a', 'AUTHORIZATION', 'b', 'X-Auth', 'c'], 'authorization')).toBe(2);
    expect(countHeader(['Host', 'x'], 'authorization')).toBe(0);
  });
});

describe('queryValues', () => {
  it.each<[string, string, string[]]>([
    ['', 'key', []],
    ['?', 'key', []],
    ['?key=abc', 'key', ['abc']],
    ['?a=1&key=abc&b=2', 'key', ['abc']],
    ['?key=a&key=b', 'key', ['a', 'b']],
    ['?k%65y=abc', 'key', ['abc']],
    ['?key=a%2Bb+c', 'key', ['a+b c']],
    ['?keys=abc&mykey=x', 'key', []],
    ['?key', 'key', ['']],
    ['?key=%zz', 'key', ['%zz']],
    ['?access_token=t', 'access_token', ['t']],
  ])('%j %s → %j', (query, name, values) => {
    expect(queryValues(query, name)).toEqual(values);
  });
});

describe('withoutQueryParam', () => {
  it.each<[string, string]>([
    ['?key=abc', ''],
    ['?a=%20b&key=abc&c=d+e', '?a=%20b&c=d+e'],
    ['?key=a&x=1&k%65y=b', '?x=1'],
    ['?a=1', '?a=1'],
    ['', ''],
  ])('%j → %j', (query, out) => {
    expect(withoutQueryParam(query, 'key')).toBe(out);
  });
});
