/** The whole of docs/configuration.md: which sources feed it, and the words around the tables. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentJsonSchema } from '../agent/config/json-schema.js';
import { agentConfigSchema } from '../agent/config/schema.js';
import { serverJsonSchema } from '../server/config/json-schema.js';
import { serverConfigSchema } from '../server/config/schema.js';
import { literalsOf, referenceOf, type Literal } from './config-reference.js';

const root = new URL('..', import.meta.url).pathname;

/**
 * Folders whose sources define each config's fields (and so hold their doc comments). Kept apart:
 * the agent's push target and the server's forward target share field names, not meanings.
 */
const AGENT_SOURCES = ['agent/config', 'agent/push', 'agent/probes', 'common'];
const SERVER_SOURCES = ['server/config', 'server/notifiers', 'common'];

function literalsIn(dirs: string[]): Literal[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .sort()
      .flatMap((f) => literalsOf(f, readFileSync(join(root, dir, f), 'utf8'))),
  );
}

const HEADER = `# Configuration reference

Generated from the schemas by \`npm run docs:config\` (docs/write-config-reference.ts); do not edit by hand.
A test fails when this file and the schemas disagree.

Both files are YAML, validated in full at start: an unknown key, a wrong type or a broken rule is an
error naming the file, line and field. \`centerwatch-agent --check-config\` and
\`centerwatch-server --check-config\` print every problem at once.

- **duration**: \`500ms\`, \`30s\`, \`5m\`, \`1h30m\` (engine settings also take \`0s\`).
- **size**: a number of bytes or \`64MiB\`, \`1.5GB\` (B, KB, MB, GB, KiB, MiB, GiB).
- **required**: the field has no default and must be given (when its object is given).
- A path ending in \`[]\` is an item of a list; \`(kind: icmp)\` marks the fields of one variant.
- Secrets are given as \`<name>_file: path\` (read at load, relative to the config file) or \`\${ENV_VAR}\`.
`;

export function configurationReference(): string {
  const agent = referenceOf(
    'Agent (`config/default.yaml`, `/etc/centerwatch/agent.yaml`)',
    'Editors complete and check it with `config/agent.schema.json` (`npm run schema`).',
    agentJsonSchema(),
    agentConfigSchema,
    literalsIn(AGENT_SOURCES),
  );
  const server = referenceOf(
    'Province server (`config/server.yaml`, `/etc/centerwatch/server.yaml`)',
    'Relative paths (`data_dir`, `*_file`) are relative to the config file.',
    serverJsonSchema(),
    serverConfigSchema,
    literalsIn(SERVER_SOURCES),
  );
  return `${HEADER}\n${agent}\n${server}`;
}
