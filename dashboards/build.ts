/** `npm run dashboards`: writes dashboards/json/<name>.json from the builders. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS, render } from './index.js';

const out = join(dirname(fileURLToPath(import.meta.url)), 'json');
mkdirSync(out, { recursive: true });
// A renamed or removed dashboard must not linger: Grafana's file provider would keep serving it.
for (const f of readdirSync(out)) if (f.endsWith('.json') && !(f.slice(0, -5) in DASHBOARDS)) rmSync(join(out, f));
for (const [name, build] of Object.entries(DASHBOARDS)) {
  writeFileSync(join(out, `${name}.json`), render(build()));
  console.log(`dashboards/json/${name}.json`);
}
