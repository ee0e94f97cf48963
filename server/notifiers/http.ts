/**
 * The one transport every channel uses: POST JSON with a deadline, classify the answer.
 * Results never carry the URL (a Telegram URL holds the bot token) nor any error text.
 */
import type { SendResult } from './notifier.js';

export async function postJson(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
      redirect: 'manual', // never follow: a redirect could carry the token elsewhere; a 3xx is a non-retryable failure
    });
  } catch {
    return { ok: false, retryable: true, reason: signal.aborted ? 'timeout' : 'network' };
  }
  // Drain the body so the connection is reused; the status says enough. A body cut short after a 2xx
  // does not make a delivered message undelivered (a retry would send it twice).
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return { ok: true };
  return { ok: false, retryable: res.status === 429 || res.status >= 500, status: res.status, reason: 'http_status' };
}
