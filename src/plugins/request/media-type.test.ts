import { describe, expect, it } from 'vitest';
import { isJsonMediaType, mediaRangeProblem, MediaTypeMatcher, parseMediaType } from './media-type.js';

describe('parseMediaType', () => {
  it.each([
    ['application/json', 'application/json', {}],
    ['Application/JSON', 'application/json', {}],
    ['  application/json  ', 'application/json', {}],
    ['application/json; charset=utf-8', 'application/json', { charset: 'utf-8' }],
    ['application/json;charset=UTF-8', 'application/json', { charset: 'UTF-8' }],
    ['application/json ; charset="utf-8"', 'application/json', { charset: 'utf-8' }],
    ['multipart/form-data; boundary="a;b\\"c"', 'multipart/form-data', { boundary: 'a;b"c' }],
    ['text/plain; a=1; A=2', 'text/plain', { a: '1' }],
    ['text/plain;', 'text/plain', {}],
    ['application/vnd.api+json', 'application/vnd.api+json', {}],
  ])('%j → %s', (value, essence, params) => {
    expect(parseMediaType(value)).toMatchObject({ essence, params });
  });

  it.each([
    '',
    'json',
    '/json',
    'application/',
    'application/json, text/plain',
    'application/json text',
    'appli cation/json',
    'application/json; charset',
    'application/json; charset="utf-8',
    'application/json; =x',
    'application/json; a=b c',
    'application/json x; a=b',
  ])('%j → null', (value) => {
    expect(parseMediaType(value)).toBeNull();
  });
});

describe('MediaTypeMatcher', () => {
  const m = new MediaTypeMatcher(['application/json', 'text/*', 'application/*+xml', 'Image/PNG']);
  it.each([
    ['application/json', true],
    ['APPLICATION/JSON; charset=utf-8', true],
    ['text/plain', true],
    ['text/csv; header=present', true],
    ['application/soap+xml', true],
    ['application/atom+XML', true],
    ['image/png', true],
    ['application/xml', false], // the suffix pattern needs a +xml subtype
    ['application/json-patch', false],
    ['application/jsonx', false],
    ['application/vnd.api+json', false],
    ['image/jpeg', false],
    ['textual/plain', false],
    ['application/x+xml+json', false],
  ])('%s → %s', (value, expected) => {
    expect(m.matches(parseMediaType(value)!)).toBe(expected);
  });

  it.each([
    [['application/json'], true],
    [['application/*+json'], true],
    [['application/*'], true],
    [['application/merge-patch+json'], true],
    [['text/*', 'application/xml'], false],
    [['text/json'], false],
  ])('acceptsJson %j → %s', (entries, expected) => {
    expect(new MediaTypeMatcher(entries).acceptsJson).toBe(expected);
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['application/problem+json', true],
    ['application/vnd.api+json; charset=utf-8', true],
    ['text/json', false],
    ['application/json5', false],
    ['application/x-www-form-urlencoded', false],
  ])('%s → %s', (value, expected) => {
    expect(isJsonMediaType(parseMediaType(value)!)).toBe(expected);
  });
});

describe('mediaRangeProblem (config entries)', () => {
  it.each(['application/json', 'text/*', 'application/*+json', 'application/vnd.api+json', 'IMAGE/PNG'])('%s is accepted', (entry) => {
    expect(mediaRangeProblem(entry)).toBeUndefined();
  });
  it.each([
    ['json', /media type/],
    ['*/*', /must name a type/],
    ['*/json', /must name a type/],
    ['application/json; charset=utf-8', /without parameters/],
    ['application/js*n', /wildcard/],
    ['application/*+', /suffix pattern/],
    ['application/*+*', /suffix pattern/],
    ['appl ication/json', /media type/],
    ['application/', /media type/],
  ])('%s is refused', (entry, message) => {
    expect(mediaRangeProblem(entry)).toMatch(message);
  });
});
