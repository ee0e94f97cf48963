import { describe, expect, it } from 'vitest';
import { makeHostProbe } from './host.js';
import { makeCtx } from '../../test/helpers/ctx.js';

describe('makeHostProbe', () => {
  it("a source passed as undefined keeps its default (the machine's own /proc and statfs)", async () => {
    const probe = makeHostProbe({ routeFile: undefined, statFile: undefined, mountsFile: undefined, statfs: undefined });
    const r = await probe.run('', probe.options.parse({}), makeCtx({ timeoutMs: 3000 }));
    expect(r).toMatchObject({ up: true });
    expect(r.observations?.some((o) => o.metric === 'memory_total_bytes' && o.value > 0)).toBe(true);
  });
});
