import { z } from 'zod';
import { agentConfigSchema } from './schema.js';
import { SECRET_KEYS } from './secrets.js';

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema> };

/**
 * The agent config as JSON Schema (draft 2020-12), for editors' completion and validation.
 * It describes the file as written: durations as strings, and every secret option also
 * accepted as `<name>_file` (the loader reads the file before validating).
 */
export function agentJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(agentConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  addSecretFileVariants(schema);
  return { ...schema, title: 'centerwatch agent configuration' };
}

function addSecretFileVariants(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(addSecretFileVariants);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as JsonSchema;
  if (obj.properties) {
    for (const key of SECRET_KEYS) {
      if (obj.properties[key] && !obj.properties[`${key}_file`]) {
        obj.properties[`${key}_file`] = { type: 'string', description: `Path of a file holding ${key} (instead of ${key}).` };
      }
    }
  }
  for (const value of Object.values(obj)) addSecretFileVariants(value);
}
