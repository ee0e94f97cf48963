import { describe, expect, it } from 'vitest';
import { PROBES } from '../../agent/probes/index.js';
import type { ProbeDefinition } from '../../agent/probes/types.js';
import { makeCtx, requireService } from '../helpers/ctx.js';
import { serviceUp } from '../helpers/services.js';
import { openFds } from '../helpers/sockets.js';

const settle = () => new Promise((r) => setTimeout(r, 300));

/** For each live kind: a run that succeeds and one that fails after logging in. */
const LIVE: Array<{ kind: keyof typeof PROBES; port: number; good: Record<string, unknown>; bad: Record<string, unknown> }> = [
  { kind: 'postgres', port: 5432, good: { user: 'postgres', database: 'test' }, bad: { user: 'postgres', database: 'cw_no_such_db' } },
  { kind: 'mysql', port: 3306, good: { user: 'root', database: 'test' }, bad: { user: 'root', database: 'cw_no_such_db' } },
  { kind: 'redis', port: 6379, good: {}, bad: { command: ['CW_NO_SUCH_COMMAND'] } },
];

describe('database probes leak nothing over 200 runs', () => {
  for (const { kind, port, good, bad } of LIVE) {
    it(`${kind}: descriptors and sockets return to their starting count`, async (ctx) => {
      if (!requireService(await serviceUp(port), `${kind} on 127.0.0.1:${port} is not running`)) return ctx.skip();
      const def = PROBES[kind] as ProbeDefinition<any>;
      const goodOpts = def.options.parse(good);
      const badOpts = def.options.parse(bad);
      // One warm-up pair: drivers open lazily-created descriptors (e.g. a DNS channel) once per process.
      await def.run(`127.0.0.1:${port}`, goodOpts, makeCtx());
      await def.run(`127.0.0.1:${port}`, badOpts, makeCtx());
      await settle();
      const before = openFds();
      let ups = 0;
      for (let i = 0; i < 200; i++) {
        const r = await def.run(`127.0.0.1:${port}`, i % 2 ? badOpts : goodOpts, makeCtx());
        if (r.up) ups++;
      }
      await settle();
      const after = openFds();
      expect(ups).toBe(100);
      expect(after.sockets).toBeLessThanOrEqual(before.sockets);
      expect(after.all).toBeLessThanOrEqual(before.all);
    }, 120_000);
  }
});
