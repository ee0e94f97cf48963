/**
 * Channel → notifier. Exhaustive: a channel added to `ChannelOptions` without a notifier here is a
 * compile error, and there is no other dispatch path.
 */
import { alertmanager, type AlertmanagerOptions } from './alertmanager.js';
import { email, type EmailOptions } from './email.js';
import type { Notifier } from './notifier.js';
import { slack, type SlackOptions } from './slack.js';
import { telegram, type TelegramOptions } from './telegram.js';
import { webhook, type WebhookOptions } from './webhook.js';
import { zalo, type ZaloOptions } from './zalo.js';

/** Options of each channel. */
export interface ChannelOptions {
  webhook: WebhookOptions;
  telegram: TelegramOptions;
  slack: SlackOptions;
  alertmanager: AlertmanagerOptions;
  zalo: ZaloOptions;
  email: EmailOptions;
}

export type Channel = keyof ChannelOptions;

export const NOTIFIERS: { [C in Channel]: Notifier<ChannelOptions[C], any> } = { webhook, telegram, slack, alertmanager, zalo, email };

export type { AlertEvent, Lang } from './event.js';
export type { Notifier, SendResult } from './notifier.js';

/** Every channel, for metrics that should show a 0 from the start. */
export const CHANNELS = Object.keys(NOTIFIERS) as Channel[];
