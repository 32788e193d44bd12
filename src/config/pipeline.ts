/**
 * load → validate, with every problem formatted once as `path: message (file:line)`.
 * Compile and swap happen in the gateway; nothing is built while any error remains.
 */
import { dirname, resolve } from 'node:path';
import type { PluginRegistry } from '../plugins/registry.js';
import type { Problem } from '../plugins/define-plugin.js';
import { loadConfigFile, loadConfigText, type LoadedConfig } from './load.js';
import type { GatewayConfig } from './schema.js';
import { validateConfig } from './validate.js';

export interface CheckedConfig {
  config: GatewayConfig | undefined;
  errors: string[];
  warnings: string[];
}

/** `['routes', 2, 'upstream']` → `routes[2].upstream`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

function format(problem: Problem, loaded: LoadedConfig): string {
  if (problem.path.length === 0 && / \(.+:\d+\)$/.test(problem.message)) return problem.message;
  const where = loaded.locate(problem.path);
  return `${formatPath(problem.path)}: ${problem.message}${where ? ` (${where})` : ''}`;
}

/** `configDir`: where relative file paths in the config resolve (the config file's directory, or the cwd). */
export function checkLoaded(loaded: LoadedConfig, registry: PluginRegistry, configDir: string = process.cwd()): CheckedConfig {
  const fmt = (p: Problem) => format(p, loaded);
  if (loaded.data === undefined) return { config: undefined, errors: loaded.problems.map(fmt), warnings: [] };
  // Variable problems and validation problems are reported together.
  const result = validateConfig(loaded.data, registry, { configDir });
  const errors = [...loaded.problems.map(fmt), ...result.errors.map(fmt)];
  return { config: errors.length > 0 ? undefined : result.config, errors, warnings: result.warnings.map(fmt) };
}

export async function checkConfigFile(file: string, registry: PluginRegistry, env?: NodeJS.ProcessEnv): Promise<CheckedConfig> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigFile(file, env);
  } catch (err) {
    return { config: undefined, errors: [`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`], warnings: [] };
  }
  return checkLoaded(loaded, registry, dirname(resolve(file)));
}

export function checkConfigText(text: string, fileName: string, registry: PluginRegistry, env?: NodeJS.ProcessEnv, configDir?: string): CheckedConfig {
  return checkLoaded(loadConfigText(text, fileName, env), registry, configDir);
}
