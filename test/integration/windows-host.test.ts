import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleScript, requireWine, runNodeExe, WINE_PREFIX, winPath } from '../helpers/wine.js';
import { fsUsage } from '../../agent/probes/host-mounts.js';
import type { ProbeResult } from '../../agent/probes/types.js';

/*
 * The host probe's own code run as Windows code: bundled, started with the win-x64 node.exe under
 * Wine (a Windows 10 prefix). Wine has no route.exe, so the route part must come out unknown, with
 * its reason, while the check stays up with CPU, memory, drives and uptime. Run twice: with koffi
 * (the add-on the packaged agent embeds, here loaded from the win-x64 package) reading drive types
 * from kernel32, and without it (the slow letter list, said in the message). Also prints what each
 * way of reading costs in node.exe under Wine.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'cw-winhost-'));

const ENTRY = `
import { hostProbe } from './agent/probes/host.ts';
import { makeCtx } from './test/helpers/ctx.ts';
import { platformName } from './agent/platform/index.ts';
import { kernel32Drives, listDrives, probeLetters } from './agent/platform/win32/drives.ts';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
const print = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
// process.cpuUsage() under Wine moves in steps of a few ms: averaged over many calls.
const cost = (f, n) => {
  const b = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  const u = process.cpuUsage(b);
  return { cpuMs: (u.user + u.system) / 1000 / n, wallMs: (performance.now() - t) / n };
};
(async () => {
  print({ platform: platformName() });
  const sessions = new Map();
  const runs = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    const b = process.cpuUsage();
    const r = await hostProbe.run('', {}, makeCtx({ timeoutMs: 5000, sessions }));
    const u = process.cpuUsage(b);
    runs.push({ result: r, cpuMs: (u.user + u.system) / 1000, wallMs: performance.now() - t });
    await new Promise((res) => setTimeout(res, 200));
  }
  print({ runs });
  const figures = { networkInterfaces: cost(() => os.networkInterfaces(), 200) };
  try {
    kernel32Drives();
    figures.kernel32 = cost(() => listDrives(kernel32Drives()), 200);
  } catch {}
  const t = performance.now();
  await probeLetters();
  figures.probeLetters = { wallMs: performance.now() - t };
  // A process of System32 like route.exe (which Wine lacks): what one route read costs at least.
  figures.spawn = cost(() => execFileSync(process.env.SystemRoot + '\\\\System32\\\\hostname.exe', [], { windowsHide: true }), 20);
  print({ figures });
})();
`;

interface Output {
  platform: string;
  runs: Array<{ result: ProbeResult; cpuMs: number; wallMs: number }>;
  figures: Record<string, { cpuMs?: number; wallMs: number }>;
}

/** Runs a bundle with node.exe under Wine and collects its three JSON lines. */
async function runBundle(script: string): Promise<Output> {
  const p = runNodeExe(script);
  try {
    await p.waitForLine(/"figures"/, 120_000);
  } finally {
    await p.kill();
  }
  return Object.assign(
    {},
    ...p
      .stdout()
      .trim()
      .split(/\r?\n/)
      .map((l) => JSON.parse(l) as object),
  ) as Output;
}

/**
 * The bundle with koffi: common/native.ts requires 'koffi' relative to the bundle's own URL, where a
 * node_modules/koffi hands over the win-x64 binding itself, as the packaged agent's embedded add-on does.
 */
async function bundleWithKoffi(): Promise<string> {
  const name = 'addons.mjs';
  const { addonAssets } = (await import(join(ROOT, 'packaging', name))) as { addonAssets: (target: string) => Record<string, string> };
  const addon = addonAssets('win-x64')['koffi.node']!;
  const shim = join(dir, 'node_modules/koffi');
  mkdirSync(shim, { recursive: true });
  writeFileSync(join(shim, 'index.js'), `const b = require(${JSON.stringify(winPath(addon))});\nmodule.exports = { ...b, default: b };\n`);
  const outfile = join(dir, 'host-koffi.cjs');
  // The URL node.exe gives the bundle (file:///Z:/…), for createRequire to look beside it.
  await bundleScript(ENTRY, outfile, { 'import.meta.url': JSON.stringify(`file:///${encodeURI(winPath(outfile).replaceAll('\\', '/'))}`) });
  return outfile;
}

