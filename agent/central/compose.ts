/**
 * The file an enrolled agent runs: the config the province server rendered from its profile, plus what
 * only the agent knows, the push target back to the server with its token file, and the `central:`
 * section. The server composes the same way (with a stand-in address) to validate what the agent will run.
 */
import { isMap, parseDocument, type Document } from 'yaml';
import type { CentralConfig } from './schema.js';

/** The push target's name in an enrolled agent's config. */
export const CENTRAL_TARGET = 'province';

/** Adds the push target and the central section to a rendered config document, in place. */
export function addCentralSections(doc: Document, central: CentralConfig): void {
  if (!isMap(doc.contents)) return;
  const target: Record<string, unknown> = {
    name: CENTRAL_TARGET,
    url: `${central.server.replace(/\/$/, '')}/api/v1/write`,
    bearer_token_file: central.token_file,
  };
  if (central.ca_file) target.ca_file = central.ca_file;
  doc.setIn(['push', 'targets'], doc.createNode([target]));
  doc.set('central', doc.createNode(central));
}

/** The whole file as text, with a header saying where it comes from. */
export function composeEnrolledConfig(rendered: string, central: CentralConfig): string {
  const doc = parseDocument(rendered);
  addCentralSections(doc, central);
  const header = [
    `Written by centerwatch-agent from the province server's profile ${central.profile ?? '?'}, revision ${central.revision ?? '?'}.`,
    'It is replaced when the profile changes; remove the central: section to manage this file by hand.',
  ];
  doc.commentBefore = header.map((l) => ` ${l}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}
