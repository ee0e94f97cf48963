/**
 * Telegram Bot API `sendMessage` with `parse_mode: "HTML"`. Every piece of user text is escaped
 * (`<`, `>`, `&`): an unescaped `<` in a center name makes Telegram reject the whole message (400).
 * The token sits in the URL path only; it never enters the payload, a result or a log line.
 */
import { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';
import { postJson } from './http.js';
import type { NotifierDefinition } from './notifier.js';
import { httpUrl, ifSet } from './options.js';
import { escapeMarkup, messageParts } from './text.js';

const options = z
  .object({
    /** Bot token from BotFather (a secret: `token_file` or `${ENV}`). */
    token: z.string().min(10),
    /** Chat, group or channel id (`-100…`) or `@channelname`. */
    chat_id: z.union([z.string().min(1), z.number().int()]),
    /** API base URL. Default `https://api.telegram.org` (a Local Bot API server). */
    base_url: httpUrl.optional(),
  })
  .strict();

export interface TelegramOptions {
  /** Bot token from BotFather (a secret: read it from a file or the environment). */
  token: string;
  /** Chat, group or channel id (`-100…`) or `@channelname`. */
  chatId: string | number;
  /** API base URL. Default `https://api.telegram.org` (tests point it at loopback; a Local Bot API server too). */
  baseUrl?: string;
}

export interface TelegramPayload {
  chat_id: string | number;
  text: string;
  parse_mode: 'HTML';
}

/** The message as Telegram HTML: bold headline, runbook hint, link. */
export function telegramText(e: AlertEvent, lang: Lang): string {
  const p = messageParts(e, lang);
  const lines = [`<b>${escapeMarkup(p.headline)}</b>`];
  if (p.runbook) lines.push(escapeMarkup(p.runbook));
  // Quotes matter inside an attribute value.
  lines.push(`<a href="${escapeMarkup(p.url).replace(/"/g, '&quot;')}">${escapeMarkup(p.linkLabel)}</a>`);
  return lines.join('\n');
}

export const telegram: NotifierDefinition<typeof options, TelegramOptions, TelegramPayload> = {
  channel: 'telegram',
  options,
  secretKeys: ['token'],
  toOptions: (o) => ({ token: o.token, chatId: o.chat_id, ...ifSet('baseUrl', o.base_url) }),
  format: (e, o, lang) => ({ chat_id: o.chatId, text: telegramText(e, lang), parse_mode: 'HTML' }),
  send: (payload, o, signal) => {
    const base = (o.baseUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
    return postJson(`${base}/bot${o.token}/sendMessage`, payload, {}, signal);
  },
};
