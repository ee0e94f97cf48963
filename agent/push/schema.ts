import { z } from 'zod';
import { byteSize } from '../../common/byte-size.js';
import { duration, identifier } from '../../common/zod-helpers.js';
import { webUrlProblem } from '../probes/target.js';

const target = z
  .object({
    /** Names the target in logs and metrics (the URL never appears there). */
    name: identifier,
    /** remote_write URL: the province server (`https://…/api/v1/write`), or a Prometheus/VictoriaMetrics receiver. */
    url: z.string().superRefine((u, ctx) => {
      const problem = webUrlProblem(u, 'bearer_token_file');
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** The agent's enrolment token; give it as `bearer_token_file` (a file readable by the agent only). */
    bearer_token: z.string().min(1).optional(),
    /** PEM CA bundle to trust for an https URL signed by a private CA. */
    ca_file: z.string().optional(),
    /** Per-request deadline. Default 10s. */
    timeout: duration.default(10_000),
  })
  .strict();

/** Pushing to the province server: every `interval` the agent's metrics go into the WAL, then out. */
export const pushSchema = z
  .object({
    /** How often the metrics are collected and pushed. Default 15s. */
    interval: duration.default(15_000),
    wal: z
      .object({
        /** Folder of the WAL, relative to the config file. Default data/wal. */
        dir: z.string().default('data/wal'),
        /** Bound of the WAL on disk. Default 256MiB (≈ 72 h of a typical agent at 15 s). */
        max_size: byteSize.default(256 * 2 ** 20),
        /** Data older than this is dropped unsent. Default 72h. */
        max_age: duration.default(72 * 3600_000),
        /** always: every batch on disk before it counts as kept; interval (default): once a second; never. */
        fsync: z.enum(['always', 'interval', 'never']).default('interval'),
      })
      .strict()
      .prefault({}),
    targets: z.array(target).min(1, 'at least one target'),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.targets.forEach((t, i) => {
      const first = seen.get(t.name);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}" (first at targets[${first}])` });
      else seen.set(t.name, i);
    });
  });

export type PushConfig = z.output<typeof pushSchema>;
