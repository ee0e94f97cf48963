import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PreProblem } from './yaml-config.js';

/** The comment that marks a value a template's user must replace (`target: 192.0.2.1   # REPLACE: the gateway`). */
const MARKER = /^\s*REPLACE\b/;

/**
 * Values still marked `# REPLACE`: a template copied and not edited must not pass `--check-config`,
 * since its placeholders (documentation addresses, another province's hosts) are valid values.
 * Editing the value and deleting the marker is what a user does anyway.
 */
export function placeholderProblems(doc: Document): PreProblem[] {
  const out: PreProblem[] = [];
  const walk = (node: unknown, path: PropertyKey[]): void => {
    const comment = (node as Node | null)?.comment;
    if (comment && MARKER.test(comment)) {
      out.push({
        path,
        atKey: false,
        message: 'still the template\'s placeholder (marked "# REPLACE"): put this center\'s own value, then delete the "# REPLACE" comment',
      });
    }
    if (isMap(node)) for (const pair of node.items) walk(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : String(pair.key)]);
    else if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
  };
  walk(doc.contents, []);
  return out;
}
