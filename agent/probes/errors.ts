import type { Reason } from './types.js';

const BY_CODE: Record<string, Reason> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'protocol',
  EPIPE: 'protocol',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  ABORT_ERR: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  ENODATA: 'dns',
  ESERVFAIL: 'dns',
  ENOTIMP: 'dns',
  EREFUSED: 'dns',
  EBADRESP: 'dns',
  ECONNREFUSED_DNS: 'dns',
  EACCES: 'not_permitted',
  EPERM: 'not_permitted',
};

/**
 * Maps a Node error to a reason by its `code` (never by its message text).
 * TLS verification failures carry OpenSSL codes such as `CERT_HAS_EXPIRED` or `ERR_TLS_CERT_ALTNAME_INVALID`.
 */
export function reasonFromError(err: unknown, signal?: AbortSignal): Reason {
  if (signal?.aborted) return 'timeout';
  const e = err as { code?: unknown; name?: unknown } | null;
  if (e && e.name === 'AbortError') return 'timeout';
  const code = typeof e?.code === 'string' ? e.code : '';
  const mapped = BY_CODE[code];
  if (mapped) return mapped;
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code.startsWith('UNABLE_TO') || code.includes('SELF_SIGNED')) {
    return 'tls';
  }
  return 'protocol';
}

/** A short, secret-free description of an error for `--once` and logs: the code, never a payload. */
export function describeError(err: unknown, signal?: AbortSignal): string {
  if (signal?.aborted) return 'deadline exceeded';
  const e = err as { code?: unknown; syscall?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'error';
  return typeof e?.syscall === 'string' ? `${e.syscall} ${code}` : code;
}
