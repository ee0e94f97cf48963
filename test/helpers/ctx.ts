import type { LineBinding, ProbeContext, ProbeLog, Session } from '../../agent/probes/types.js';

export interface TestCtx extends ProbeContext {
  /** Closes every session the probe opened (as the scheduler does on stop). */
  closeSessions(): Promise<void>;
  logs: string[];
}

/** A probe context as the scheduler builds it: a deadline signal, a session store, a recording log. */
export function makeCtx(opts: { timeoutMs?: number; intervalMs?: number; line?: LineBinding; sessions?: Map<string, Session> } = {}): TestCtx {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const sessions = opts.sessions ?? new Map<string, Session>();
  const logs: string[] = [];
  const rec = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    logs.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  };
  const log: ProbeLog = { debug: rec('debug'), info: rec('info'), warn: rec('warn') };
  return {
    signal: AbortSignal.timeout(timeoutMs),
    log,
    logs,
    timeoutMs,
    intervalMs: opts.intervalMs ?? timeoutMs,
    ...(opts.line ? { line: opts.line } : {}),
    session<T extends Session>(create: () => T): T {
      let s = sessions.get('session') as T | undefined;
      if (!s) {
        s = create();
        sessions.set('session', s);
      }
      return s;
    },
    async closeSessions() {
      for (const s of sessions.values()) await s.close();
      sessions.clear();
    },
  };
}

/** In CI a missing service fails the test; elsewhere the test may skip, saying why. */
export function requireService(available: boolean, why: string): boolean {
  if (available) return true;
  if (process.env.CI === 'true') throw new Error(`required in CI: ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}
