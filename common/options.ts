/**
 * `defaults` overlaid with the options actually given. A key present with the value `undefined` keeps
 * its default: a plain `{ ...defaults, ...options }` would erase it, and a caller forwarding an unset
 * optional setting (`{ maxBackoffMs: opts.maxBackoffMs }`) would turn a 30 s backoff into NaN.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  return merged as D & O;
}
