/** Writes docs/configuration.md from the schema (`npm run docs`). */
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/config/config-docs.js';
import { defaultRegistry } from '../src/plugins/builtin.js';

writeFileSync(new URL('../../docs/configuration.md', import.meta.url), renderConfigDocs(defaultRegistry()));
