/**
 * Watches a config file for changes. The directory is watched (editors and Kubernetes replace
 * files by rename), events are debounced, and a change fires only when the content differs.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';

export interface ConfigWatcher {
  close(): void;
}

async function digest(file: string): Promise<string | null> {
  try {
    return createHash('sha256').update(await readFile(file)).digest('hex');
  } catch {
    return null;
  }
}

/** Calls `onChange` (debounced by `debounceMs`, default 200) when the file's content changes. */
export async function watchConfigFile(file: string, onChange: () => void, debounceMs = 200): Promise<ConfigWatcher> {
  const path = resolve(file);
  const name = basename(path);
  let last = await digest(path);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const check = async () => {
    timer = null;
    const now = await digest(path);
    if (closed || now === null || now === last) return;
    last = now;
    onChange();
  };
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
    if (closed || (changed !== null && changed !== name && !String(changed).startsWith('..'))) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
    timer.unref();
  });
  watcher.on('error', () => undefined);
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
