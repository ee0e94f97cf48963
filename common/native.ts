import { createRequire } from 'node:module';

/**
 * Loads a package that holds a native add-on (snappy, koffi). Every native add-on the agent uses is
 * loaded through here, so that the packaged single-file agent (packaging/) can serve it from the
 * add-on embedded for its platform instead of from node_modules.
 */
export function loadNative<T>(pkg: 'snappy' | 'koffi'): T {
  return createRequire(import.meta.url)(pkg) as T;
}
