/**
 * Which line a center is on, through a real server in this process: an agent pushes from 127.0.0.2
 * (the main line's public address in the inventory), then from 127.0.0.3 (the backup's). The server
 * records the socket's address, and says so on /metrics, in the API and on the page; the engine warns.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../server/store/store.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { auth, body, metricValue, series, startTestServer, TOKEN_A, type TestServer } from './server-harness.js';

const MAIN = '127.0.0.2';
const BACKUP = '127.0.0.3';

/** A remote_write push of center-a's pc1, its connection from `from`. */
function pushFrom(ts: TestServer, from: string): Promise<number> {
  const payload = body([series({ __name__: 'centerwatch_center_info', name: 'Phường Sa Huỳnh' })]);
  return new Promise((resolve, reject) => {
    const req = request(
      `${ts.url}/api/v1/write`,
      {
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: { 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'X-Forwarded-For': '198.51.100.1', ...auth(TOKEN_A) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const get = async (ts: TestServer, path: string): Promise<string> => (await fetch(`${ts.url}${path}`)).text();

async function until<T>(what: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const v = await what();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out: ${what.toString().slice(0, 200)}`);
}

describe('the line a center is on, from where its pushes come', () => {
  let ts: TestServer;
  const hook = new WebhookReceiver();

  beforeEach(async () => {
    await hook.start();
    // The inventory is in the store before the server starts (it reads it again every 10 s).
    const dir = mkdtempSync(join(tmpdir(), 'cw-line-e2e-'));
    const store = openSqliteStore(join(dir, 'engine.sqlite'));
    store.fleet.upsertCenters(
      [
        {
          code: 'center-a',
          province: 'p1',
          name: 'Phường Sa Huỳnh',
          type: 'phường',
          address: '',
          counters: 1,
          lines: [
            { name: 'fiber-vnpt', kind: 'fiber', isp: 'VNPT', public: [MAIN] },
            { name: '4g-viettel', kind: '4g', isp: 'Viettel', public: ['127.0.0.3/32', '::ffff:127.0.0.4/128'] },
          ],
          devices: [],
          vars: {},
        },
      ],
      Date.now(),
    );
    store.close();
    ts = await startTestServer(
      {
        engine: {
          rules: [{ check: 'line-in-use', for: '0s', recover_for: '0s' }],
          calendar: { hold_outside_hours: false },
          routes: [{ name: 'oncall', channel: 'webhook', options: { url: hook.url } }],
        },
      },
      dir,
    );
  });
  afterEach(async () => {
    await ts.close();
    await hook.stop();
    hook.received.length = 0;
  });

  it('records the socket address (never a header), maps it to a line, and shows it on /metrics, the API, the page; a move to the backup warns once, the move back resolves', async () => {
    expect(await pushFrom(ts, MAIN)).toBe(204);
    expect(ts.server.state.agents()).toEqual([expect.objectContaining({ agent: 'pc1', address: MAIN })]);
    let metrics = await get(ts, '/metrics');
    expect(metricValue(metrics, 'centerwatch_center_line_info', 'province="p1",center="center-a",line="fiber-vnpt",kind="fiber",isp="VNPT"')).toBe(1);
    const since = metricValue(metrics, 'centerwatch_center_line_since_timestamp_seconds', 'province="p1",center="center-a"')!;
    expect(Math.abs(since * 1000 - Date.now())).toBeLessThan(10_000);

    // The engine has judged the center once: its view has the line, without the address (reads are open).
    const onMain = await until(async () => {
      const r = await fetch(`${ts.url}/api/v1/centers/center-a`);
      return r.status === 200 ? ((await r.json()) as { line: Record<string, unknown> }) : undefined;
    });
    expect(onMain.line).toEqual({ name: 'fiber-vnpt', kind: 'fiber', isp: 'VNPT', main: true, sinceMs: since * 1000 });
    expect(JSON.stringify(onMain)).not.toContain(MAIN);
    expect(await get(ts, '/centers/center-a')).not.toContain('class="line"');

    expect(await pushFrom(ts, BACKUP)).toBe(204);
    metrics = await get(ts, '/metrics');
    expect(metricValue(metrics, 'centerwatch_center_line_info', 'province="p1",center="center-a",line="4g-viettel",kind="4g",isp="Viettel"')).toBe(1);
    // (The outside-in checks still name both lines: their addresses answer.)
    expect(metrics).not.toMatch(/centerwatch_center_line_info\{[^}]*line="fiber-vnpt"/);
    await until(async () => (hook.received.length > 0 ? true : undefined));
    expect(hook.summary()).toEqual(['firing line-in-use']);
    const firing = hook.received[0]!.body.alerts[0]!;
    expect(firing.labels).toMatchObject({ center: 'center-a', check: 'line-in-use', severity: 'warning' });
    expect(JSON.stringify(firing.annotations)).toContain('đang chạy bằng đường dự phòng 4G Viettel: đường chính Cáp quang VNPT có thể đã mất');
    const onBackup = (await (await fetch(`${ts.url}/api/v1/centers/center-a`)).json()) as { line: { name: string; main: boolean } };
    expect(onBackup.line).toMatchObject({ name: '4g-viettel', main: false });
    expect(await get(ts, '/centers/center-a')).toMatch(/<p class="line">Đang dùng đường 4G Viettel từ \d\d:\d\d<\/p>/);
    expect(await get(ts, '/centers/center-a?lang=en')).toMatch(/<p class="line">On line 4G Viettel since \d\d:\d\d<\/p>/);

    expect(await pushFrom(ts, MAIN)).toBe(204);
    await until(async () => (hook.received.length > 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    expect(hook.summary()).toEqual(['firing line-in-use', 'resolved line-in-use']);
    expect(await get(ts, '/centers/center-a')).not.toContain('class="line"');
  });

  it('an address no line lists is line="unknown"', async () => {
    expect(await pushFrom(ts, '127.0.0.5')).toBe(204);
    const metrics = await get(ts, '/metrics');
    expect(metricValue(metrics, 'centerwatch_center_line_info', 'province="p1",center="center-a",line="unknown",kind="",isp=""')).toBe(1);
  });
});
