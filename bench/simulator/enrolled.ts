/**
 * Simulated enrolled agents: each enrols with a real one-time code, fetches its config on the interval
 * the server gives (If-None-Match with the revision it runs, the report headers an agent sends) and says
 * the new revision at once after taking a new config, as the agent does. A load and test tool, not an agent.
 */
import { Agent as HttpAgent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AGENT_CONFIG_PATH, AGENT_HEADERS, ENROLL_PATH, REPORT_HEADERS, type EnrolResponse } from '../../common/enrolment.js';
import type { SimAgent } from './fleet.js';

export interface EnrolledSim extends SimAgent {
  id: string;
  /** The revision it runs ('' before its first config). */
  revision: string;
  /** When it took each revision (ms since the epoch). */
  tookAt: Map<string, number>;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function call(base: URL, pool: HttpAgent, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers, agent: pool, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export interface EnrolOutcome {
  agents: EnrolledSim[];
  /** Latency of each enrolment request (ms), in the order they finished. */
  latenciesMs: number[];
  refused: Array<{ name: string; status: number; error: string }>;
}

/** Enrols `names` (center, machine name, code), `concurrency` requests at a time. */
export async function enrolAll(
  server: string,
  machines: ReadonlyArray<{ center: string; name: string; code: string }>,
  concurrency: number,
): Promise<EnrolOutcome> {
  const base = new URL(server);
  const pool = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  const out: EnrolOutcome = { agents: [], latenciesMs: [], refused: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < machines.length) {
      const m = machines[next++]!;
      const started = performance.now();
      const r = await call(
        base,
        pool,
        'POST',
        ENROLL_PATH,
        { 'content-type': 'application/json' },
        JSON.stringify({ code: m.code, name: m.name, platform: 'linux', version: 'sim', hostname: m.name }),
      );
      out.latenciesMs.push(performance.now() - started);
      if (r.status !== 201) {
        out.refused.push({ name: `${m.center}/${m.name}`, status: r.status, error: r.text });
        continue;
      }
      const e = JSON.parse(r.text) as EnrolResponse;
      out.agents.push({
        province: e.province,
        center: e.center,
        centerName: e.centerName,
        agent: e.agent,
        token: e.token,
        id: e.id,
        revision: '',
        tookAt: new Map(),
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  pool.destroy();
  return out;
}

export interface FetchStats {
  /** Latency (ms) of every fetch, 200 and 304 alike. */
  latenciesMs: number[];
  byStatus: Map<number, number>;
}

export interface RunningFetches {
  stats: FetchStats;
  stop(): Promise<void>;
}

/**
 * Every agent fetches its config at a random phase and then on the server's interval; after a 200 it
 * fetches once more at once, saying the revision it now runs (what the fleet view shows as running).
 */
export function runConfigFetches(server: string, agents: readonly EnrolledSim[], sockets = 32): RunningFetches {
  const base = new URL(server);
  const pool = new HttpAgent({ keepAlive: true, maxSockets: sockets });
  const stats: FetchStats = { latenciesMs: [], byStatus: new Map() };
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;
  const fetchOne = async (a: EnrolledSim): Promise<number> => {
    const started = performance.now();
    const r = await call(base, pool, 'GET', AGENT_CONFIG_PATH, {
      authorization: `Bearer ${a.token}`,
      'if-none-match': `"${a.revision}"`,
      [REPORT_HEADERS.version]: 'sim',
      [REPORT_HEADERS.platform]: 'linux',
      [REPORT_HEADERS.revision]: a.revision,
      [REPORT_HEADERS.backlog]: '0',
    });
    stats.latenciesMs.push(performance.now() - started);
    stats.byStatus.set(r.status, (stats.byStatus.get(r.status) ?? 0) + 1);
    if (r.status === 200) {
      a.revision = String(r.headers.etag).replace(/"/g, '');
      a.tookAt.set(a.revision, Date.now());
    }
    return r.status === 200 || r.status === 304 ? Number(r.headers[AGENT_HEADERS.fetchInterval]) : 0;
  };
  const first = new Set<EnrolledSim>(agents);
  const loop = (a: EnrolledSim, delayMs: number): void => {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      const p = (async () => {
        let interval = await fetchOne(a).catch(() => 0);
        // A new config: the agent applies it and says so at once.
        if (a.tookAt.get(a.revision) !== undefined && Date.now() - a.tookAt.get(a.revision)! < 1000) await fetchOne(a).catch(() => 0);
        if (!(interval > 0)) interval = 5000;
        // Machines start at different times: after the first fetch, each keeps its own phase.
        loop(a, first.delete(a) ? interval * Math.random() : interval * (0.9 + Math.random() * 0.2));
      })();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }, delayMs);
    timers.add(t);
  };
  for (const a of agents) loop(a, Math.random() * 2000);
  return {
    stats,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...inFlight]);
      pool.destroy();
    },
  };
}
