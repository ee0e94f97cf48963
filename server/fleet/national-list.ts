/**
 * The shipped national list (common/data/vn-divisions-2025.csv): 34 provinces, 3,321 communes.
 * The server's bundle carries its text (server/build.mjs defines `__CENTERWATCH_NATIONAL_LIST__`), so the
 * bin finds it from any working directory without a data file beside it; run from source, it is read
 * from the repository.
 */
import { readFileSync } from 'node:fs';

declare const __CENTERWATCH_NATIONAL_LIST__: string | undefined;

/** The file name problems in the list are reported under. */
export const NATIONAL_LIST_FILE = 'vn-divisions-2025.csv';

let cached: string | undefined;

export function nationalListText(): string {
  cached ??=
    typeof __CENTERWATCH_NATIONAL_LIST__ === 'string'
      ? __CENTERWATCH_NATIONAL_LIST__
      : readFileSync(new URL('../../common/data/vn-divisions-2025.csv', import.meta.url), 'utf8');
  return cached;
}
