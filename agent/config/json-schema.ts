import { z } from 'zod';
import { addSecretFileVariants } from '../../common/secret-file-variants.js';
import { agentConfigSchema } from './schema.js';
import { SECRET_KEYS } from '../../common/secrets.js';

type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema> };

/**
 * The agent config as JSON Schema (draft 2020-12), for editors' completion and validation.
 * It describes the file as written: durations as strings, and every secret option also
 * accepted as `<name>_file` (the loader reads the file before validating).
 */
export function agentJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(agentConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  addSecretFileVariants(schema, SECRET_KEYS);
  return { ...schema, title: 'centerwatch agent configuration' };
}
