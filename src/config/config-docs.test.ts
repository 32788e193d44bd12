import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../plugins/builtin.js';
import { renderConfigDocs } from './config-docs.js';

describe('docs/configuration.md', () => {
  it('is current with the schema (run `npm run docs` after changing it)', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigDocs(defaultRegistry()));
  });

  it('describes every key', () => {
    const rows = renderConfigDocs(defaultRegistry()).split('\n').filter((l) => l.startsWith('| `'));
    const undocumented = rows.filter((l) => l.trimEnd().endsWith('|  |'));
    expect(undocumented).toEqual([]);
  });
});
