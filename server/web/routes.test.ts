/**
 * A center's readiness page over a real socket, from what an agent pushed into a real LatestState: the
 * headline says why the center is not ready with the same names as the open alerts beside it (a shared
 * system by its title, never its check id), and so does the check's row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import type { TimeSeries } from '../../common/remote-write/proto.js';
import { engineConfigSchema } from '../config/engine-schema.js';
import { EngineRuntime } from '../engine/runtime.js';
import { LatestState } from '../state.js';
import { openSqliteStore, type Store } from '../store/store.js';
import { ReadinessWeb } from './routes.js';

/** 08:00 Friday 27/11/2026, UTC+7: office hours, so the alert is announced and listed. */
const T0 = Date.UTC(2026, 10, 27, 1, 0);
const WHO = { province: 'quang-ngai', center: 'sa-huynh', agent: 'pc1' };
const TITLE = { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial one-stop system' };

let dir: string;
let store: Store;
let server: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-page-'));
  store = openSqliteStore(join(dir, 'engine.sqlite'));
});
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One pushed sample with the agent's identity. */
const sample = (name: string, labels: Record<string, string>, value: number, atMs: number): TimeSeries => {
  const all = Object.entries({ __name__: name, ...WHO, ...labels }).sort(([a], [b]) => a.localeCompare(b));
  return { labels: all.map(([n, v]) => ({ name: n, value: v })), samples: [{ value, timestampMs: atMs }] };
};

it('the headline names a shared system by its title, as the open alert beside it does', async () => {
  const cfg = engineConfigSchema.parse({ upstreams: [{ name: 'provincial-system', title: TITLE, checks: ['provincial-system'] }] });
  const state = new LatestState(1000);
  let now = T0;
  const engine = new EngineRuntime({ cfg, tokens: [{ id: 't', sha256: '0'.repeat(64), ...WHO }], state, store, log: createLogger('error'), now: () => now });
  const check = { check: 'provincial-system', kind: 'http' };
  for (; now < T0 + 90_000; now += 1000) {
    const up = now < T0 + 10_000;
    state.apply(
      WHO,
      [
        sample('centerwatch_check_info', { ...check, impact: 'blocking', group: '' }, 1, now),
        sample('centerwatch_probe_success', check, up ? 1 : 0, now),
        sample('centerwatch_probe_reason', { ...check, reason: up ? 'ok' : 'http_status' }, 1, now),
      ],
      now,
    );
    engine.tick();
  }

  const app = express().use(new ReadinessWeb({ engine, store, log: createLogger('error'), now: () => now }).router());
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const html = await (await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/centers/sa-huynh`)).text();

  const headline = /<p class="reason">([^<]*)<\/p>/.exec(html)?.[1];
  const alerts = [...html.matchAll(/<li class="sev-[a-z]+">([^<]*)<\/li>/g)].map((m) => m[1]!);
  expect(headline).toMatch(/^Không truy cập được Hệ thống một cửa tỉnh \(máy chủ trả lỗi\) từ 08:00/);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatch(/^không truy cập được Hệ thống một cửa tỉnh \(máy chủ trả lỗi\) từ 08:00/);
  expect(headline).not.toContain('provincial-system');
  // The check's row too, its id beside the name for IT staff.
  expect(html).toContain('<th scope="row">Hệ thống một cửa tỉnh · provincial-system</th>');
});
