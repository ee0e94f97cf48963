/**
 * The fleet view as metrics, read from the store at scrape time: which agents are enrolled, what they
 * run, whether it is the config they should run, when each was last heard and what waits in its WAL.
 * One snapshot per scrape serves every family, so they agree with each other.
 */
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from '../../common/metrics.js';
import type { FleetDeps } from './deps.js';
import { countStates, fleetInputs, fleetRows, STATE_ORDER, type FleetRow } from './view.js';

/** The families `registerFleetMetrics` adds. */
export const FLEET_METRIC_NAMES = [
  METRIC.fleetAgentInfo,
  METRIC.fleetAgentConfigCurrent,
  METRIC.fleetAgentLastSeenTimestampSeconds,
  METRIC.fleetAgentBacklogSamples,
  METRIC.fleetAgents,
] as const;

const AGENT_LABELS = ['province', 'center', 'agent'] as const;

export function registerFleetMetrics(registry: Registry, d: FleetDeps): void {
  const registers = [registry];
  let snapshot: FleetRow[] | undefined;
  // prom-client runs every family's collect in one go before anything else: the first computes the rows,
  // the others reuse them, and the next scrape starts afresh.
  const rows = (): FleetRow[] => {
    if (!snapshot) {
      // Labels carry the center code only: the inventory's names are not read.
      snapshot = fleetRows(d.store.fleet.agents(), { ...fleetInputs(d), centerName: () => undefined });
      queueMicrotask(() => (snapshot = undefined));
    }
    return snapshot;
  };
  const live = (): FleetRow[] => rows().filter((r) => r.state !== 'revoked');
  const labelsOf = (r: FleetRow) => ({ province: r.province, center: r.center, agent: r.name });

  new Gauge({
    name: METRIC.fleetAgentInfo,
    help: 'Enrolled agents that are not revoked, 1 each: platform, version, the config revision it runs and its state (never_seen, silent, refused, outdated, no_profile, ok), for the fleet view and its dashboard.',
    labelNames: [...AGENT_LABELS, 'platform', 'version', 'revision', 'state'],
    registers,
    collect() {
      this.reset();
      for (const r of live()) this.set({ ...labelsOf(r), platform: r.platform, version: r.version, revision: r.runningRevision, state: r.state }, 1);
    },
  });
  new Gauge({
    name: METRIC.fleetAgentConfigCurrent,
    help: 'Whether the agent runs the config revision it should (1) or another (0): a 0 that stays means its config did not reach it or was refused. Absent for agents no profile applies to.',
    labelNames: AGENT_LABELS,
    registers,
    collect() {
      this.reset();
      for (const r of live()) if (r.currentRevision !== undefined) this.set(labelsOf(r), r.runningRevision === r.currentRevision ? 1 : 0);
    },
  });
  new Gauge({
    name: METRIC.fleetAgentLastSeenTimestampSeconds,
    help: 'When the server last heard from the agent, by a push or a config fetch, whichever was later: an agent not heard for long is off, cut off or broken. Absent until it is first heard.',
    labelNames: AGENT_LABELS,
    registers,
    collect() {
      this.reset();
      for (const r of live()) if (r.lastHeardMs !== undefined) this.set(labelsOf(r), r.lastHeardMs / 1000);
    },
  });
  new Gauge({
    name: METRIC.fleetAgentBacklogSamples,
    help: 'Samples waiting in the agent WAL, as the agent last reported: a backlog that grows means its pushes do not get through.',
    labelNames: AGENT_LABELS,
    registers,
    collect() {
      this.reset();
      for (const r of live()) if (r.backlog !== undefined) this.set(labelsOf(r), r.backlog);
    },
  });
  new Gauge({
    name: METRIC.fleetAgents,
    help: 'Enrolled agents by state, revoked included, every state present (0 included): how much of the fleet needs a person.',
    labelNames: ['state'],
    registers,
    collect() {
      const counts = countStates(rows());
      for (const state of STATE_ORDER) this.set({ state }, counts[state]);
    },
  });
}
