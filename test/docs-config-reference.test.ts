import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { literalsOf, referenceOf } from '../docs/config-reference.js';
import { configurationReference } from '../docs/configuration-md.js';
import { duration } from '../common/zod-helpers.js';
import { byteSize } from '../common/byte-size.js';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` writes from the current schemas', () => {
    const committed = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    // On failure: run `npm run docs:config` and commit the result.
    expect(committed).toBe(configurationReference());
  });

  it('lists fields of both configs with defaults written as in YAML and their doc comments', () => {
    const text = configurationReference();
    expect(text).toContain('| `max_age` | duration | `72h` | Default 72h. |');
    expect(text).toContain('| `max_compressed_bytes` | size | `4MiB` | Compressed body. Default 4 MiB. |');
    expect(text).toContain('| `rules` | list of objects | `[{ kind: icmp, for: 0s, recover_for: 10s }]` |');
    expect(text).toMatch(/### `checks\[\] \(kind: icmp\)\.options`/);
    expect(text).toMatch(/\| `password_file` \| string \| {2}\| Path of a file holding password/);
  });
});

describe('referenceOf', () => {
  const source = `
    const limits = z.object({
      /** How long a sample is kept. */
      max_age: duration.default(3_600_000),
      /** Disk bound. */
      max_size: byteSize.default(1048576),
      mode: z.enum(['a', 'b']).default('a'),
    });
    const other = z.object({
      /** Not this one: the object has a field the schema lacks. */
      max_age: duration,
      extra: z.string(),
    });
    const root = z.object({ /** The limits. */ limits, name: z.string() });`;
  const limits = z.object({ max_age: duration.default(3_600_000), max_size: byteSize.default(1048576), mode: z.enum(['a', 'b']).default('a') }).strict();
  const schema = z.object({ limits: limits.prefault({}), name: z.string() }).strict();
  const md = referenceOf('T', 'intro', z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), schema, literalsOf('x.ts', source));

  it('renders one table per object, with types, defaults and the matching comments', () => {
    expect(md).toBe(
      [
        '## T',
        '',
        'intro',
        '',
        '### `(top level)`',
        '',
        '| field | type | default | description |',
        '| --- | --- | --- | --- |',
        '| `limits` | object | `{}` | The limits. |',
        '| `name` | string | **required** |  |',
        '',
        '### `limits`',
        '',
        '| field | type | default | description |',
        '| --- | --- | --- | --- |',
        '| `max_age` | duration | `1h` | How long a sample is kept. |',
        '| `max_size` | size | `1MiB` | Disk bound. |',
        '| `mode` | `a`, `b` | `a` |  |',
        '',
      ].join('\n'),
    );
  });
});
