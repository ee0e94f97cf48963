import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canCreateNetns, NetnsLab, type Peer } from '../helpers/netns.js';
import { bundleScript, pingRelayExe, requireWine, runNodeExe, winPath } from '../helpers/wine.js';
import { requireService } from '../helpers/ctx.js';

/*
 * The icmp probe's own code run as Windows code: bundled, started with the win-x64 node.exe under
 * Wine, spawning Wine's ping.exe. Each result is printed as a JSON line with the time it came.
 *
 * Wine 8.0's ping.exe writes through the C runtime's buffer, so to a pipe its lines arrive only when
 * it exits (measured: three replies, one chunk after 2.1 s). Windows' own ping writes each line as it
 * goes. Burst mode waits for the exit and runs against Wine's ping itself; continuous mode runs
 * against a stand-in ping.exe (a single-executable node.exe) that asks Wine's ping one echo at a
 * time (`-n 1`) and passes each line on at once: real ICMP, real Wine ping lines, Windows' pacing.
 */

const ENTRY = `
import { icmpProbe } from './agent/probes/icmp.ts';
import { makeCtx } from './test/helpers/ctx.ts';
import { platformName } from './agent/platform/index.ts';
const [scenario, target, seconds] = process.argv.slice(2);
const print = (o) => process.stdout.write(JSON.stringify({ at: Date.now(), ...o }) + '\\n');
const brief = (r) => ({ up: r.up, reason: r.reason, message: r.message,
  rtts: (r.observations ?? []).filter((o) => o.metric === 'rtt').map((o) => o.value),
  sent: (r.observations ?? []).find((o) => o.metric === 'packets_sent')?.value });
(async () => {
  print({ platform: platformName() });
  if (scenario === 'burst') {
    const opts = icmpProbe.options.parse({ mode: 'burst', count: 3 });
    print(brief(await icmpProbe.run(target, opts, makeCtx({ timeoutMs: 8000 }))));
  } else {
    const sessions = new Map();
    const opts = icmpProbe.options.parse({ mode: 'continuous' });
    const until = Date.now() + Number(seconds) * 1000;
    while (Date.now() < until) {
      const ctx = makeCtx({ timeoutMs: 1000, intervalMs: 1000, sessions });
      print(brief(await icmpProbe.run(target, opts, ctx)));
      await new Promise((r) => setTimeout(r, 250));
    }
    await makeCtx({ sessions }).closeSessions();
  }
  print({ done: true });
})();
`;

interface Line {
  at: number;
  platform?: string;
  up?: boolean;
  reason?: string;
  message?: string;
  rtts?: number[];
  sent?: number;
  done?: boolean;
}
const parse = (out: string): Line[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

const wine = requireWine();

describe.runIf(wine)('icmp under Wine (win32 node.exe, Wine ping.exe)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-winping-'));
  let entry: string;
  beforeAll(async () => {
    entry = await bundleScript(ENTRY, join(dir, 'entry.cjs'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('burst to 127.0.0.1: up, an RTT per reply, read from the real ping.exe', async () => {
    const p = runNodeExe(entry, ['burst', '127.0.0.1']);
    await p.waitForLine(/"done"/, 60_000);
    const [head, result] = parse(p.stdout());
    expect(head?.platform).toBe('win32');
    expect(result).toMatchObject({ up: true, reason: 'ok', sent: 3 });
    expect(result?.rtts).toHaveLength(3);
    // Wine's loopback answers in under 1 ms: "<1ms", counted as 0.5 ms.
    for (const rtt of result!.rtts!) expect(rtt).toBeGreaterThan(0);
  }, 90_000);

  it('burst to an unknown name: dns, with ping.exe’s own words', async () => {
    const p = runNodeExe(entry, ['burst', 'nosuchhost.invalid']);
    await p.waitForLine(/"done"/, 60_000);
    const result = parse(p.stdout())[1];
    expect(result).toMatchObject({ up: false, reason: 'dns' });
    expect(result?.message).toMatch(/nosuchhost\.invalid/);
  }, 90_000);

  describe('a line that goes silent', () => {
    const netns = requireService(canCreateNetns, 'needs root and ip netns for a peer that stops answering');
    let lab: NetnsLab | undefined;
    let peer: Peer;
    beforeAll(() => {
      if (!netns) return;
      lab = new NetnsLab();
      peer = lab.addPeer();
    });
    afterAll(async () => {
      await lab?.cleanup();
    });

    it.runIf(netns)(
      'burst: every request lost is a timeout',
      async () => {
        lab!.cut(peer);
        try {
          const p = runNodeExe(entry, ['burst', peer.peerAddr]);
          await p.waitForLine(/"done"/, 60_000);
          const result = parse(p.stdout())[1];
          expect(result).toMatchObject({ up: false, reason: 'timeout' });
          expect(result?.sent).toBeGreaterThanOrEqual(2);
        } finally {
          lab!.restore(peer);
        }
      },
      90_000,
    );

    it.runIf(netns)(
      'continuous: replies with RTT, then down within down_after + 1 s of the cut',
      async () => {
        const relay = await pingRelayExe();
        const p = runNodeExe(entry, ['continuous', peer.peerAddr, '25'], { CENTERWATCH_PING: winPath(relay) });
        // Wait for two results up in a row with RTTs: the session reads lines as they come.
        let ups: Line[] = [];
        const until = Date.now() + 40_000;
        while (ups.length < 2 && Date.now() < until) {
          ups = parse(p.stdout()).filter((l) => l.up === true && (l.rtts?.length ?? 0) > 0);
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(ups.length).toBeGreaterThanOrEqual(2);
        const cutAt = Date.now();
        lab!.cut(peer);
        try {
          const down = await (async () => {
            for (;;) {
              const d = parse(p.stdout()).find((l) => l.at > cutAt && l.up === false);
              if (d) return d;
              if (Date.now() - cutAt > 10_000) return undefined;
              await new Promise((r) => setTimeout(r, 100));
            }
          })();
          expect(down).toMatchObject({ up: false, reason: 'timeout' });
          console.log(`windows-ping: down ${down!.at - cutAt} ms after the cut (down_after 3 s)`);
          expect(down!.at - cutAt).toBeLessThanOrEqual(4000);
        } finally {
          lab!.restore(peer);
          await p.kill();
        }
      },
      120_000,
    );
  });
});
