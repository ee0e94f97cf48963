import { writeFileSync } from 'node:fs';
import { agentJsonSchema } from './json-schema.js';

/** `npm run schema`: regenerates the committed JSON Schema that config files point editors at. */
const out = new URL('../../config/agent.schema.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(agentJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${out.pathname}\n`);
