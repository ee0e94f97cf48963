import { readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRIC } from '../common/metrics.js';

/**
 * The agent's own cost, without prom-client's default collectors: their event-loop monitor alone
 * costs ~1 % of a core and ~9 MiB (DESIGN.md, costs), more than the rest of the agent when idle.
 */
export function registerProcessMetrics(registry: Registry, version: string, configLoaded: () => boolean, centerName = '', revision = ''): void {
  const reg = [registry];
  new Counter({
    name: METRIC.processCpuSecondsTotal,
    help: 'User and system CPU time of the agent process.',
    registers: reg,
    collect() {
      const u = process.cpuUsage();
      this.reset();
      this.inc((u.user + u.system) / 1e6);
    },
  });
  new Gauge({
    name: METRIC.processResidentMemoryBytes,
    help: 'Resident memory of the agent process.',
    registers: reg,
    collect() {
      this.set(residentBytes());
    },
  });
  new Gauge({ name: METRIC.agentStartTimeSeconds, help: 'When the agent started (unix seconds).', registers: reg }).set(
    Math.round(Date.now() / 1000 - process.uptime()),
  );
  new Gauge({
    name: METRIC.agentConfigLoadSuccess,
    help: 'Whether the last config load (at start or on SIGHUP) succeeded; 0 means the agent runs on an older config.',
    registers: reg,
    collect() {
      this.set(configLoaded() ? 1 : 0);
    },
  });
  // `revision`: the province's config revision an enrolled agent runs; left out (Prometheus's '') when none.
  new Gauge({
    name: METRIC.agentInfo,
    help: 'The running agent version and central config revision.',
    labelNames: ['version', 'revision'],
    registers: reg,
  }).set(revision ? { version, revision } : { version }, 1);
  // The name leaders read (free text): the province server shows it on pages and in messages.
  new Gauge({ name: METRIC.centerInfo, help: "The center's display name from the agent's config.", labelNames: ['name'], registers: reg }).set(
    { name: centerName },
    1,
  );
}

function residentBytes(): number {
  try {
    // statm's second field is resident pages; cheaper than process.memoryUsage(), which walks the heap.
    const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    return pages * 4096;
  } catch {
    return process.memoryUsage.rss();
  }
}