const metric = (r: ProbeResult, name: string) => (r.observations ?? []).filter((o) => o.metric === name);

/** What the host probe must show under Wine, with or without koffi. */
function expectWineHost(out: Output): void {
  expect(out.platform).toBe('win32');
  for (const { result: r } of out.runs) {
    expect(r).toMatchObject({ up: true, degraded: true });
    const cpu = metric(r, 'cpu_usage_ratio')[0]!.value;
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(1);
    const total = metric(r, 'memory_total_bytes')[0]!.value;
    expect(total).toBeGreaterThan(64 * 1024 * 1024);
    expect(metric(r, 'memory_used_bytes')[0]!.value).toBeGreaterThan(0);
    expect(metric(r, 'memory_used_ratio')[0]!.value).toBeLessThan(1);
    expect(metric(r, 'uptime_seconds')[0]!.value).toBeGreaterThan(0);
    // Wine's C: is .cache/wine/drive_c. libuv's statfs on Windows (GetDiskFreeSpaceW) gives one free
    // count, what the caller may write, as both bfree and bavail: a Linux filesystem's blocks reserved
    // for root count as used there (NTFS reserves none). So: Linux's bavail, seen as Windows sees it.
    const here = statfsSync(join(WINE_PREFIX, 'drive_c'));
    const expected = fsUsage({ bsize: here.bsize, blocks: here.blocks, bfree: here.bavail, bavail: here.bavail });
    const c = metric(r, 'filesystem_used_ratio').find((o) => o.labels?.mount === 'C:\\');
    expect(c).toBeDefined();
    expect(c!.value).toBeGreaterThan(0);
    expect(c!.value).toBeLessThan(1);
    expect(c!.value).toBeCloseTo(expected.usedRatio, 2);
    const free = metric(r, 'filesystem_free_bytes').find((o) => o.labels?.mount === 'C:\\')!.value;
    expect(Math.abs(free - expected.freeBytes)).toBeLessThan(256 * 1024 * 1024);
    // The route part: unknown, with why, no presence claimed either way; the change counter still there.
    expect(r.message).toContain('default route unknown: route.exe not found');
    expect(metric(r, 'default_route_present')).toEqual([]);
    expect(metric(r, 'default_route_info')).toEqual([]);
    expect(metric(r, 'default_route_changes_total')).toEqual([{ metric: 'default_route_changes_total', value: 0 }]);
  }
}

function report(label: string, out: Output): void {
  const runs = out.runs.map((r) => `${r.cpuMs.toFixed(1)}/${r.wallMs.toFixed(1)}`).join(' ');
  const f = Object.entries(out.figures)
    .map(([k, v]) => `${k} ${v.cpuMs === undefined ? '' : `${v.cpuMs.toFixed(2)} ms CPU, `}${v.wallMs.toFixed(2)} ms wall`)
    .join('; ');
  console.log(`windows host (${label}): runs CPU/wall ms ${runs}; ${f}`);
}

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('host probe as Windows code under Wine', () => {
  it('with koffi: up with CPU, memory, C: and uptime; the route unknown because Wine has no route.exe', async (t) => {
    if (!requireWine()) return t.skip();
    const out = await runBundle(await bundleWithKoffi());
    report('koffi', out);
    expectWineHost(out);
    for (const { result: r } of out.runs) {
      expect(r.reason).toBe('missing_binary');
      expect(r.message).not.toContain('drive types unknown');
    }
    expect(out.figures.kernel32).toBeDefined();
  }, 180_000);

  it('without koffi: the same, the drives found by the slow list, and the message says so', async (t) => {
    if (!requireWine()) return t.skip();
    const out = await runBundle(await bundleScript(ENTRY, join(dir, 'host-plain.cjs')));
    report('no koffi', out);
    expectWineHost(out);
    for (const { result: r } of out.runs) expect(r.message).toContain('drive types unknown: kernel32 not reachable through koffi');
    expect(out.figures.kernel32).toBeUndefined();
  }, 180_000);
});
