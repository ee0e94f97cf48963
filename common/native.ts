import { createRequire } from 'node:module';
import { getAsset, isSea } from 'node:sea';
import { dlopenFile, extractAddon } from './native-sea.js';

/**
 * Loads a package that holds a native add-on (snappy, koffi). Every native add-on the agent uses is
 * loaded through here, so that the packaged single-file agent (packaging/) can serve it from the
 * add-on embedded for its platform instead of from node_modules.
 */
export function loadNative<T>(pkg: 'snappy' | 'koffi'): T {
  if (isSea()) return loadEmbedded(pkg) as T;
  return createRequire(import.meta.url)(pkg) as T;
}

const embedded = new Map<string, unknown>();

/**
 * The packaged agent's add-on: its binding itself. snappy's binding exports what its package does
 * (compressSync, uncompressSync…); koffi's package only re-exports its binding's functions (plus
 * deprecated aliases), with the binding as `default`.
 */
function loadEmbedded(pkg: 'snappy' | 'koffi'): unknown {
  let mod = embedded.get(pkg);
  if (mod === undefined) {
    const binding = dlopenFile(extractAddon(pkg, new Uint8Array(getAsset(`${pkg}.node`)))) as Record<string, unknown>;
    mod = pkg === 'koffi' ? { ...binding, default: binding } : binding;
    embedded.set(pkg, mod);
  }
  return mod;
}
