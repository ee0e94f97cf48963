/**
 * npm run bench:page — the readiness page for the whole country: 3,321 centers (one agent each) fed by
 * the simulator into the server bin, 5 % of them with faults. Measured:
 *  1. server response time of GET / (time to the last byte, 30 requests): target under 300 ms;
 *  2. first render in headless Chromium (first contentful paint, 5 loads): target under 1.5 s.
 * Baseline in the same run: the very same HTML bytes served from memory by a bare node:http server
 * (what sending and drawing that page costs with no work on the server) — ratios against it.
 *
 * Env: BENCH_CENTERS (default 3321), BENCH_SERIES (default 60 series per agent; the page reads few).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildFleet, serverTokensYaml, type Fault } from './simulator/fleet.js';
import { runFleet } from './simulator/run.js';
import { percentile } from './simulator/stats.js';
import { startBin } from '../test/helpers/bins.js';
import { freePort } from '../test/helpers/prometheus.js';

const CENTERS = Number(process.env.BENCH_CENTERS ?? 3321);
const SERIES = Number(process.env.BENCH_SERIES ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return { ms: performance.now() - t, bytes: body.byteLength };
}

async function responseTimes(url: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await timedGet(url)).ms);
  return out;
}

async function firstPaints(url: string, n: number): Promise<Array<{ fcp: number; dcl: number }>> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const out: Array<{ fcp: number; dcl: number }> = [];
  try {
    for (let i = 0; i < n; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
      out.push(
        await page.evaluate(() => ({
          fcp: performance.getEntriesByName('first-contentful-paint')[0]!.startTime,
          dcl: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
        })),
      );
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const med = (xs: number[]) => percentile(sorted(xs), 0.5);
const p95 = (xs: number[]) => percentile(sorted(xs), 0.95);
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-page-'));
  const port = await freePort();
  const fleet = buildFleet({ centers: CENTERS, agentsPerCenter: 1, seed: 'bench-page' });
  const faults: Fault[] = fleet
    .filter((_, i) => i % 20 === 7)
    .map((a, i) => ({ center: a.center, checks: i % 2 ? ['line-tslcd', 'line-inet1', 'line-inet2'] : ['printer-counter'] }));
  writeFileSync(join(dir, 'server.yaml'), `listen: 127.0.0.1:${port}\ndata_dir: data\n${serverTokensYaml(fleet, 'bench-page')}engine: { interval: 1s }\n`);
  const server = startBin('centerwatch-server', ['--config', join(dir, 'server.yaml')]);
  const base = `http://127.0.0.1:${port}`;
  const sim = runFleet({ url: `${base}/api/v1/write`, agents: fleet, seriesPerAgent: SERIES, intervalMs: 15_000, faults });
  try {
    for (let i = 0; ; i++) {
      await sleep(1000);
      const n = await fetch(`${base}/api/v1/centers`)
        .then((r) => r.json() as Promise<{ centers: unknown[] }>)
        .then((j) => j.centers.length)
        .catch(() => 0);
      if (n >= CENTERS) break;
      if (i > 120) throw new Error(`only ${n} centers evaluated after 2 minutes`);
    }
    await sleep(3000); // readiness settled for the faulted ones
    await timedGet(`${base}/`); // warm-up: the 30-day uptime of every center is computed once here
    const ours = await responseTimes(`${base}/`, 30);
    const { bytes } = await timedGet(`${base}/`);
    const html = await (await fetch(`${base}/`)).text();

    // Baseline: the same bytes from memory.
    const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    const baseline = await responseTimes(bareUrl, 30);

    const paints = await firstPaints(`${base}/`, 5);
    const barePaints = await firstPaints(bareUrl, 5);
    bare.close();

    const oursMed = med(ours);
    const fcp = med(paints.map((p) => p.fcp));
    const bareFcp = med(barePaints.map((p) => p.fcp));
    console.log(`bench:page — ${CENTERS} centers (${faults.length} with faults), page ${(bytes / 1024).toFixed(0)} KiB`);
    console.log(`server response  GET /   median ${fmt(oursMed)}  p95 ${fmt(p95(ours))}   (target < 300 ms)`);
    console.log(`  baseline: same bytes from memory   median ${fmt(med(baseline))}   ratio ${(oursMed / med(baseline)).toFixed(2)}`);
    console.log(
      `first render (FCP)       median ${fmt(fcp)}  max ${fmt(Math.max(...paints.map((p) => p.fcp)))}  DOMContentLoaded ${fmt(med(paints.map((p) => p.dcl)))}   (target < 1500 ms)`,
    );
    console.log(`  baseline: same bytes from memory   median ${fmt(bareFcp)}   ratio ${(fcp / bareFcp).toFixed(2)}`);
    if (oursMed >= 300 || fcp >= 1500) process.exitCode = 1;
  } finally {
    await sim.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
