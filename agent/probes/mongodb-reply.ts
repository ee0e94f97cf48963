/**
 * Pure pieces of the MongoDB check: which commands a check may run, and how a command's reply
 * becomes a query result for `expect`.
 */

/**
 * Commands a check may not run: a check that repeats every interval must not stop or lock the
 * server, end other clients' work or drop data (a typo in a config is enough to do it once).
 */
const FORBIDDEN = new Set(['shutdown', 'fsync', 'fsyncunlock', 'killallsessions', 'killallsessionsbypattern', 'killop', 'killsessions', 'dropdatabase']);

/** Why the configured command cannot be a check, or undefined when it can (pure, for the schema). */
export function commandProblem(command: Record<string, unknown>): string | undefined {
  const name = Object.keys(command)[0];
  if (name === undefined) return 'must name a command, e.g. { ping: 1 }';
  if (name.startsWith('$')) return `must start with the command's name, not ${name}`;
  if (FORBIDDEN.has(name.toLowerCase())) return `${name} cannot be a check's command`;
  return undefined;
}

/**
 * A reply value as something `resultProblem` can compare: numbers, strings and booleans as
 * they are; BSON numbers (Long, Decimal128, Double, Int32) and ObjectId by their own text;
 * dates as ISO text; anything else as JSON.
 */
export function scalar(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && '_bsontype' in value) return (value as { toString(): string }).toString();
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The reply as a query result: a command that returns a cursor (`find`, `aggregate`,
 * `listCollections`) has its first batch as rows and the first field of the first document
 * as first value; any other reply is one row whose first field is the first value
 * (`ok` for `ping`, `n` for `count`).
 */
export function replyResult(reply: Record<string, unknown>): { rowCount: number; firstValue: unknown } {
  const cursor = reply.cursor as { firstBatch?: unknown } | undefined;
  if (cursor && typeof cursor === 'object' && Array.isArray(cursor.firstBatch)) {
    const first = cursor.firstBatch[0] as Record<string, unknown> | undefined;
    return { rowCount: cursor.firstBatch.length, firstValue: first && typeof first === 'object' ? scalar(Object.values(first)[0]) : scalar(first) };
  }
  return { rowCount: 1, firstValue: scalar(Object.values(reply)[0]) };
}
