/** JSON Schema describes a config as written: there a secret option may also be given as `<name>_file`. */
type JsonSchema = { [key: string]: unknown; properties?: Record<string, JsonSchema> };

/** Adds `<key>_file` beside every property named in `keys`, throughout the schema (in place). */
export function addSecretFileVariants(node: unknown, keys: readonly string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) addSecretFileVariants(item, keys);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as JsonSchema;
  if (obj.properties) {
    for (const key of keys) {
      if (obj.properties[key] && !obj.properties[`${key}_file`]) {
        obj.properties[`${key}_file`] = { type: 'string', description: `Path of a file holding ${key} (instead of ${key}).` };
      }
    }
  }
  for (const value of Object.values(obj)) addSecretFileVariants(value, keys);
}
