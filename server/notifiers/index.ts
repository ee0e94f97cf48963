/**
 * Channel → definition: the only list of channels. The config's route union, `Channel`, the server's
 * secret keys and the delivery routes derive from it, so a new channel is its file plus one line here.
 */
import type { z } from 'zod';
import { alertmanager } from './alertmanager.js';
import { email } from './email.js';
import type { NotifierDefinition } from './notifier.js';
import { slack } from './slack.js';
import { telegram } from './telegram.js';
import { webhook } from './webhook.js';
import { zalo } from './zalo.js';

export const NOTIFIERS = { webhook, telegram, slack, alertmanager, zalo, email } as const satisfies Record<string, NotifierDefinition<z.ZodObject>>;

export type Channel = keyof typeof NOTIFIERS;

/** Every channel, for metrics that should show a 0 from the start. */
export const CHANNELS = Object.keys(NOTIFIERS) as Channel[];

/** Each channel's route options as the config gives them (validated, secrets read). */
export type ChannelConfig = { [C in Channel]: z.output<(typeof NOTIFIERS)[C]['options']> };

/** Each channel's notifier options. */
export type ChannelOptions = { [C in Channel]: ReturnType<(typeof NOTIFIERS)[C]['toOptions']> };

/** The map typed per channel, so a caller generic in the channel keeps options and notifier together. */
export const DEFINITIONS: { [C in Channel]: NotifierDefinition<z.ZodType<ChannelConfig[C], z.input<(typeof NOTIFIERS)[C]['options']>>, ChannelOptions[C]> } =
  NOTIFIERS;

/** Option keys that hold a secret in some channel (for the server's config loader). */
export const NOTIFIER_SECRET_KEYS: readonly string[] = [...new Set(Object.values(NOTIFIERS).flatMap((d): readonly string[] => d.secretKeys))];

export type { AlertEvent, Lang } from './event.js';
export type { Notifier, NotifierDefinition, RouteContext, SendResult } from './notifier.js';
