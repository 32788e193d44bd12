/** The client-facing message for each kind of bad body, through a real compiled schema. */
import { describe, expect, it } from 'vitest';
import { checkJsonBody, MAX_JSON_DEPTH } from './check-json.js';
import { compileSchema } from './json-schema.js';
import { formatBodyPath } from './error-format.js';

const order = compileSchema({
  type: 'object',
  required: ['customer', 'items'],
  additionalProperties: false,
  properties: {
    customer: { type: 'string', minLength: 1, maxLength: 64 },
    email: { type: 'string', format: 'email' },
    status: { enum: ['new', 'paid'] },
    kind: { const: 'order' },
    items: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['sku', 'qty'],
        additionalProperties: false,
        properties: { sku: { type: 'string', pattern: '^[A-Z]{3}-\\d+$' }, qty: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { type: 'string' } } },
      },
    },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    shipping: { if: { properties: { method: { const: 'post' } } }, then: { required: ['address'] } },
  },
});

const check = (body: string | Buffer) => checkJsonBody(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), order);
const ok = { customer: 'c1', items: [{ sku: 'ABC-1', qty: 2 }] };
const withItem = (item: unknown) => JSON.stringify({ customer: 'c1', items: [{ sku: 'ABC-1', qty: 1 }, item] });

describe('checkJsonBody', () => {
  it('accepts a matching body', () => {
    expect(check(JSON.stringify(ok))).toBeNull();
    expect(check(JSON.stringify({ ...ok, note: null, email: 'a.b@example.com', status: 'paid', kind: 'order' }))).toBeNull();
  });

  it.each([
    ['empty', '', 'body: a JSON body is required'],
    ['not JSON', '{"customer": x}', 'body: is not valid JSON'],
    ['truncated', '{"customer": "c1"', 'body: is not valid JSON'],
    ['trailing garbage', '{} x', 'body: is not valid JSON'],
    ['a BOM', '\ufeff{}', 'body: is not valid JSON'],
    ['root type', '[1]', 'body: must be object'],
    ['missing property', '{"items":[]}', 'body/customer: is required'],
    ['unknown property', JSON.stringify({ ...ok, admin: true }), 'body/admin: is not an allowed property'],
    ['nested type error', withItem({ sku: 'ABC-2', qty: 1.5 }), 'body/items/1/qty: must be integer'],
    ['nested missing', withItem({ sku: 'ABC-2' }), 'body/items/1/qty: is required'],
    ['nested unknown', withItem({ sku: 'ABC-2', qty: 1, price: 0 }), 'body/items/1/price: is not an allowed property'],
    ['nested array item', withItem({ sku: 'ABC-2', qty: 1, tags: ['a', 7] }), 'body/items/1/tags/1: must be string'],
    ['minimum', withItem({ sku: 'ABC-2', qty: 0 }), 'body/items/1/qty: must be >= 1'],
    ['pattern', withItem({ sku: 'abc', qty: 1 }), 'body/items/1/sku: must match pattern "^[A-Z]{3}-\\d+$"'],
    ['minItems', '{"customer":"c","items":[]}', 'body/items: must NOT have fewer than 1 items'],
    ['enum', JSON.stringify({ ...ok, status: 'x' }), 'body/status: must be one of "new", "paid"'],
    ['const', JSON.stringify({ ...ok, kind: 'x' }), 'body/kind: must be "order"'],
    ['format', JSON.stringify({ ...ok, email: 'not-an-email' }), 'body/email: must match format "email"'],
    ['anyOf', JSON.stringify({ ...ok, note: 5 }), 'body/note: must match one of the allowed shapes'],
    ['if/then', JSON.stringify({ ...ok, shipping: { method: 'post' } }), 'body/shipping/address: is required'],
    ['duplicate key', '{"customer":"a","customer":"b","items":[{"sku":"ABC-1","qty":1}]}', 'body/customer: appears twice in the same object'],
    ['nested duplicate key', '{"customer":"a","items":[{"sku":"ABC-1","qty":1,"qty":"x"}]}', 'body/items/0/qty: appears twice in the same object'],
  ])('%s → %s', (_label, body, message) => {
    expect(check(body)).toBe(message);
  });

  it('refuses invalid UTF-8 instead of replacing bytes', () => {
    expect(check(Buffer.from([0x7b, 0x22, 0x63, 0xff, 0x22, 0x3a, 0x31, 0x7d]))).toBe('body: is not valid UTF-8');
  });

  it('refuses nesting past the limit before parsing; accepts it at the limit', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const any = compileSchema({});
    expect(checkJsonBody(Buffer.from(nested(MAX_JSON_DEPTH)), any)).toBeNull();
    expect(checkJsonBody(Buffer.from(nested(MAX_JSON_DEPTH + 1)), any)).toBe(`body: is nested more than ${MAX_JSON_DEPTH} levels deep`);
    expect(checkJsonBody(Buffer.from(nested(100_000)), any)).toMatch(/nested more than/);
  });

  it('survives a recursive schema at the depth limit', () => {
    const tree = compileSchema({ $ref: '#/definitions/node', definitions: { node: { type: 'array', items: { $ref: '#/definitions/node' } } } });
    const body = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(checkJsonBody(Buffer.from(body), tree)).toBeNull();
    expect(checkJsonBody(Buffer.from('[[1]]'), tree)).toBe('body/0/0: must be array');
  });

  it('never echoes a huge value, and bounds client-chosen property names', () => {
    const big = 'x'.repeat(100_000);
    const typeError = check(JSON.stringify({ customer: [big], items: [] }))!;
    expect(typeError).toBe('body/customer: must be string');
    const enumError = check(JSON.stringify({ ...ok, status: big }))!;
    expect(enumError).toBe('body/status: must be one of "new", "paid"');
    const longKey = check(JSON.stringify({ ...ok, [big]: 1 }))!;
    expect(longKey.length).toBeLessThan(300);
    expect(longKey).toMatch(/^body\/x{39}…: is not an allowed property$/);
    const controlKey = check(JSON.stringify({ ...ok, 'a\r\nb\u0000': 1 }))!;
    expect(controlKey).toBe('body/a??b?: is not an allowed property');
  });
});

describe('formatBodyPath', () => {
  it.each([
    [[], 'body'],
    [['items', 0, 'qty'], 'body/items/0/qty'],
    [['a/b', '~'], 'body/a/b/~'],
  ])('%j → %s', (path, text) => {
    expect(formatBodyPath(path)).toBe(text);
  });

  it('keeps the end of a long path, bounded', () => {
    const path = Array.from({ length: 60 }, (_, i) => `level${i}`);
    const text = formatBodyPath(path);
    expect(text.length).toBeLessThanOrEqual(160);
    expect(text.startsWith('body/…')).toBe(true);
    expect(text.endsWith('/level59')).toBe(true);
  });
});
