/** The statuses that carry a `Location` to follow (300 and 304 are answers in their own right). */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

export type RedirectStep = { kind: 'final' } | { kind: 'follow'; url: URL; method: string; keepBody: boolean } | { kind: 'error'; message: string };

/**
 * What to do after a response: stop, follow to the next URL, or fail as a protocol error.
 * Method rewriting follows the Fetch standard: 303 turns anything but HEAD into GET, 301/302
 * turn POST into GET, 307/308 keep method and body. Messages never quote the Location, which
 * may carry a query with tokens.
 */
export function redirectStep(status: number, location: string | undefined, current: URL, method: string): RedirectStep {
  if (!FOLLOWED.has(status) || location === undefined || location === '') return { kind: 'final' };
  let url: URL;
  try {
    url = new URL(location, current);
  } catch {
    return { kind: 'error', message: `HTTP ${status} Location is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { kind: 'error', message: `HTTP ${status} redirects to unsupported scheme ${url.protocol.replace(':', '')}` };
  if (url.username || url.password) return { kind: 'error', message: `HTTP ${status} redirects to a URL with credentials` };
  url.hash = '';
  const toGet = (status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST');
  return { kind: 'follow', url, method: toGet ? 'GET' : method, keepBody: !toGet };
}
