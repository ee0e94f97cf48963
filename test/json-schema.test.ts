import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { agentJsonSchema } from '../agent/config/json-schema.js';

describe('config/agent.schema.json', () => {
  it('is what npm run schema generates from the zod schema (run it after changing options)', () => {
    const committed = JSON.parse(readFileSync('config/agent.schema.json', 'utf8'));
    expect(committed).toEqual(agentJsonSchema());
  });

  it('offers <secret>_file beside each secret option, and durations as strings', () => {
    const text = JSON.stringify(agentJsonSchema());
    expect(text).toContain('"bearer_token_file"');
    expect(text).toContain('"password_file"');
    expect(text).toContain('"client_secret_file"');
    const schema = agentJsonSchema() as { properties: { defaults: { properties: { interval: { type: string; default: string } } } } };
    expect(schema.properties.defaults.properties.interval).toMatchObject({ type: 'string', default: '30s' });
  });
});
