import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSchema, loadSchemaFile, resolveSchemaPath, SchemaFileError } from './json-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-schema-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('loadSchemaFile', () => {
  it('compiles a valid file', () => {
    const validate = loadSchemaFile(file('ok.json', '{"type":"object","required":["a"]}'));
    expect(validate({ a: 1 })).toBe(true);
    expect(validate({})).toBe(false);
  });

  it.each([
    ['missing', () => join(dir, 'nope.json'), /nope\.json: no such file/],
    ['not JSON', () => file('bad.json', '{"type": '), /bad\.json: is not valid JSON/],
    ['not an object', () => file('array.json', '[1,2]'), /must hold a JSON Schema/],
    ['a typo keyword (strict)', () => file('typo.json', '{"type":"object","requird":["a"]}'), /not a valid JSON Schema: .*unknown keyword: "requird"/],
    ['a bad type name', () => file('type.json', '{"type":"integr"}'), /not a valid JSON Schema/],
    ['an unknown format', () => file('format.json', '{"type":"string","format":"credit-card"}'), /unknown format "credit-card"/],
    ['an unresolvable $ref', () => file('ref.json', '{"$ref":"#/definitions/nope"}'), /can't resolve reference/],
    ['a remote $ref', () => file('remote.json', '{"$ref":"https://example.com/s.json"}'), /can't resolve reference/],
    ['draft-04', () => file('d4.json', '{"$schema":"http://json-schema.org/draft-04/schema#"}'), /unsupported \$schema/],
  ])('refuses %s', (_label, path, message) => {
    expect(() => loadSchemaFile(path())).toThrow(SchemaFileError);
    expect(() => loadSchemaFile(path())).toThrow(message);
  });

  it('refuses a directory', () => {
    expect(() => loadSchemaFile(dir)).toThrow(/cannot be read \(EISDIR\)/);
  });
});

describe('compileSchema drafts', () => {
  it('draft-07 by default: items as a list is a tuple', () => {
    const v = compileSchema({ type: 'array', items: [{ type: 'string' }], additionalItems: false });
    expect(v(['a'])).toBe(true);
    expect(v(['a', 1])).toBe(false);
  });
  it('2020-12 when declared: prefixItems, unevaluatedProperties', () => {
    const v = compileSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { a: { type: 'integer' } }, unevaluatedProperties: false });
    expect(v({ a: 1 })).toBe(true);
    expect(v({ a: 1, b: 2 })).toBe(false);
    const t = compileSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: [{ type: 'string' }] });
    expect(t(['a'])).toBe(true);
    expect(t([1])).toBe(false);
  });
  it('2019-09 when declared', () => {
    const v = compileSchema({ $schema: 'https://json-schema.org/draft/2019-09/schema', dependentRequired: { a: ['b'] } });
    expect(v({ a: 1 })).toBe(false);
  });
  it('never coerces or fills defaults (the upstream gets the bytes as sent)', () => {
    const v = compileSchema({ type: 'object', properties: { n: { type: 'integer', default: 5 } } });
    const data: Record<string, unknown> = { n: '7' };
    expect(v(data)).toBe(false);
    const empty: Record<string, unknown> = {};
    expect(v(empty)).toBe(true);
    expect(empty).toEqual({});
  });
});

describe('formats', () => {
  const v = (format: string) => compileSchema({ type: 'string', format });
  it.each([
    ['date', '2024-02-29', true],
    ['date', '2023-02-29', false],
    ['date', '2024-13-01', false],
    ['date-time', '2024-05-01T10:20:30Z', true],
    ['date-time', '2024-05-01t10:20:30.123+02:00', true],
    ['date-time', '2024-05-01T10:20:30', false],
    ['date-time', '2024-05-01T24:00:00Z', false],
    ['time', '23:59:60Z', true],
    ['email', 'a.b+c@example.com', true],
    ['email', 'a@b', false],
    ['email', '.a@example.com', false],
    ['email', 'a@@example.com', false],
    ['hostname', 'api.example.com', true],
    ['hostname', '-bad.example.com', false],
    ['ipv4', '10.0.0.1', true],
    ['ipv4', '10.0.0.256', false],
    ['ipv6', '::1', true],
    ['uri', 'https://example.com/a?b#c', true],
    ['uri', 'not a uri', false],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['uuid', '123e4567-e89b-12d3-a456', false],
  ])('%s %j → %s', (format, value, expected) => {
    expect(v(format)(value)).toBe(expected);
  });

  it('does not backtrack on hostile input', () => {
    const hostile = `${'a.'.repeat(50_000)}!`;
    const start = performance.now();
    for (const f of ['email', 'hostname', 'uri', 'date-time']) v(f)(`${hostile}@${hostile}`);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('resolveSchemaPath', () => {
  it.each([
    ['/etc/portcullis', 'schemas/order.json', '/etc/portcullis/schemas/order.json'],
    ['/etc/portcullis', '../shared/order.json', '/etc/shared/order.json'],
    ['/etc/portcullis', '/abs/order.json', '/abs/order.json'],
  ])('%s + %s → %s', (base, path, expected) => {
    expect(resolveSchemaPath(base, path)).toBe(expected);
  });
});
