/**
 * A new notifier channel is one definition file plus its line in NOTIFIERS. On a copy of the tree
 * (node_modules linked), a throwaway `pager` channel is added that way; the compiler then names the two
 * places that are exhaustive on purpose (how the Alertmanager export renders a channel, and the options
 * of the transport test every channel goes through), and once those are written the tree compiles.
 * The config loader, the routes, the secret handling and the generated reference pick the channel up
 * with no other edit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTree, filesOf, newErrors, run, type TreeCopy } from './helpers/tree-copy.js';

const PAGER = `import { z } from 'zod';
import { postJson } from './http.js';
import type { NotifierDefinition } from './notifier.js';
import { plainText } from './text.js';

const options = z
  .object({
    /** The pager gateway. */
    url: z.url({ protocol: /^https?$/ }),
    /** Signs every request. */
    signing_key: z.string().min(8),
  })
  .strict();

interface PagerOptions {
  url: string;
  signingKey: string;
}

export const pager: NotifierDefinition<typeof options, PagerOptions, { text: string }> = {
  channel: 'pager',
  options,
  secretKeys: ['signing_key'],
  toOptions: (o) => ({ url: o.url, signingKey: o.signing_key }),
  format: (e, _o, lang) => ({ text: plainText(e, lang) }),
  send: (payload, o, signal) => postJson(o.url, payload, { 'x-signature': o.signingKey }, signal),
};
`;

/** Run inside the copy: what the server makes of a pager route. */
const PROBE = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './common/config-errors.js';
import { redactText } from './common/log.js';
import { loadServerConfig } from './server/config/load.js';
import { configurationReference } from './docs/configuration-md.js';
import { NOTIFIERS } from './server/notifiers/index.js';
import { deliveryRoutes } from './server/notifiers/routes.js';

const dir = process.argv[2]!;
writeFileSync(join(dir, 'pager.key'), 'Pager-Signing-Key-4711\\n');
const route = (options: string) => \`engine:\\n  routes:\\n    - { name: pg, channel: pager, lang: en, options: \${options} }\\n\`;
writeFileSync(join(dir, 'ok.yaml'), route('{ url: "http://127.0.0.1:9/page", signing_key_file: pager.key }'));
writeFileSync(join(dir, 'bad.yaml'), route('{ url: "http://127.0.0.1:9/page", signing_key: [Pager-Inline-Key-0815] }'));

const cfg = loadServerConfig(join(dir, 'ok.yaml'), {});
let error = '';
try {
  loadServerConfig(join(dir, 'bad.yaml'), {});
} catch (err) {
  if (err instanceof ConfigError) error = err.message;
}
const reference = configurationReference();
const section = reference.slice(reference.indexOf('(channel: pager).options'));
console.log(JSON.stringify({
  channels: Object.keys(NOTIFIERS),
  config: cfg.engine.routes,
  routes: deliveryRoutes(cfg.engine.routes, cfg.engine.public_url, dir),
  error,
  redacted: redactText('signed with Pager-Signing-Key-4711'),
  reference: section.slice(0, section.indexOf('\\n\\n###')),
}));
`;

let copy: TreeCopy;

beforeAll(() => {
  copy = copyTree('cw-new-notifier-');
});
afterAll(() => copy.remove());

describe('a new notifier channel', () => {
  it('is one file plus its line in NOTIFIERS; the compiler names only the Alertmanager export and the transport test', async () => {
    // Errors already in the tree (another change in progress) are not the new channel's.
    const before = await copy.typeErrors();

    copy.write('server/notifiers/pager.ts', PAGER);
    copy.edit('server/notifiers/index.ts', (t) => `import { pager } from './pager.js';\n${t.replace(/(export const NOTIFIERS = \{)/, '$1 pager,')}`);
    const named = newErrors(await copy.typeErrors(), before);
    expect(filesOf(named)).toEqual(['server/export/am-receivers.ts', 'server/notifiers/index.test.ts']);

    copy.edit('server/export/am-receivers.ts', (t) =>
      t.replace(/(\n\s*case 'alertmanager':)/, `\n    case 'pager':\n      return { receiver: { name }, comment: 'pager: not exported' };$1`),
    );
    copy.edit('server/notifiers/index.test.ts', (t) =>
      t.replace(/(\n\s*webhook: \{ url: `\$\{base\}\/hook` \},)/, '$1\n    pager: { url: `${base}/page`, signingKey: TOKEN },'),
    );
    expect(newErrors(await copy.typeErrors(), before)).toEqual([]);
  }, 600_000);

  it('is loaded, routed, kept secret and documented with no other edit', async () => {
    copy.write('probe-pager.ts', PROBE);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'probe-pager.ts', copy.dir], { cwd: copy.dir, maxBuffer: 1 << 24 });
    const seen = JSON.parse(stdout) as Record<string, unknown>;

    expect(seen.channels).toContain('pager');
    // The secret comes from its `_file`, like every built-in channel's.
    expect(seen.config).toEqual([
      {
        name: 'pg',
        channel: 'pager',
        lang: 'en',
        severities: ['critical', 'warning'],
        escalation_only: false,
        options: { url: 'http://127.0.0.1:9/page', signing_key: 'Pager-Signing-Key-4711' },
      },
    ]);
    expect(seen.routes).toEqual([
      { name: 'pg', channel: 'pager', lang: 'en', options: { url: 'http://127.0.0.1:9/page', signingKey: 'Pager-Signing-Key-4711' } },
    ]);
    // Never echoed in an error, redacted from logs once loaded.
    expect(seen.error).toContain('engine.routes[0].options.signing_key: expected string, got a value not shown (secret)');
    expect(seen.error).not.toContain('Pager-Inline-Key');
    expect(seen.redacted).toBe('signed with [REDACTED]');
    // The generated reference lists the channel, its options and the secret's `_file` variant.
    expect(seen.reference).toContain('| `url` | string (uri) | **required** | The pager gateway. |');
    expect(seen.reference).toContain('| `signing_key` | string | **required** | Signs every request. |');
    expect(seen.reference).toMatch(/\| `signing_key_file` \| string \| {2}\| Path of a file holding signing_key/);
  }, 120_000);
});
