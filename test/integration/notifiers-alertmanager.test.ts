/**
 * Against a real Alertmanager on loopback (Debian package prometheus-alertmanager): the alertmanager
 * channel's POST is accepted and stored as sent, and the webhook channel's payload has exactly the
 * shape Alertmanager itself sends to a webhook receiver (v4), firing and resolved.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bins.js';
import { requireService } from '../helpers/ctx.js';
import { freePort, waitForHttp } from '../helpers/prometheus.js';
import { commandExists } from '../helpers/servers.js';
import { alertmanager } from '../../server/notifiers/alertmanager.js';
import type { AlertEvent } from '../../server/notifiers/event.js';
import { FIRING } from '../support/notifiers/fixtures.js';
import { startCapture, type CaptureServer } from '../support/notifiers/test-server.js';
import { webhook, type WebhookPayload } from '../../server/notifiers/webhook.js';

const BIN = 'prometheus-alertmanager';
const have = commandExists(BIN);

describe.runIf(requireService(have, `${BIN} not installed (apt-get install prometheus-alertmanager)`))('real Alertmanager', () => {
  let am: ChildProcess;
  let dir: string;
  let base: string;
  let hook: CaptureServer;
  // Times relative to now: Alertmanager ignores alerts that ended long ago.
  const since = Math.floor(Date.now() / 1000) * 1000 - 120_000;
  const event: AlertEvent = { ...FIRING, alertId: `it-${process.pid}`, sinceMs: since, centerName: 'Xã <b>&</b>' };

  beforeAll(async () => {
    hook = await startCapture();
    dir = mkdtempSync(join(tmpdir(), 'cw-am-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'am.yml'),
      [
        'route: { receiver: hook, group_by: [alertname], group_wait: 100ms, group_interval: 1s, repeat_interval: 1h }',
        'receivers:',
        `  - name: hook`,
        `    webhook_configs: [{ url: "${hook.base}/am-hook", send_resolved: true }]`,
      ].join('\n'),
    );
    am = spawn(BIN, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], {
      stdio: 'ignore',
    });
    await waitForHttp(`${base}/-/ready`);
  });

  afterAll(async () => {
    // Alertmanager writes its snapshot on exit: wait for it before removing the directory.
    if (am && am.exitCode === null) await new Promise((r) => am.once('exit', r).kill('SIGTERM'));
    await hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const hookBodies = (): WebhookPayload[] => hook.requests.filter((r) => r.url === '/am-hook').map((r) => JSON.parse(r.body) as WebhookPayload);

  /** Alertmanager writes times as RFC 3339 without milliseconds; compare instants, not strings. */
  const normalise = (p: WebhookPayload) => ({
    ...p,
    alerts: p.alerts.map((a) => ({
      ...a,
      startsAt: Date.parse(a.startsAt),
      endsAt: a.endsAt.startsWith('0001') ? 0 : Date.parse(a.endsAt),
      generatorURL: '',
      fingerprint: '',
    })),
    groupKey: '',
    externalURL: '',
    receiver: '',
  });

  it('accepts the firing alert and passes it on in the shape webhook.format produces', async () => {
    const o = { url: base };
    expect(await alertmanager.send(alertmanager.format(event, o, 'vi'), o, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const stored = await eventually(
      async () => {
        const list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as Array<{
          labels: Record<string, string>;
          annotations: Record<string, string>;
          status: { state: string };
        }>;
        return list.find((a) => a.labels.alertname === event.alertId);
      },
      10_000,
      'alert stored',
    );
    expect(stored.labels).toEqual(alertmanager.format(event, o, 'vi')[0]!.labels);
    expect(stored.annotations).toEqual(alertmanager.format(event, o, 'vi')[0]!.annotations);
    expect(stored.status.state).toBe('active');

    const sent = await eventually(async () => hookBodies().find((b) => b.status === 'firing'), 15_000, 'firing webhook');
    const ours = webhook.format(event, { url: 'x' }, 'vi');
    expect(Object.keys(sent).sort()).toEqual(Object.keys(ours).sort());
    expect(Object.keys(sent.alerts[0]!).sort()).toEqual(Object.keys(ours.alerts[0]!).sort());
    expect(normalise(sent)).toEqual(normalise(ours));
  });

  it('ends the alert on a resolved push; the resolved webhook matches webhook.format too', async () => {
    const resolved: AlertEvent = { ...event, status: 'resolved', key: `${event.alertId}:resolved`, resolvedAtMs: since + 60_000 };
    const o = { url: `${base}/` };
    expect(await alertmanager.send(alertmanager.format(resolved, o, 'vi'), o, AbortSignal.timeout(5000))).toEqual({ ok: true });
    const sent = await eventually(async () => hookBodies().find((b) => b.status === 'resolved'), 15_000, 'resolved webhook');
    // Alertmanager re-renders the annotations it stored with the firing alert; the resolved push replaces them.
    expect(normalise(sent)).toEqual(normalise(webhook.format(resolved, { url: 'x' }, 'vi')));
  });

  it('rejects an invalid label name with 400: not retryable', async () => {
    const o = { url: base };
    const bad = alertmanager.format({ ...event, labels: { 'bad-name': 'x' } }, o, 'vi');
    expect(await alertmanager.send(bad, o, AbortSignal.timeout(5000))).toEqual({ ok: false, retryable: false, status: 400, reason: 'http_status' });
  });
});
