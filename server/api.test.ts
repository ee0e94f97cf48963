/**
 * The API's readiness reasons over a real socket, from what an agent pushed into a real LatestState:
 * each reason with its own time and in words that name things (a shared system by its title, a line by
 * its name and carrier from `centerwatch_check_info`'s description labels).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../common/log.js';
import type { TimeSeries } from '../common/remote-write/proto.js';
import { apiRouter } from './api.js';
import { engineConfigSchema } from './config/engine-schema.js';
import { EngineRuntime } from './engine/runtime.js';
import { LatestState } from './state.js';
import { openSqliteStore, type Store } from './store/store.js';

/** 08:00 Friday 27/11/2026, UTC+7. */
const T0 = Date.UTC(2026, 10, 27, 1, 0);
const ID = { province: 'qng', center: 'sa-huynh', agent: 'pc1' };

function series(name: string, labels: Record<string, string>, value: number, ts: number): TimeSeries {
  const all: Record<string, string> = { __name__: name, ...ID, ...labels };
  return {
    labels: Object.keys(all)
      .sort()
      .map((n) => ({ name: n, value: all[n]! })),
    samples: [{ value, timestampMs: ts }],
  };
}

interface Check {
  check: string;
  kind: string;
  line: string;
  info: Record<string, string>;
}
const CHECKS: Check[] = [
  { check: 'line-inet1', kind: 'icmp', line: 'inet1', info: { impact: 'blocking', group: 'lines', line_description: 'Viettel FTTH' } },
  { check: 'line-inet2', kind: 'icmp', line: 'inet2', info: { impact: 'blocking', group: 'lines', line_description: 'Cáp quang VNPT' } },
  { check: 'provincial-system', kind: 'http', line: 'inet1', info: { impact: 'blocking', group: '' } },
];

describe('API: readiness reasons', () => {
  let dir: string;
  let store: Store;
  let server: Server;
  let now = T0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-api-'));
    store = openSqliteStore(join(dir, 'engine.sqlite'));
    now = T0;
  });
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each reason carries its own time and names what it is about', async () => {
    const cfg = engineConfigSchema.parse({
      upstreams: [{ name: 'provincial-system', title: { vi: 'Hệ thống một cửa tỉnh', en: 'the provincial one-stop system' }, checks: ['provincial-system'] }],
    });
    const state = new LatestState(1000);
    const engine = new EngineRuntime({ cfg, tokens: [{ id: 't', sha256: '0'.repeat(64), ...ID }], state, store, log: createLogger('error'), now: () => now });
    const down = new Map<string, string>();
    const push = (): void => {
      state.apply(
        ID,
        CHECKS.flatMap((c) => {
          const labels = { check: c.check, kind: c.kind, line: c.line };
          const reason = down.get(c.check) ?? 'ok';
          return [
            series('centerwatch_check_info', { ...labels, ...c.info }, 1, now),
            series('centerwatch_probe_success', labels, reason === 'ok' ? 1 : 0, now),
            series('centerwatch_probe_reason', { ...labels, reason }, 1, now),
          ];
        }),
        now,
      );
    };
    const run = (ms: number): void => {
      for (const end = now + ms; now < end; now += 1000) {
        push();
        engine.tick();
      }
    };
    run(10_000);
    down.set('provincial-system', 'http_status');
    run(60_000);
    down.set('line-inet2', 'timeout');
    run(30_000);

    const app = express().use('/api/v1', apiRouter({ cfg, engine, store, now: () => now }));
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`;
    const detail = (await (await fetch(`${base}/centers/sa-huynh`)).json()) as {
      sinceMs: number;
      reasons: Array<{ kind: string; sinceMs: number; text: { vi: string; en: string } }>;
    };
    expect(detail.sinceMs).toBe(T0 + 11_000);
    expect(detail.reasons.map((r) => [r.kind, r.sinceMs - T0, r.text.vi])).toEqual([
      ['check_down', 10_000, 'Không truy cập được Hệ thống một cửa tỉnh (máy chủ trả lỗi)'],
      ['redundancy_lost', 70_000, 'Mất dự phòng: đường truyền inet2 (Cáp quang VNPT) mất kết nối'],
    ]);
    const list = (await (await fetch(`${base}/centers`)).json()) as { centers: Array<{ reasons: Array<{ text: { en: string } }> }> };
    expect(list.centers[0]!.reasons.map((r) => r.text.en)).toEqual([
      'The provincial one-stop system unreachable (server error)',
      'Redundancy lost: line inet2 (Cáp quang VNPT) down',
    ]);
  });
});
