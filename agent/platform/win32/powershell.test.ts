import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { frameScript, POWERSHELL_ARGS, PowerShellSession, type PowerShellOptions } from './powershell.js';
import { leasePowerShell, configureSharedPowerShell, sharedPowerShellLeases } from './powershell-shared.js';

/*
 * The session against test/helpers/fake-powershell.mjs, a node script speaking the same framing:
 * there is no PowerShell on this Linux machine (and none under Wine), so what is tested here is our
 * side of the conversation; the real shell's side is frameScript's text, checked below as text.
 */

const FAKE = fileURLToPath(new URL('../../../test/helpers/fake-powershell.mjs', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/windows/cim/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cw-ps-'));
const sessions: PowerShellSession[] = [];
let logs = 0;

function fake(env: Record<string, string> = {}, o: PowerShellOptions = {}): { s: PowerShellSession; logFile: string } {
  const logFile = join(dir, `log-${++logs}.jsonl`);
  Object.assign(process.env, { FAKE_PS_LOG: logFile, FAKE_PS_ANSWERS: JSON.stringify({ Win32_PnPEntity: join(FIXTURES, 'usb-devices-vi.json') }), ...env });
  const s = new PowerShellSession({ command: process.execPath, args: [FAKE, ...POWERSHELL_ARGS], ...o });
  sessions.push(s);
  return { s, logFile };
}

function starts(logFile: string): { pid: number; t: number }[] {
  return readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; pid: number; t: number })
    .filter((e) => e.event === 'start');
}

const timeout = (ms: number) => AbortSignal.timeout(ms);

afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  sessions.length = 0;
  for (const k of ['FAKE_PS_DIE_ON_START', 'FAKE_PS_CHUNK']) delete process.env[k];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('frameScript', () => {
  it('is one ASCII line that converts the value with -Compress -Depth 3 and frames it with the marker', () => {
    const line = frameScript('@{ devices = @(Get-CimInstance -ClassName Win32_PnPEntity -Filter "PNPDeviceID LIKE \'USB\\\\%\'") }', 'CWabcQ1');
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^[\x20-\x7e]+$/);
    expect(line).toContain('ConvertTo-Json -InputObject $__cw -Compress -Depth 3');
    expect(line).toContain('"CWabcQ1 OK"');
    expect(line).toContain('"CWabcQ1 ERR"');
    expect(line).toContain('"CWabcQ1 END"');
  });
});

