import { Agent as HttpAgent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { encodeWriteRequest, type Label } from '../../common/remote-write/proto.js';
import { snappyCompress } from '../../common/remote-write/snappy.js';
import { sendWriteRequest, type SendOutcome } from '../../common/remote-write/sender.js';
import { agentPush, centerInfo, seriesLabels, type Fault, type SimAgent } from './fleet.js';

export interface RunOptions {
  url: string;
  agents: SimAgent[];
  seriesPerAgent: number;
  intervalMs: number;
  faults?: Fault[];
  /** Send the token as bearer (the centerwatch server) or not (a bare Prometheus receiver, which ignores it). */
  auth?: boolean;
  /** Called after every push with its latency. */
  onPush?: (agent: SimAgent, outcome: SendOutcome, latencyMs: number, samples: number) => void;
  /** Open connections at most (shared by all virtual agents). Default 64. */
  sockets?: number;
  /** How far an agent's clock is off (ms; a center PC with a wrong date). Default: every clock right. */
  clockOffsetMs?: (agent: SimAgent) => number;
}

export interface Running {
  stop(): Promise<void>;
  /** Replaces the injected faults from the next push on. */
  setFaults(faults: Fault[]): void;
}

/**
 * Every virtual agent pushes its series every interval, at a random phase (as real agents do), with the
 * sample timestamp of the push. One process, one connection pool: a load generator, not an agent.
 */
export function runFleet(o: RunOptions): Running {
  const labels: Label[][] = seriesLabels(o.seriesPerAgent);
  const pool = new HttpAgent({ keepAlive: true, maxSockets: o.sockets ?? 64 });
  let faulted = faultIndex(o.faults ?? []);
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let tick = 0;
  const pushOne = (agent: SimAgent): void => {
    if (stopped) return;
    const now = Date.now() + (o.clockOffsetMs?.(agent) ?? 0);
    const series = agentPush(o.auth === false ? labelsWithIdentity(labels, agent) : labels, tick++, now, faulted.get(agent.center) ?? EMPTY);
    if (o.auth !== false) series.push(centerInfo(agent, now));
    const body = snappyCompress(encodeWriteRequest(series));
    const started = performance.now();
    const target = {
      name: 'sim',
      url: o.url,
      timeoutMs: 10_000,
      userAgent: 'centerwatch-simulator',
      bearerToken: o.auth === false ? undefined : agent.token,
      pool,
    };
    const p = sendWriteRequest(target, body).then((outcome) => {
      o.onPush?.(agent, outcome, performance.now() - started, series.length);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  for (const agent of o.agents) {
    const phase = Math.random() * o.intervalMs;
    timers.push(
      setTimeout(() => {
        pushOne(agent);
        timers.push(setInterval(() => pushOne(agent), o.intervalMs));
      }, phase),
    );
  }
  return {
    setFaults(faults) {
      faulted = faultIndex(faults);
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all(inFlight);
      pool.destroy();
    },
  };
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Without the server there is no token to set province/center/agent: a bare receiver (Prometheus)
 * gets them as labels, or every agent's series would be the same series. Sorted, as remote_write wants.
 */
const withIdentity = new WeakMap<SimAgent, Label[][]>();
function labelsWithIdentity(labels: Label[][], agent: SimAgent): Label[][] {
  let out = withIdentity.get(agent);
  if (!out) {
    const extra = [
      { name: 'agent', value: agent.agent },
      { name: 'center', value: agent.center },
      { name: 'province', value: agent.province },
    ];
    out = labels.map((l) => [...l, ...extra].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    withIdentity.set(agent, out);
  }
  return out;
}

function faultIndex(faults: Fault[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const f of faults) m.set(f.center, new Set([...(m.get(f.center) ?? []), ...f.checks]));
  return m;
}
