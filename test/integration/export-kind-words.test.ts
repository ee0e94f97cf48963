/**
 * The exported CheckDown annotations say what the engine's messages say, per kind from the catalogue:
 * a line by its line, a device by its noun, a system as unreachable, with the kind's first step. Rendered
 * by the real Prometheus template engine (`promtool test rules`), one alert per kind.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../helpers/ctx.js';
import { commandExists } from '../helpers/servers.js';
import { ANNOTATIONS } from '../../server/export/annotations.js';

const havePromtool = requireService(commandExists('promtool'), 'promtool not installed (Debian: apt install prometheus)');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-kind-words-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHECKS: Array<Record<string, string>> = [
  { check: 'line-inet1', kind: 'icmp', line: 'inet1' },
  { check: 'printer-1', kind: 'printer' },
  { check: 'ups', kind: 'ups' },
  { check: 'hscv-db', kind: 'postgres' },
  { check: 'portal', kind: 'http' },
];

describe.skipIf(!havePromtool)('CheckDown annotations per kind', () => {
  it('name the check as the engine does and give the kind first step', async () => {
    const annotations = ANNOTATIONS.CheckDown({ for: '0s', severity: 'critical' });
    const labels = (c: Record<string, string>): Record<string, string> => ({ province: 'qng', center: 'sa-huynh', agent: 'pc1', impact: 'blocking', ...c });
    const series = (c: Record<string, string>): string =>
      `check_down{${Object.entries(labels(c))
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`;
    writeFileSync(
      join(dir, 'rules.yml'),
      stringify({ groups: [{ name: 'words', rules: [{ alert: 'CheckDown', expr: 'check_down == 1', annotations }] }] }, { lineWidth: 0 }),
    );
    writeFileSync(
      join(dir, 'test.yml'),
      stringify(
        {
          rule_files: ['rules.yml'],
          evaluation_interval: '15s',
          tests: [
            {
              interval: '15s',
              input_series: CHECKS.map((c) => ({ series: series(c), values: '1x4' })),
              alert_rule_test: [{ eval_time: '30s', alertname: 'CheckDown', exp_alerts: CHECKS.map((c) => ({ exp_labels: labels(c), exp_annotations: {} })) }],
            },
          ],
        },
        { lineWidth: 0 },
      ),
    );
    // promtool prints the annotations it got when they differ from the (empty) expected ones.
    const out = await promisify(execFile)('promtool', ['test', 'rules', 'test.yml'], { cwd: dir }).then(
      (r) => `${r.stdout}${r.stderr}`,
      (err: unknown) => {
        const e = err as { stdout?: string; stderr?: string };
        return `${e.stdout ?? ''}${e.stderr ?? ''}`;
      },
    );
    const got = out.slice(out.indexOf('got:'));
    expect(got).toContain('summary="sa-huynh: đường truyền inet1 mất kết nối"');
    expect(got).toContain('summary="sa-huynh: Máy in printer-1 lỗi"');
    expect(got).toContain('summary="sa-huynh: Bộ lưu điện ups lỗi"');
    expect(got).toContain('summary="sa-huynh: Cơ sở dữ liệu hscv-db lỗi"');
    expect(got).toContain('summary="sa-huynh: không truy cập được portal"');
    expect(got).toContain('summary_en="sa-huynh: Printer printer-1 failing"');
    expect(got).toContain('Việc cần làm: kiểm tra nguồn, cáp, giấy, mực và hàng đợi in.');
    expect(got).toContain('Việc cần làm: kiểm tra điện lưới; chuẩn bị tắt máy an toàn nếu pin sắp cạn.');
    expect(got).toContain("First: call this line's carrier; check the modem/router.");
  }, 60_000);
});
