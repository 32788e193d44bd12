/**
 * Reading and compiling a route's JSON Schema file, once per config (at validate, to report a
 * bad file as a config error, and at compile, to build the validator routes share).
 *
 * Ajv options, chosen for a gateway:
 * - `allErrors: false`: validation stops at the first failing keyword. It is faster, bounds the
 *   work an invalid body can cause (allErrors on a large array of bad items reports every one),
 *   and the client gets one clear `path: problem` message.
 * - strict schema: unknown keywords and unknown formats are config errors (a typo such as
 *   `requird` would otherwise silently accept everything); types need not be spelled out.
 * - no coercion, no defaults, no removal: the upstream receives the client's exact bytes, so the
 *   validator must not pretend to change them.
 * - the draft follows `$schema`: draft-07 (also when absent), 2019-09 or 2020-12.
 * - `$ref` resolves inside the file only; there is no remote loading.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FORMATS } from './formats.js';

/** Largest schema file read (a schema, not a data set). */
export const MAX_SCHEMA_FILE = 1024 * 1024;

const AJV_OPTIONS: Options = {
  allErrors: false,
  strictSchema: true,
  strictNumbers: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  validateFormats: true,
  formats: FORMATS,
  // Compile problems are thrown and reported as config errors; no console output.
  logger: false,
};

const DRAFTS: Record<string, () => Ajv> = {
  'http://json-schema.org/draft-07/schema': () => new Ajv(AJV_OPTIONS),
  'https://json-schema.org/draft/2019-09/schema': () => new Ajv2019(AJV_OPTIONS),
  'https://json-schema.org/draft/2020-12/schema': () => new Ajv2020(AJV_OPTIONS),
};

export class SchemaFileError extends Error {
  override readonly name = 'SchemaFileError';
}

/** `jsonSchema` as written → absolute file path (relative paths against the config's directory). */
export function resolveSchemaPath(configDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(configDir, path);
}

function ajvFor(schema: unknown): Ajv {
  if (typeof schema === 'boolean') return DRAFTS['http://json-schema.org/draft-07/schema']!();
  const declared = (schema as Record<string, unknown>)['$schema'];
  if (declared === undefined) return DRAFTS['http://json-schema.org/draft-07/schema']!();
  const key = typeof declared === 'string' ? declared.replace(/#$/, '') : '';
  const make = DRAFTS[key];
  if (!make) throw new SchemaFileError(`unsupported $schema ${JSON.stringify(declared)} (use draft-07, 2019-09 or 2020-12)`);
  return make();
}

/** Compiles a parsed schema; throws SchemaFileError with Ajv's reason. */
export function compileSchema(schema: unknown): ValidateFunction {
  if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
    throw new SchemaFileError('must hold a JSON Schema (an object)');
  }
  const ajv = ajvFor(schema);
  try {
    return ajv.compile(schema as object);
  } catch (err) {
    throw new SchemaFileError(`is not a valid JSON Schema: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Reads and compiles the schema file at an absolute path; throws SchemaFileError. */
export function loadSchemaFile(file: string): ValidateFunction {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_SCHEMA_FILE) throw new SchemaFileError(`${file}: is larger than ${MAX_SCHEMA_FILE / 1024} KB`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof SchemaFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SchemaFileError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be read (${code ?? 'error'})`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new SchemaFileError(`${file}: is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    return compileSchema(schema);
  } catch (err) {
    throw new SchemaFileError(`${file}: ${(err as Error).message}`);
  }
}
