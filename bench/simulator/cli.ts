/**
 * npm run simulate -- --centers N --agents-per-center M --series S [options]
 *
 * A test tool: many virtual agents in one process push realistic centerwatch series to a remote_write URL
 * (the centerwatch server by default), for load tests and demos. Tokens are derived from --seed; write the
 * matching `tokens:` block for the server with --write-server-tokens <file> and include it in the server config.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../common/duration.js';
import { buildFleet, serverTokensYaml, type Fault } from './fleet.js';
import { runFleet } from './run.js';
import { percentile } from './stats.js';

const USAGE = `usage: npm run simulate -- --centers N --agents-per-center M --series S
  --url URL                 remote_write endpoint (default http://127.0.0.1:9480/api/v1/write)
  --interval DURATION       push interval of every virtual agent (default 15s)
  --duration DURATION       stop after this long (default: run until Ctrl-C)
  --seed TEXT               token seed; the server must hold the tokens of the same seed (default demo)
  --fault CENTER:CHECK[,CHECK]  report these checks of a center (its code) down (repeatable), e.g. 19753:line-tslcd,line-inet1
  --write-server-tokens FILE    write the fleet's tokens block (sha256 only) for the server config, then exit
  --no-auth                 send no bearer token (a bare Prometheus receiver)`;

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    centers: { type: 'string', default: '10' },
    'agents-per-center': { type: 'string', default: '1' },
    series: { type: 'string', default: '150' },
    url: { type: 'string', default: 'http://127.0.0.1:9480/api/v1/write' },
    interval: { type: 'string', default: '15s' },
    duration: { type: 'string' },
    seed: { type: 'string', default: 'demo' },
    fault: { type: 'string', multiple: true, default: [] },
    'write-server-tokens': { type: 'string' },
    'no-auth': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name: string, v: string, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`--${name} must be a whole number from 1 to ${max}`);
  return n;
};
const centers = int('centers', values.centers, 100_000);
const perCenter = int('agents-per-center', values['agents-per-center'], 100);
const series = int('series', values.series, 100_000);
const intervalMs = parseDuration(values.interval) ?? fail('--interval must be a duration such as 15s');
const durationMs = values.duration === undefined ? undefined : (parseDuration(values.duration) ?? fail('--duration must be a duration such as 5m'));
const faults: Fault[] = values.fault.map((f) => {
  const [center, checks] = f.split(':');
  if (!center || !checks) fail(`--fault ${f}: expected CENTER:CHECK[,CHECK]`);
  return { center, checks: checks.split(',') };
});
const fleet = buildFleet({ centers, agentsPerCenter: perCenter, seed: values.seed });

if (values['write-server-tokens']) {
  writeFileSync(values['write-server-tokens'], serverTokensYaml(fleet, values.seed));
  process.stdout.write(`wrote ${fleet.length} tokens to ${values['write-server-tokens']}\n`);
  process.exit(0);
}

const latencies: number[] = [];
const counts = { sent: 0, retry: 0, rejected: 0, samples: 0 };
const running = runFleet({
  url: values.url,
  agents: fleet,
  seriesPerAgent: series,
  intervalMs,
  faults,
  auth: !values['no-auth'],
  onPush(_agent, outcome, latencyMs, samples) {
    counts[outcome.kind]++;
    if (outcome.kind === 'sent') counts.samples += samples;
    latencies.push(latencyMs);
  },
});
process.stdout.write(
  `simulating ${fleet.length} agents (${centers} centers × ${perCenter}), ${series} series each, every ${values.interval} → ${values.url}\n`,
);
const report = setInterval(() => {
  const sorted = latencies.splice(0).sort((a, b) => a - b);
  process.stdout.write(
    `pushes sent ${counts.sent}, retry ${counts.retry}, rejected ${counts.rejected}; samples ${counts.samples}; latency p50 ${percentile(sorted, 0.5).toFixed(1)} ms p99 ${percentile(sorted, 0.99).toFixed(1)} ms\n`,
  );
}, 10_000);
const stop = async (): Promise<void> => {
  clearInterval(report);
  await running.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
if (durationMs !== undefined) setTimeout(() => void stop(), durationMs);
