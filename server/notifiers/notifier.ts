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
