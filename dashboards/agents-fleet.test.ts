/**
 * The Agents dashboard's fleet panels against a real Prometheus scraping the fleet metrics of a real
 * store with one agent in each state (the dashboards' stack has no enrolled agent, so its Prometheus has
 * nothing for these panels: they are checked here, with what they must compute).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFleetMetrics } from '../server/fleet/metrics.js';
import { requireService } from '../test/helpers/ctx.js';
import { freePort, prometheusInstalled, waitForHttp } from '../test/helpers/prometheus.js';
import { CURRENT, fleetFixture, NASTY_VERSION, OLD, seedFleet, type FleetFixture } from '../test/support/fleet-fixture.js';
import { agents, FLEET_PANELS } from './agents.js';
import { panelQueries, substitute } from './promql.js';

type Vec = Array<{ metric: Record<string, string>; value: [number, string] }>;

const QUERIES = panelQueries(agents()).filter((p) => FLEET_PANELS.includes(p.panel));
const query = (title: string): string => QUERIES.find((p) => p.panel === title)!.expr;
const [BY_STATE, TABLE] = FLEET_PANELS as [string, string];

describe('the Agents dashboard: fleet panels', () => {
  it('are the stat of agents by state and the table of agents, one query each', () => {
    expect(QUERIES.map((p) => p.panel)).toEqual([BY_STATE, TABLE]);
    expect(BY_STATE).toBe('Agent theo trạng thái');
    expect(TABLE).toBe('Danh sách agent');
  });
});

describe.skipIf(!requireService(prometheusInstalled(), 'prometheus not installed (Debian package prometheus)'))(
  'fleet panels against a real Prometheus',
  () => {
    let fx: FleetFixture;
    let exporter: Server;
    let prom: ChildProcess;
    let dir: string;
    let base: string;

    const run = async (title: string, values: Record<string, string>): Promise<Vec> => {
      const res = await fetch(
        `${base}/api/v1/query?query=${encodeURIComponent(substitute(query(title), { ...values, __rate_interval: '1m', __range: '5m' }))}`,
      );
      const body = (await res.json()) as { status: string; error?: string; data: { result: Vec } };
      expect(body.error).toBeUndefined();
      return body.data.result;
    };
    const byState = async (values: Record<string, string>) =>
      Object.fromEntries((await run(BY_STATE, values)).map((s) => [s.metric.state, Number(s.value[1])]));

    beforeAll(async () => {
      fx = fleetFixture();
      seedFleet(fx);
      const registry = new Registry();
      registerFleetMetrics(registry, fx.deps);
      exporter = createServer((_req, res) => {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      });
      await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
      const target = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
      dir = mkdtempSync(join(tmpdir(), 'cw-fleet-prom-'));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: centerwatch-server\n    static_configs: [{ targets: ["${target}"] }]\n`,
      );
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      prom = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: 'ignore' },
      );
      await waitForHttp(`${base}/-/ready`);
      // A scrape or two before the series are there.
      const until = Date.now() + 30_000;
      while ((await run(TABLE, { province: '.+', center: '.+' })).length < 6 && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    }, 60_000);

    afterAll(async () => {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((r) => prom.once('exit', r));
        prom.kill('SIGTERM');
        await exited;
      }
      await new Promise<void>((r) => (exporter ? exporter.close(() => r()) : r()));
      fx?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('agents by state: every state but revoked, 0 where no chosen agent is, following $province and $center', async () => {
      expect(await byState({ province: '.+', center: '.+' })).toEqual({ silent: 1, refused: 1, never_seen: 1, outdated: 1, no_profile: 1, ok: 1 });
      expect(await byState({ province: 'quang-ngai', center: '.+' })).toEqual({ silent: 1, refused: 1, never_seen: 1, outdated: 1, no_profile: 0, ok: 1 });
      // Two centers chosen, as Grafana renders a multi-value variable.
      expect(await byState({ province: 'quang-ngai', center: '(21480|00004)' })).toEqual({
        silent: 1,
        refused: 0,
        never_seen: 1,
        outdated: 0,
        no_profile: 0,
        ok: 0,
      });
    });

    it('the table: one row per enrolled agent not revoked, with the columns it shows', async () => {
      const rows = (await run(TABLE, { province: 'quang-ngai', center: '.+' })).map((s) => s.metric).sort((a, b) => a.agent!.localeCompare(b.agent!));
      expect(rows).toEqual([
        { province: 'quang-ngai', center: '21478', agent: 'kiosk', platform: 'linux', version: '0.1.0', revision: OLD, state: 'refused' },
        { province: 'quang-ngai', center: '21480', agent: 'pc-new', platform: 'win32', version: '0.1.0', state: 'never_seen' },
        { province: 'quang-ngai', center: '21478', agent: 'pc-ok', platform: 'win32', version: NASTY_VERSION, revision: CURRENT, state: 'ok' },
        { province: 'quang-ngai', center: '21478', agent: 'pc-old', platform: 'win32', version: '0.1.0', revision: OLD, state: 'outdated' },
        { province: 'quang-ngai', center: '21480', agent: 'pc-quiet', platform: 'win32', version: '0.1.0', revision: CURRENT, state: 'silent' },
      ]);
      expect((await run(TABLE, { province: 'ha-noi', center: '00004' })).map((s) => s.metric.agent)).toEqual(['pc-1']);
    });
  },
);
