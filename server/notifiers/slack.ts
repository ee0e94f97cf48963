/**
 * Slack incoming webhook ({text, blocks}); Mattermost and Google Chat accept the same POST with
 * {text} alone. Slack mrkdwn treats `<`, `>`, `&` as markup (links, mentions like <!channel>),
 * so user text is escaped there; Mattermost and Google Chat get plain text.
 */
import type { AlertEvent, Lang } from './event.js';
import { postJson } from './http.js';
import type { Notifier } from './notifier.js';
import { escapeMarkup, messageParts, plainText } from './text.js';

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

export const slack: Notifier<SlackOptions, SlackPayload> = {
  format: (e, o, lang) => ((o.flavour ?? 'slack') === 'slack' ? slackPayload(e, lang) : { text: plainText(e, lang) }),
  send: (payload, o, signal) => postJson(o.url, payload, {}, signal),
};
