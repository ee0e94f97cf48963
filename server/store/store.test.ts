import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCalendar } from '../calendar.js';
import { openSqliteStore, type Store, type StoredAlert } from './store.js';

/** An instant from a Vietnam local time (UTC+7). */
const vn = (local: string): number => Date.parse(`${local}:00+07:00`);
const MIN = 60_000;

let dir: string;
let file: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'centerwatch-store-'));
  file = join(dir, 'engine.db');
  store = openSqliteStore(file);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
/** Closes and reopens the file, as a server restart does. */
const restart = (): void => {
  store.close();
  store = openSqliteStore(file);
};

describe('notification outbox', () => {
  const msg = { key: 'qn:sa-huynh:lines:firing', route: 'telegram-oncall', payload: { text: 'Phường Sa Huỳnh: mất kết nối' }, notBeforeMs: 1000 };

  it('keeps one row per idempotency key, before and after it was sent', () => {
    const first = store.enqueue(msg);
    expect(first.created).toBe(true);
    expect(store.enqueue({ ...msg, payload: { text: 'other' }, notBeforeMs: 0 })).toEqual({ id: first.id, created: false });
    expect(store.due(10_000, 100)).toEqual([{ id: first.id, ...msg, attempts: 0, status: 'pending' }]);
    store.markSent(first.id, 2000);
    restart();
    expect(store.enqueue(msg)).toEqual({ id: first.id, created: false });
    expect(store.due(Number.MAX_SAFE_INTEGER, 100)).toEqual([]);
    expect(store.outboxEntry(first.id)).toMatchObject({ status: 'sent', sentAtMs: 2000, payload: msg.payload });
  });

  it('keeps the retry schedule across restarts', () => {
    const { id } = store.enqueue(msg);
    expect(store.due(999, 10)).toEqual([]); // held until notBefore
    expect(store.due(1000, 10).map((e) => e.id)).toEqual([id]);
    store.markFailed(id, 31_000, 'connect ECONNREFUSED 127.0.0.1:9');
    restart();
    expect(store.due(30_999, 10)).toEqual([]);
    expect(store.due(31_000, 10)).toEqual([{ id, ...msg, notBeforeMs: 31_000, attempts: 1, status: 'pending', lastError: 'connect ECONNREFUSED 127.0.0.1:9' }]);
    store.markFailed(id, 91_000, 'HTTP 502');
    restart();
    expect(store.due(90_999, 10)).toEqual([]);
    expect(store.due(91_000, 10)).toMatchObject([{ id, attempts: 2, lastError: 'HTTP 502' }]);
    store.markSent(id, 91_500);
    store.markFailed(id, 200_000, 'late failure report'); // a sent message stays sent
    restart();
    expect(store.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect(store.outboxEntry(id)).toMatchObject({ status: 'sent', attempts: 2, sentAtMs: 91_500 });
  });

  it('keeps what was committed when the process is killed with SIGKILL', async () => {
    store.close();
    const script = join(dir, 'writer.ts');
    const storeTs = fileURLToPath(new URL('./store.ts', import.meta.url));
    writeFileSync(
      script,
      `
      import { openSqliteStore } from ${JSON.stringify(storeTs)};
      const s = openSqliteStore(${JSON.stringify(file)});
      const { id } = s.enqueue({ key: 'crash', route: 'webhook', payload: { n: 1 }, notBeforeMs: 1000 });
      s.markFailed(id, 61_000, 'HTTP 503');
      process.stdout.write('committed\\n');
      setInterval(() => {}, 1000); // stay up, store open, until killed
    `,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('committed') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    store = openSqliteStore(file);
    expect(store.due(60_999, 10)).toEqual([]);
    expect(store.due(61_000, 10)).toEqual([
      { id: 1, key: 'crash', route: 'webhook', payload: { n: 1 }, notBeforeMs: 61_000, attempts: 1, status: 'pending', lastError: 'HTTP 503' },
    ]);
  });

  it('hands out due messages earliest first, at most limit', () => {
    const c = store.enqueue({ ...msg, key: 'c', notBeforeMs: 300 }).id;
    const a = store.enqueue({ ...msg, key: 'a', notBeforeMs: 100 }).id;
    const b = store.enqueue({ ...msg, key: 'b', notBeforeMs: 200 }).id;
    store.enqueue({ ...msg, key: 'later', notBeforeMs: 5000 });
    expect(store.due(1000, 10).map((e) => e.id)).toEqual([a, b, c]);
    expect(store.due(1000, 2).map((e) => e.key)).toEqual(['a', 'b']);
  });
});

describe('alerts, history and acknowledgements', () => {
  const firing: StoredAlert = {
    id: 'qn:sa-huynh:lines#1',
    province: 'quang-ngai',
    center: 'sa-huynh',
    group: 'lines',
    labels: { line: 'inet1' },
    status: 'firing',
    severity: 'critical',
    sinceMs: vn('2026-11-30T08:12'),
    firedAtMs: vn('2026-11-30T08:13'),
  };

  it('keeps the alert as it is now and one history row per action', () => {
    store.saveAlert(firing, { action: 'fire', atMs: firing.firedAtMs, detail: { routes: ['telegram-oncall'] } });
    store.acknowledge({ alertId: firing.id, by: 'nguyen.an', atMs: vn('2026-11-30T08:20'), comment: 'đang gọi VNPT' });
    const resolved = { ...firing, status: 'resolved' as const, resolvedAtMs: vn('2026-11-30T08:40') };
    store.saveAlert(resolved, { action: 'resolve', atMs: resolved.resolvedAtMs });
    restart();
    expect(store.getAlert(firing.id)).toEqual(resolved);
    expect(store.alertHistory(firing.id)).toEqual([
      { alertId: firing.id, action: 'fire', atMs: firing.firedAtMs, detail: { routes: ['telegram-oncall'] } },
      { alertId: firing.id, action: 'acknowledged', atMs: vn('2026-11-30T08:20'), detail: { by: 'nguyen.an' } },
      { alertId: firing.id, action: 'resolve', atMs: vn('2026-11-30T08:40') },
    ]);
    expect(store.acknowledgements(firing.id)).toEqual([{ alertId: firing.id, by: 'nguyen.an', atMs: vn('2026-11-30T08:20'), comment: 'đang gọi VNPT' }]);
    expect(store.getAlert('nope')).toBeUndefined();
  });

  it('lists firing alerts and the alerts of a time span', () => {
    const other = { ...firing, id: 'qn:tinh-phong:printer#1', center: 'tinh-phong', severity: 'warning' as const, firedAtMs: vn('2026-11-30T09:00') };
    const old = { ...firing, id: 'qn:sa-huynh:lines#0', status: 'resolved' as const, firedAtMs: vn('2026-11-29T08:00'), resolvedAtMs: vn('2026-11-29T08:30') };
    for (const a of [firing, other, old]) store.saveAlert(a, { action: a.status === 'firing' ? 'fire' : 'resolve', atMs: a.firedAtMs });
    expect(store.firingAlerts().map((a) => a.id)).toEqual([firing.id, other.id]);
    expect(store.firingAlerts('tinh-phong').map((a) => a.id)).toEqual([other.id]);
    expect(store.alertsBetween(vn('2026-11-30T00:00'), vn('2026-12-01T00:00')).map((a) => a.id)).toEqual([firing.id, other.id]);
    expect(store.alertsBetween(vn('2026-11-29T00:00'), vn('2026-11-30T00:00')).map((a) => a.id)).toEqual([old.id]);
  });

  it('refuses an acknowledgement of an alert it does not know', () => {
    expect(() => store.acknowledge({ alertId: 'ghost', by: 'x', atMs: 0, comment: '' })).toThrow(/FOREIGN KEY/);
    expect(store.alertHistory('ghost')).toEqual([]); // the history row went with the failed transaction
  });
});

describe('uptime share in office hours', () => {
  const cal = defaultCalendar();
  const center = (to: string, at: string, from?: string): void => store.recordTransition({ kind: 'center', entity: 'sa-huynh', from, to, atMs: vn(at) });

  it('counts a blocked spell at 09:00 and not one over lunch, exactly', () => {
    // Monday 30/11/2026: office 07:30–11:30 + 13:30–17:00 = 450 min.
    center('ready', '2026-11-27T16:00'); // known ready since the Friday before
    center('blocked', '2026-11-30T09:00', 'ready');
    center('ready', '2026-11-30T09:30', 'blocked');
    center('blocked', '2026-11-30T12:00', 'ready'); // lunch: counters closed, not counted
    center('ready', '2026-11-30T13:00', 'blocked');
    // A check of the same name does not count for the center.
    store.recordTransition({ kind: 'check', entity: 'sa-huynh', from: 'ok', to: 'down', atMs: vn('2026-11-30T14:00') });
    restart();
    const day = store.uptimeShare('sa-huynh', vn('2026-11-30T00:00'), vn('2026-12-01T00:00'), cal);
    expect(day).toEqual({ share: 420 / 450, readyMs: 420 * MIN, officeMs: 450 * MIN, unknownMs: 0 });
    // Starting inside the blocked spell: the state at the start comes from the transition before it.
    expect(store.uptimeShare('sa-huynh', vn('2026-11-30T09:15'), vn('2026-11-30T17:00'), cal)).toEqual({
      share: 330 / 345,
      readyMs: 330 * MIN,
      officeMs: 345 * MIN,
      unknownMs: 0,
    });
    expect(store.uptimeShare('sa-huynh', vn('2026-11-29T00:00'), vn('2026-11-30T00:00'), cal).share).toBeUndefined(); // Sunday
  });

  it('counts office time before the first known state as unknown, not ready', () => {
    center('ready', '2026-11-30T08:00');
    expect(store.uptimeShare('sa-huynh', vn('2026-11-30T00:00'), vn('2026-12-01T00:00'), cal)).toEqual({
      share: 420 / 450,
      readyMs: 420 * MIN,
      officeMs: 450 * MIN,
      unknownMs: 30 * MIN,
    });
  });
});

describe('silences', () => {
  const matchers = [{ label: 'center', op: '=' as const, value: 'sa-huynh' }];

  it('is active from its start (inclusive) to its end (exclusive), and ends early when expired', () => {
    const id = store.addSilence({ matchers, startsMs: vn('2026-11-30T09:00'), endsMs: vn('2026-11-30T10:00'), createdBy: 'ops', comment: 'thay modem' });
    const active = (t: number): number[] => store.activeSilences(t).map((s) => s.id);
    expect(active(vn('2026-11-30T09:00') - 1)).toEqual([]);
    expect(store.activeSilences(vn('2026-11-30T09:00'))).toEqual([
      { id, matchers, startsMs: vn('2026-11-30T09:00'), endsMs: vn('2026-11-30T10:00'), createdBy: 'ops', comment: 'thay modem' },
    ]);
    expect(active(vn('2026-11-30T10:00') - 1)).toEqual([id]);
    expect(active(vn('2026-11-30T10:00'))).toEqual([]);
    expect(store.expireSilence(id, vn('2026-11-30T09:30'))).toBe(true);
    restart();
    expect(active(vn('2026-11-30T09:29'))).toEqual([id]);
    expect(active(vn('2026-11-30T09:30'))).toEqual([]);
    expect(store.expireSilence(id, vn('2026-11-30T09:45'))).toBe(false); // already over
  });

  it('never applies a silence expired before it began, nor one ending before it starts', () => {
    const id = store.addSilence({ matchers, startsMs: 5000, endsMs: 9000, createdBy: 'ops' });
    expect(store.expireSilence(id, 1000)).toBe(true);
    expect([1000, 5000, 8999].flatMap((t) => store.activeSilences(t))).toEqual([]);
    expect(() => store.addSilence({ matchers, startsMs: 5000, endsMs: 5000, createdBy: 'ops' })).toThrow(RangeError);
  });

  it('applies a recurring silence only within its period and when its rule says so', () => {
    const id = store.addSilence({ matchers, startsMs: vn('2026-11-01T00:00'), endsMs: vn('2027-01-01T00:00'), recurring: 'sat 06:00-08:00', createdBy: 'ops' });
    const saturday6 = (rule: string, t: number): boolean => rule === 'sat 06:00-08:00' && new Date(t + 7 * 3600_000).getUTCDay() === 6;
    expect(store.activeSilences(vn('2026-11-28T07:00'), saturday6).map((s) => s.id)).toEqual([id]);
    expect(store.activeSilences(vn('2026-11-28T07:00'))).toEqual([]); // no evaluator: not applied
    expect(store.activeSilences(vn('2026-11-30T07:00'), saturday6)).toEqual([]); // a Monday
    expect(store.activeSilences(vn('2027-01-02T07:00'), saturday6)).toEqual([]); // after its period
  });
});

describe(':memory:', () => {
  it('opens an in-memory store with the whole schema', () => {
    const mem = openSqliteStore(':memory:');
    expect(mem.enqueue({ key: 'k', route: 'r', payload: null, notBeforeMs: 0 })).toEqual({ id: 1, created: true });
    mem.close();
  });
});

describe('retention (prune)', () => {
  const cut = vn('2026-12-01T00:00');
  const base: StoredAlert = {
    id: 'qn:sa-huynh:lines#1',
    province: 'quang-ngai',
    center: 'sa-huynh',
    group: 'lines',
    labels: {},
    status: 'resolved',
    severity: 'critical',
    sinceMs: vn('2026-11-02T08:00'),
    firedAtMs: vn('2026-11-02T08:01'),
    resolvedAtMs: vn('2026-11-02T09:00'),
  };

  it('deletes what is old and settled, keeps what is firing, pending or still in force', () => {
    // Alerts: one resolved long ago (with an acknowledgement), one resolved after the cut, one firing since long ago.
    const { resolvedAtMs: _, ...firing } = base;
    store.saveAlert({ ...firing, status: 'firing' }, { action: 'fire', atMs: base.firedAtMs });
    store.acknowledge({ alertId: base.id, by: 'nguyen.an', atMs: vn('2026-11-02T08:10'), comment: '' });
    store.saveAlert(base, { action: 'resolve', atMs: base.resolvedAtMs! });
    const recent = { ...base, id: 'qn:sa-huynh:lines#2', firedAtMs: vn('2026-11-30T23:00'), resolvedAtMs: cut };
    store.saveAlert(recent, { action: 'resolve', atMs: cut });
    const stuck: StoredAlert = { ...firing, id: 'qn:ba-to:power#1', center: 'ba-to', status: 'firing' };
    store.saveAlert(stuck, { action: 'fire', atMs: stuck.firedAtMs });

    // Transitions: sa-huynh has three before the cut and one after; ba-to one before; a check one exactly at the cut.
    const t = (kind: 'check' | 'center', entity: string, to: string, at: number): void =>
      store.recordTransition({ kind, entity, from: undefined, to, atMs: at });
    t('center', 'sa-huynh', 'ready', vn('2026-11-01T08:00'));
    t('center', 'sa-huynh', 'blocked', vn('2026-11-20T09:00'));
    t('center', 'sa-huynh', 'ready', vn('2026-11-20T09:30'));
    t('center', 'sa-huynh', 'degraded', vn('2026-12-01T10:00'));
    t('center', 'ba-to', 'ready', vn('2026-10-01T08:00'));
    t('check', 'sa-huynh', 'down', vn('2026-11-05T08:00')); // same entity name, other kind: kept as its own last
    t('check', 'inet1', 'up', vn('2026-11-05T08:00'));
    t('check', 'inet1', 'down', cut);

    // Outbox: sent before the cut, sent at it, pending since long ago, given up before and at the cut.
    const sentOld = store.enqueue({ key: 'old', route: 'r', payload: 1, notBeforeMs: 0 }).id;
    store.markSent(sentOld, cut - 1);
    const sentNew = store.enqueue({ key: 'new', route: 'r', payload: 2, notBeforeMs: 0 }).id;
    store.markSent(sentNew, cut);
    const pending = store.enqueue({ key: 'pending', route: 'r', payload: 3, notBeforeMs: 0 }).id;
    const gaveUpOld = store.enqueue({ key: 'gave-up-old', route: 'r2', payload: 4, notBeforeMs: 0 }).id;
    store.markGivenUp(gaveUpOld, cut - 1, 'HTTP 400');
    const gaveUpNew = store.enqueue({ key: 'gave-up-new', route: 'r3', payload: 5, notBeforeMs: 0 }).id;
    store.markGivenUp(gaveUpNew, cut, 'HTTP 400');

    // Silences: ended before the cut, ending exactly at it, still running.
    const matchers = [{ label: 'center', op: '=' as const, value: 'sa-huynh' }];
    store.addSilence({ matchers, startsMs: vn('2026-11-02T00:00'), endsMs: vn('2026-11-03T00:00'), createdBy: 'ops' });
    const atCut = store.addSilence({ matchers, startsMs: vn('2026-11-30T00:00'), endsMs: cut, createdBy: 'ops' });
    const running = store.addSilence({
      matchers,
      startsMs: vn('2026-11-01T00:00'),
      endsMs: vn('2027-01-01T00:00'),
      recurring: 'weekly sat 07:00-09:00',
      createdBy: 'ops',
    });

    const uptimeBefore = store.uptimeShare('sa-huynh', cut, vn('2026-12-02T00:00'), defaultCalendar());
    expect(store.prune(cut)).toEqual({ alerts: 1, transitions: 2, outbox: 2, silences: 1 });
    restart();

    expect(store.getAlert(base.id)).toBeUndefined();
    expect(store.alertHistory(base.id)).toEqual([]);
    expect(store.acknowledgements(base.id)).toEqual([]);
    expect(store.getAlert(recent.id)).toEqual(recent);
    expect(store.getAlert(stuck.id)).toEqual(stuck);
    expect(store.alertHistory(stuck.id)).toHaveLength(1);

    const all = (kind: 'check' | 'center', entity: string): string[] => store.transitions(kind, entity, 0, Number.MAX_SAFE_INTEGER).map((x) => x.to);
    expect(all('center', 'sa-huynh')).toEqual(['ready', 'degraded']); // the 09:30 ready survives: in force at the cut
    expect(store.transitions('center', 'sa-huynh', 0, cut)[0]!.atMs).toBe(vn('2026-11-20T09:30'));
    expect(all('center', 'ba-to')).toEqual(['ready']);
    expect(all('check', 'sa-huynh')).toEqual(['down']);
    expect(all('check', 'inet1')).toEqual(['up', 'down']);
    // The uptime of a span starting at the cut is what it was before pruning.
    expect(store.uptimeShare('sa-huynh', cut, vn('2026-12-02T00:00'), defaultCalendar())).toEqual(uptimeBefore);
    expect(uptimeBefore.unknownMs).toBe(0);

    expect(store.outboxEntry(sentOld)).toBeUndefined();
    expect(store.outboxEntry(sentNew)).toMatchObject({ status: 'sent' });
    expect(store.outboxEntry(pending)).toMatchObject({ status: 'pending' });
    expect(store.outboxEntry(gaveUpOld)).toBeUndefined();
    expect(store.outboxEntry(gaveUpNew)).toMatchObject({ status: 'failed' });
    // A pruned key may be queued again: it is long past any retry.
    expect(store.enqueue({ key: 'old', route: 'r', payload: 1, notBeforeMs: 0 }).created).toBe(true);

    expect(store.activeSilences(cut - 1).map((s) => s.id)).toEqual([atCut]); // ends exactly at the cut: not before it
    expect(store.activeSilences(vn('2026-12-05T08:00'), () => true).map((s) => s.id)).toEqual([running]);

    // Nothing left to do the second time.
    expect(store.prune(cut)).toEqual({ alerts: 0, transitions: 0, outbox: 0, silences: 0 });
  });

  it('keeps the last transition of an entity even when it is the only one', () => {
    store.recordTransition({ kind: 'center', entity: 'x', from: undefined, to: 'ready', atMs: 1000 });
    expect(store.prune(5000)).toEqual({ alerts: 0, transitions: 0, outbox: 0, silences: 0 });
    expect(store.transitions('center', 'x', 0, 5000)).toHaveLength(1);
  });

  it('finds the latest history row of an action', () => {
    const { resolvedAtMs: _, ...rest } = base;
    const firing: StoredAlert = { ...rest, status: 'firing' };
    store.saveAlert(firing, { action: 'fire', atMs: 1000 });
    expect(store.lastHistory(firing.id, 'escalated')).toBeUndefined();
    store.saveAlert(firing, { action: 'escalated', atMs: 2000, detail: { route: 'lead' } });
    store.saveAlert(firing, { action: 'escalated', atMs: 3000, detail: { route: 'director' } });
    store.saveAlert(firing, { action: 'notified', atMs: 4000 });
    expect(store.lastHistory(firing.id, 'escalated')).toEqual({ alertId: firing.id, action: 'escalated', atMs: 3000, detail: { route: 'director' } });
    expect(store.lastHistory('ghost', 'escalated')).toBeUndefined();
  });
});
