import type { z } from 'zod';
import type { AlertEvent, Lang } from './event.js';

/** Why a send failed: a closed set, so callers never branch on error text. */
export type SendFailure = 'http_status' | 'timeout' | 'network';

/**
 * Outcome of one delivery. `retryable` tells the outbox whether to try again later
 * (5xx, 429, timeouts, network errors) or give up and record the failure (other 4xx).
 * Never carries a URL, a token or a response body: results end up in logs.
 */
export type SendResult = { ok: true } | { ok: false; retryable: boolean; status?: number; reason: SendFailure };

/**
 * One channel. `format` is pure (tested against exact payloads); `send` does only I/O and
 * honours `signal` (the outbox gives it a deadline).
 */
export interface Notifier<O, P> {
  format(event: AlertEvent, options: O, lang: Lang): P;
  /** `key`: the message's idempotency key; HTTP channels that accept it send it as `Idempotency-Key`. */
  send(payload: P, options: O, signal: AbortSignal, key?: string): Promise<SendResult>;
}

/** What a channel's `toOptions` may use besides the route's own options. */
export interface RouteContext {
  /** The route's name (unique in the config). */
  name: string;
  /** The readiness page's base URL (`engine.public_url`), for links back. */
  publicUrl: string;
  /** Where a channel keeps state of its own (Zalo's rotating token pair). */
  dataDir: string;
  /** Field path of the route's options, for messages: `engine.routes[2].options`. */
  path: string;
}

/**
 * A channel, defined like a probe kind (agent/probes/<kind>.ts): its options as the config writes them,
 * which of them are secrets, how they become the notifier's own options, and the notifier. The map in
 * index.ts is the only list of channels: the config's route union, `Channel`, the server's secret keys
 * and the delivery routes derive from it.
 */
export interface NotifierDefinition<S extends z.ZodType = z.ZodType, O = unknown, P = unknown> extends Notifier<O, P> {
  channel: string;
  /** The route's `options` in the config's snake_case, `.strict()`, defaults in the schema. */
  options: S;
  /**
   * Option keys holding a secret: each may also be given as `<key>_file` (read at load) and is never
   * echoed in a config error; its value is redacted from logs.
   */
  secretKeys: readonly (keyof z.input<S> & string)[];
  /** Option keys holding a file path, made absolute from the config file's folder at load. Default none. */
  pathKeys?: readonly (keyof z.input<S> & string)[];
  /** Validated options (secrets already read) → the notifier's options. May read files; throws naming `ctx.path`. */
  toOptions(config: z.output<S>, ctx: RouteContext): O;
}
