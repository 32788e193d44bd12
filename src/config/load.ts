/**
 * Load: read YAML or JSON keeping line positions, and expand `${VAR}` / `${VAR:-default}` from
 * the environment in string values (`$${` writes a literal `${`). Nothing is checked here but
 * syntax and variables; problems are collected, not thrown.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { Problem } from '../plugins/define-plugin.js';

export type ConfigPath = (string | number)[];

export interface LoadedConfig {
  /** The document as plain data, variables expanded; undefined when it could not be parsed. */
  data: unknown;
  /** Syntax and variable problems. */
  problems: Problem[];
  /** `file:line` of the node at `path` (or of its nearest existing parent). */
  locate(path: ConfigPath): string | undefined;
  fileName: string;
}

const VARIABLE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const text = await readFile(file, 'utf8');
  return loadConfigText(text, basename(file), env);
}

/**
 * `${…}` is not valid in a YAML flow collection (`{` and `}` are flow indicators), yet CONTRACT
 * writes `admin: { listen: …, token: ${ADMIN_TOKEN:-} }`. So each one-line `${…}` / `$${…}` is
 * swapped for a placeholder of plain-scalar characters before parsing (lines are unchanged) and
 * swapped back in the parsed strings; it is still expanded only after parsing, so a variable's
 * value can never change the document's structure.
 */
const VARIABLE_TEXT = /\$?\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\n]*)?\}/g;
const PLACEHOLDER = /\uE000(\d+)\uE001/g;

function protectVariables(text: string): { text: string; restore: (s: string) => string } {
  const found: string[] = [];
  const index = new Map<string, number>(); // the same text gets the same placeholder: duplicate keys stay duplicates
  const out = text.replace(VARIABLE_TEXT, (whole) => {
    let i = index.get(whole);
    if (i === undefined) index.set(whole, (i = found.push(whole) - 1));
    return `\uE000${i}\uE001`;
  });
  if (found.length === 0) return { text, restore: (s) => s };
  return { text: out, restore: (s) => (s.includes('\uE000') ? s.replace(PLACEHOLDER, (whole, i: string) => found[Number(i)] ?? whole) : s) };
}

export function loadConfigText(rawText: string, fileName: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { text, restore } = protectVariables(rawText);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const locateOffset = (offset: number) => `${fileName}:${lineCounter.linePos(offset).line}`;
  const locate = (path: ConfigPath) => {
    const offset = findOffset(doc, path, restore);
    return offset === undefined ? undefined : locateOffset(offset);
  };
  const problems: Problem[] = [];
  for (const err of doc.errors) {
    problems.push({ path: [], message: `${err.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${err.message.split('\n')[0]} (${locateOffset(err.pos[0])})` });
  }
  if (problems.length > 0) return { data: undefined, problems, locate, fileName };
  const data = expand(doc.toJS({ maxAliasCount: 100 }), [], env, problems, restore);
  return { data, problems, locate, fileName };
}

function expand(value: unknown, path: ConfigPath, env: NodeJS.ProcessEnv, problems: Problem[], restore: (s: string) => string): unknown {
  if (typeof value === 'string') {
    const text = restore(value);
    if (!text.includes('${')) return text;
    return text.replace(VARIABLE, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
      if (escaped) return whole.slice(1);
      const v = env[name];
      if (v !== undefined && (v !== '' || fallback === undefined)) return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path, message: `environment variable ${name} is not set (write \${${name}:-default} for a default)` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expand(item, [...path, i], env, problems, restore));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [rawKey, v] of Object.entries(value)) {
      const k = restore(rawKey);
      out[k] = expand(v, [...path, k], env, problems, restore);
    }
    return out;
  }
  return value;
}

/** Offset of the node at `path`; for a missing key, of its parent; for a key, of the key itself. */
function findOffset(doc: Document, path: ConfigPath, restore: (s: string) => string): number | undefined {
  let node: unknown = doc.contents;
  let best = rangeStart(node);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && restore(String(p.key.value)) === String(segment));
      if (!pair) break;
      best = rangeStart(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    best = rangeStart(node) ?? best;
  }
  return best;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}