describe('PowerShellSession against the fake shell', () => {
  it('starts one shell with the agent flags and the UTF-8 prelude, and keeps Vietnamese names intact across split chunks', async () => {
    const { s, logFile } = fake({ FAKE_PS_CHUNK: '7' });
    const a = await s.query('@{ devices = @(Get-CimInstance -ClassName Win32_PnPEntity) }', timeout(5000));
    const b = await s.query('@{ devices = @(Get-CimInstance -ClassName Win32_PnPEntity) }', timeout(5000));
    expect(a.ok).toBe(true);
    expect(JSON.stringify(a)).toContain('Thiết bị tổng hợp USB');
    expect(b).toEqual(a);
    const log = readFileSync(logFile, 'utf8');
    expect(starts(logFile)).toHaveLength(1);
    expect(log).toContain('"argv":["-NoLogo","-NoProfile","-NonInteractive","-ExecutionPolicy","Bypass","-Command","-"]');
    expect(log).toContain('[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false');
  });

  it('runs queries one at a time, in order', async () => {
    const { s, logFile } = fake();
    const answers = await Promise.all([1, 2, 3, 4].map(() => s.query("'fake:slow'", timeout(5000))));
    expect(answers.map((a) => (a.ok ? (a.value as { n: number }).n : -1))).toEqual([1, 2, 3, 4]);
    // Each query was written only after the one before had answered (the fake takes 150 ms).
    const sent = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; text?: string; t: number })
      .filter((e) => e.text?.includes('fake:slow'))
      .map((e) => e.t);
    expect(sent).toHaveLength(4);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(140);
  });

  it('ignores stray output outside the frame', async () => {
    const { s } = fake();
    expect(await s.query("'fake:stray'", timeout(5000))).toEqual({ ok: true, value: {} });
  });

  it('kills a hung shell at the deadline and answers the next query from a fresh one at once', async () => {
    const { s, logFile } = fake();
    const t0 = performance.now();
    const hung = await s.query("'fake:hang'", timeout(300));
    expect(performance.now() - t0).toBeLessThan(300 + 200);
    expect(hung).toMatchObject({ ok: false, failure: 'timeout' });
    const t1 = performance.now();
    const next = await s.query("'fake:echo'", timeout(5000));
    expect(next.ok).toBe(true);
    expect(performance.now() - t1).toBeLessThan(2000);
    expect(starts(logFile)).toHaveLength(2);
  });

  it('fails a query queued behind a hung one when its own deadline passes first', async () => {
    const { s } = fake();
    const hung = s.query("'fake:hang'", timeout(400));
    const queued = await s.query("'fake:echo'", timeout(100));
    expect(queued).toMatchObject({ ok: false, failure: 'timeout' });
    expect(await hung).toMatchObject({ ok: false, failure: 'timeout' });
  });

  it('garbage without a frame is a timeout, not an answer', async () => {
    const { s } = fake();
    expect(await s.query("'fake:garbage'", timeout(300))).toMatchObject({ ok: false, failure: 'timeout' });
  });

  it('a frame that is not JSON is a protocol failure and the shell stays', async () => {
    const { s, logFile } = fake();
    expect(await s.query("'fake:badjson'", timeout(5000))).toMatchObject({ ok: false, failure: 'protocol' });
    expect((await s.query("'fake:echo'", timeout(5000))).ok).toBe(true);
    expect(starts(logFile)).toHaveLength(1);
  });

  it('an exception in the shell is an error naming its type and HRESULT, not its (localized) message', async () => {
    const { s } = fake();
    const a = await s.query("'fake:throw'", timeout(5000));
    expect(a).toEqual({ ok: false, failure: 'error', detail: 'Microsoft.Management.Infrastructure.CimException 0x80131500' });
  });

  it('bounds the answer: past the limit the shell is killed and the next query gets a fresh one', async () => {
    const { s, logFile } = fake({}, { maxAnswerBytes: 1024 * 1024 });
    const t0 = performance.now();
    expect(await s.query("'fake:huge'", timeout(5000))).toMatchObject({ ok: false, failure: 'too_large' });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect((await s.query("'fake:echo'", timeout(5000))).ok).toBe(true);
    expect(starts(logFile)).toHaveLength(2);
  });

  it('a shell that dies is restarted, waiting longer after each death in a row', async () => {
    const { s, logFile } = fake({}, { backoffMs: 200, maxBackoffMs: 1000 });
    expect(await s.query("'fake:die'", timeout(5000))).toMatchObject({ ok: false, failure: 'died' });
    expect(await s.query("'fake:die'", timeout(5000))).toMatchObject({ ok: false, failure: 'died' });
    expect(await s.query("'fake:die'", timeout(5000))).toMatchObject({ ok: false, failure: 'died' });
    const ok = await s.query("'fake:echo'", timeout(5000));
    expect(ok.ok).toBe(true);
    const t = starts(logFile).map((e) => e.t);
    expect(t).toHaveLength(4);
    // Waits of 200, 400 and 800 ms (plus node's start-up) between the starts.
    expect(t[1]! - t[0]!).toBeGreaterThanOrEqual(200);
    expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(400);
    expect(t[3]! - t[2]!).toBeGreaterThanOrEqual(800);
    // A success resets the backoff: the next death waits the first step again.
    expect(await s.query("'fake:die'", timeout(5000))).toMatchObject({ ok: false, failure: 'died' });
    const t4 = performance.now();
    expect((await s.query("'fake:echo'", timeout(5000))).ok).toBe(true);
    expect(performance.now() - t4).toBeLessThan(800);
  });

  it('a restart wait longer than the deadline is a timeout, not a hang', async () => {
    const { s } = fake({}, { backoffMs: 5000 });
    expect(await s.query("'fake:die'", timeout(5000))).toMatchObject({ ok: false, failure: 'died' });
    const t0 = performance.now();
    expect(await s.query("'fake:echo'", timeout(200))).toMatchObject({ ok: false, failure: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(400);
  });

  it('a shell that cannot start is a spawn failure', async () => {
    const s = new PowerShellSession({ command: join(dir, 'no-such-powershell.exe') });
    sessions.push(s);
    expect(await s.query("'x'", timeout(2000))).toMatchObject({ ok: false, failure: 'spawn', detail: 'ENOENT' });
  });

  it('close ends the shell with exit and fails the query in flight', async () => {
    const { s, logFile } = fake();
    expect((await s.query("'fake:echo'", timeout(5000))).ok).toBe(true);
    const pid = s.pid!;
    const hung = s.query("'fake:hang'", timeout(5000));
    await new Promise((r) => setTimeout(r, 50));
    await s.close();
    expect(await hung).toMatchObject({ ok: false, failure: 'closed' });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(readFileSync(logFile, 'utf8')).toContain('"text":"exit"');
    expect(await s.query("'fake:echo'", timeout(5000))).toMatchObject({ ok: false, failure: 'closed' });
  });
});

describe('the shared shell', () => {
  it('is one session for every lease and closes with the last one', async () => {
    configureSharedPowerShell({ command: process.execPath, args: [FAKE, ...POWERSHELL_ARGS] });
    const a = leasePowerShell();
    const b = leasePowerShell();
    expect(a.shell).toBe(b.shell);
    expect((await a.shell.query("'fake:echo'", timeout(5000))).ok).toBe(true);
    const pid = a.shell.pid!;
    await a.close();
    await a.close(); // twice is once
    expect(sharedPowerShellLeases()).toBe(1);
    expect(() => process.kill(pid, 0)).not.toThrow();
    await b.close();
    expect(sharedPowerShellLeases()).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
    const c = leasePowerShell();
    expect(c.shell).not.toBe(a.shell);
    await c.close();
    configureSharedPowerShell({});
  });
});
