/**
 * Renders the config reference (docs/configuration.md) from the schema's own descriptions, so
 * the docs cannot drift from what the validator accepts. `npm run docs` writes it; a test checks
 * the committed file is current.
 */
import type { TSchema } from '@sinclair/typebox';
import type { PluginRegistry } from '../plugins/registry.js';
import { buildConfigSchema } from './schema.js';

interface Row {
  path: string;
  type: string;
  description: string;
}

function typeOf(schema: TSchema): string {
  if (schema['anyOf']) return (schema['anyOf'] as TSchema[]).map(typeOf).join(' \\| ');
  if (schema['const'] !== undefined) return JSON.stringify(schema['const']);
  if (schema['type'] === 'array') return `${typeOf(schema['items'] as TSchema)}[]`;
  if (schema['type'] === 'object' && schema['patternProperties']) return 'map';
  if (schema['pattern'] === undefined) return String(schema['type'] ?? 'any');
  return schema['x-message'] ? `${schema['type']} (${String(schema['x-message']).replace(/^must be /, '')})` : String(schema['type']);
}

function walk(schema: TSchema, path: string, rows: Row[], required: boolean, describe = true): void {
  if (describe && path !== '') {
    const description = typeof schema['description'] === 'string' ? schema['description'] : '';
    rows.push({ path, type: typeOf(schema), description: `${required ? '**required.** ' : ''}${description}` });
  }
  const items = schema['items'] as TSchema | undefined;
  if (schema['type'] === 'object' && schema['properties']) {
    const req = new Set((schema['required'] as string[] | undefined) ?? []);
    for (const [key, child] of Object.entries(schema['properties'] as Record<string, TSchema>)) walk(child, path === '' ? key : `${path}.${key}`, rows, req.has(key));
  } else if (schema['type'] === 'object' && schema['patternProperties']) {
    for (const child of Object.values(schema['patternProperties'] as Record<string, TSchema>)) walk(child, `${path}.<name>`, rows, false, false);
  } else if (schema['type'] === 'array' && items) {
    walk(items, `${path}[]`, rows, false, false);
  } else if (schema['anyOf']) {
    for (const branch of schema['anyOf'] as TSchema[]) if (branch['type'] === 'object') walk(branch, path, rows, false, false);
  }
}

export function renderConfigDocs(registry: PluginRegistry): string {
  const rows: Row[] = [];
  walk(buildConfigSchema(registry.routeSchemas(), registry.globalSchemas()), '', rows, false);
  const lines = [
    '# Configuration reference',
    '',
    'Generated from the schema by `npm run docs`; do not edit by hand. YAML or JSON; `${VAR}` and',
    '`${VAR:-default}` read the environment. Unknown keys are errors.',
    '',
    '| key | type | meaning |',
    '|---|---|---|',
    ...rows.map((r) => `| \`${r.path}\` | ${r.type} | ${r.description.replace(/\|/g, '\\|')} |`),
    '',
  ];
  return lines.join('\n');
}
