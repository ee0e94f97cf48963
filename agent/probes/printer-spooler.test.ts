import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSpooler, SPOOLER_QUERY, type SpoolerSnapshot } from '../platform/win32/cim-printer.js';
import { spoolerTargetProblem, spoolerVerdict } from './printer-spooler.js';
import { printerProbe } from './printer.js';

// Written from Microsoft's documentation of Win32_Printer / Win32_PrintJob (see the README beside it).
const raw = readFileSync(new URL('../../test/fixtures/windows/cim/printers-vi.json', import.meta.url), 'utf8');
const snap: SpoolerSnapshot = parseSpooler(JSON.parse(raw))!;
const verdict = (queue: string, stuck?: number) => spoolerVerdict(snap, queue, stuck === undefined ? {} : { stuck_after_seconds: stuck });
const obs = (queued: number, age: number) => [
  { metric: 'queued_jobs', value: queued },
  { metric: 'oldest_job_age', value: age },
];

describe('parseSpooler', () => {
  it('reads every queue and job, Vietnamese names intact, the queue split from the job id at the last comma', () => {
    expect(snap.printers).toHaveLength(11);
    expect(snap.printers[1]).toEqual({
      name: 'Máy in quầy 3 (Canon LBP2900)',
      printerStatus: 4,
      printerState: 1024,
      detectedErrorState: 2,
      workOffline: false,
    });
    expect(snap.jobs[0]).toEqual({ queue: 'Máy in quầy 3 (Canon LBP2900)', jobId: 12, statusMask: 18, submitted: 1718000000000 - 600_000 });
    expect(snap.printers.map((p) => p.name)).toContain('\\\\srv-motcua\\Máy in chung');
  });

  it('refuses an answer of another shape', () => {
    expect(parseSpooler({ devices: [] })).toBeUndefined();
    expect(parseSpooler(null)).toBeUndefined();
    expect(parseSpooler({ now: 1, printers: [{ Name: 5 }], jobs: [{ Name: 'no comma' }] })).toEqual({ now: 1, printers: [], jobs: [] });
  });

  it('the query is fixed ASCII text converting the submit time to epoch milliseconds in PowerShell', () => {
    expect(SPOOLER_QUERY).toMatch(/^[\x20-\x7e]+$/);
    expect(SPOOLER_QUERY).toContain('ToUnixTimeMilliseconds()');
  });
});

describe('spoolerVerdict', () => {
  it('an idle queue with no jobs is up', () => {
    expect(verdict('Microsoft Print to PDF')).toMatchObject({ up: true, reason: 'ok', degraded: false, observations: obs(0, 0) });
  });

  it('matches the name case-insensitively and across Unicode normalisation forms', () => {
    expect(verdict('máy in quầy 3 (canon lbp2900)'.normalize('NFD'))).toMatchObject({ reason: 'offline' });
  });

  it('a printing queue whose job the spooler marks in error is offline (a USB printer switched off)', () => {
    const r = verdict('Máy in quầy 3 (Canon LBP2900)');
    expect(r).toMatchObject({ up: false, reason: 'offline', observations: obs(2, 600) });
    expect(r.message).toContain('job 12 in error');
  });

  it.each([
    ['HP LaserJet M404 - Một cửa', 'media_empty'],
    ['Brother HL-L2321D', 'media_jam'],
    ['Kyocera cửa trước', 'door_open'],
    ['Ricoh hết mực', 'marker_empty'],
    ['\\\\srv-motcua\\Máy in chung', 'offline'],
  ])('%s is down with %s', (queue, reason) => {
    expect(verdict(queue)).toMatchObject({ up: false, reason });
  });

  it('a paused queue and one set to work offline say so', () => {
    expect(verdict('Máy in tạm dừng')).toMatchObject({ up: false, reason: 'offline', message: 'queue paused; no jobs waiting' });
    expect(verdict('Máy in ngoại tuyến')).toMatchObject({ up: false, reason: 'offline', message: 'queue set to use the printer offline; no jobs waiting' });
  });

  it('low toner degrades', () => {
    expect(verdict('Epson L3150')).toMatchObject({ up: true, degraded: true, reason: 'marker_low', observations: obs(1, 20) });
  });

  it('counts only waiting jobs (not paused or printed ones) and is offline once the oldest passes stuck_after_seconds', () => {
    expect(verdict('Canon LBP6030 quầy 5')).toMatchObject({ up: true, observations: obs(1, 900) });
    expect(verdict('Canon LBP6030 quầy 5', 600)).toMatchObject({ up: false, reason: 'offline', message: 'oldest job waiting 900 s' });
  });

  it('a queue that is not there is missing', () => {
    expect(verdict('Máy in không có')).toMatchObject({ up: false, reason: 'missing', message: 'no printer queue "Máy in không có" (11 on this PC)' });
  });

  it('the spooler flagging an error without a cause is service_requested', () => {
    const s: SpoolerSnapshot = {
      now: 0,
      jobs: [],
      printers: [{ name: 'P', printerStatus: 3, printerState: 0x100000, detectedErrorState: 2, workOffline: false }],
    };
    expect(spoolerVerdict(s, 'P', {})).toMatchObject({ up: false, reason: 'service_requested' });
  });
});

describe('the spooler protocol in the printer probe', () => {
  it('parses its options strictly and checks the queue name', () => {
    expect(printerProbe.options.parse({ protocol: 'spooler' })).toEqual({ protocol: 'spooler' });
    expect(printerProbe.options.safeParse({ protocol: 'spooler', server: 'x' }).success).toBe(false);
    const opts = printerProbe.options.parse({ protocol: 'spooler', stuck_after_seconds: 300 });
    expect(printerProbe.targetProblem('Máy in quầy 3 (Canon LBP2900)', opts)).toBeUndefined();
    expect(printerProbe.targetProblem('\\\\srv-motcua\\Máy in chung', opts)).toBeUndefined();
    expect(printerProbe.targetProblem('a,b', opts)).toContain('not a Windows printer name');
    expect(spoolerTargetProblem('x\ny')).toBeDefined();
  });

  it('is Windows only, and cups is Linux only, said before running', () => {
    const spooler = printerProbe.options.parse({ protocol: 'spooler' });
    const cups = printerProbe.options.parse({ protocol: 'cups' });
    const ipp = printerProbe.options.parse({});
    expect(printerProbe.unsupportedOn?.('win32', spooler, 'Counter1')).toBeUndefined();
    expect(printerProbe.unsupportedOn?.('linux', spooler, 'Counter1')).toContain('only on Windows');
    expect(printerProbe.unsupportedOn?.('linux', cups, 'Counter1')).toBeUndefined();
    expect(printerProbe.unsupportedOn?.('win32', cups, 'Counter1')).toContain('no local cupsd on Windows');
    expect(printerProbe.unsupportedOn?.('win32', ipp, 'Counter1')).toBeUndefined();
    expect(printerProbe.unsupportedOn?.('linux', ipp, 'Counter1')).toBeUndefined();
  });
});
