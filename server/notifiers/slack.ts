/**
 * Slack incoming webhook ({text, blocks}); Mattermost and Google Chat accept the same POST with
 * {text} alone. Slack mrkdwn treats `<`, `>`, `&` as markup (links, mentions like <!channel>),
 * so user text is escaped there; Mattermost and Google Chat get plain text.
 */
import { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';
import { postJson } from './http.js';
import type { NotifierDefinition } from './notifier.js';
import { httpUrl, ifSet } from './options.js';
import { escapeMarkup, messageParts, plainText } from './text.js';

const options = z
  .object({
    /** The incoming-webhook URL (it is the credential: give it as `${ENV}`). */
    url: httpUrl,
    /** Which server speaks at the other end. Default `slack`. */
    flavour: z.enum(['slack', 'mattermost', 'googlechat']).optional(),
  })
  .strict();

export interface SlackOptions {
  /** The incoming-webhook URL (a secret: it is the credential). */
  url: string;
  /** Which server speaks at the other end. Default `"slack"`. */
  flavour?: 'slack' | 'mattermost' | 'googlechat';
}

export interface SlackPayload {
  text: string;
  blocks?: Array<{ type: 'section'; text: { type: 'mrkdwn'; text: string } }>;
}

/** Slack mrkdwn: bold headline, runbook, `<url|label>` link; `text` is the notification fallback. */
export function slackPayload(e: AlertEvent, lang: Lang): SlackPayload {
  const p = messageParts(e, lang);
  const lines = [`*${escapeMarkup(p.headline)}*`];
  if (p.runbook) lines.push(escapeMarkup(p.runbook));
  lines.push(`<${escapeMarkup(p.url)}|${escapeMarkup(p.linkLabel)}>`);
  return {
    text: escapeMarkup(p.headline),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
  };
}

export const slack: NotifierDefinition<typeof options, SlackOptions, SlackPayload> = {
  channel: 'slack',
  options,
  secretKeys: [],
  toOptions: (o) => ({ url: o.url, ...ifSet('flavour', o.flavour) }),
  format: (e, o, lang) => ((o.flavour ?? 'slack') === 'slack' ? slackPayload(e, lang) : { text: plainText(e, lang) }),
  send: (payload, o, signal) => postJson(o.url, payload, {}, signal),
};
