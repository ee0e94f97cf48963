import { z } from 'zod';
import { addSecretFileVariants } from '../../common/secret-file-variants.js';
import { SERVER_SECRET_KEYS } from './load.js';
import { serverConfigSchema } from './schema.js';

/**
 * The server config as JSON Schema, as the file is written: every secret option (SERVER_SECRET_KEYS,
 * which includes each channel's) also accepted as `<name>_file`, read by the loader before validation.
 */
export function serverJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(serverConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  addSecretFileVariants(schema, SERVER_SECRET_KEYS);
  return schema;
}
