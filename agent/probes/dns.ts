// The module object, not a named import: a named import keeps the list from load time.
import dns from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { METRIC } from '../../common/metrics.js';
import { bindAddress } from './binding.js';
import { defineProbe, failure, success, type ProbeResult, type Reason } from './types.js';
import { answerTexts, hasAnswer, queryName, rcodeOf, RCODES, RECORD_TYPES } from './dns-answers.js';
import { planResolvers, serverFamily } from './dns-servers.js';
import { hostProblem } from './target.js';

const options = z
  .object({
    /** Resolver to ask: `ip`, `ip:port` or `[ipv6]:port` (port 53 by default). Default: the system's resolvers (/etc/resolv.conf). */
    server: z
      .string()
      .refine((s) => serverFamily(s) !== undefined, 'must be ip, ip:port or [ipv6]:port')
      .optional(),
    /** Record type to query. Default `A`. A `PTR` check may name an IP address as its target. */
    record_type: z.enum(RECORD_TYPES).default('A'),
    /**
     * Answers that must all be present, as `dig +short` prints them: addresses, names (any case,
     * trailing dot optional), `10 mx.example.vn` (or just the MX/SRV target name), TXT strings
     * joined, SOA fields from the start (`ns1.example.vn` alone pins the primary). Default none.
     */
    expect_answers: z.array(z.string().min(1)).default([]),
    /** The response code that counts as up. Default `NOERROR`; `NXDOMAIN` checks that a name stays absent. */
    expect_rcode: z.enum(RCODES).default('NOERROR'),
    /** Fewest answers for an up result when the response is NOERROR. Default 1 (NODATA fails); 0 accepts an empty answer. */
    min_answers: z.number().int().min(0).default(1),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.expect_rcode !== 'NOERROR' && o.expect_answers.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['expect_answers'],
        message: `a ${o.expect_rcode} response carries no answers; drop expect_answers or expect NOERROR`,
      });
    }
  });

/**
 * What each resolver (c-ares) error code means for the check, by code. Error rcodes in a
 * response are `dns` (the resolver answered, the name is broken); no response is `timeout`,
 * or `refused` when the resolver's port is closed (ICMP port unreachable).
 */
const REASON_BY_CODE: Record<string, Reason> = {
  ETIMEOUT: 'timeout',
  ECANCELLED: 'timeout', // our own cancel() at the deadline
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'dns', // NXDOMAIN
  ESERVFAIL: 'dns',
  EREFUSED: 'dns', // the REFUSED rcode: the resolver will not answer us
  ENOTIMP: 'dns',
  EFORMERR: 'dns',
  EBADRESP: 'protocol',
  EBADNAME: 'config',
  EBADQUERY: 'config',
  ENOMEM: 'internal_error',
  EDESTRUCTION: 'internal_error',
};

export const dnsProbe = defineProbe({
  kind: 'dns',
  targetHelp: 'the name to query (an IP address for PTR)',
  targetRequired: true,
  targetProblem: hostProblem,
  options,
  metrics: {
    answers: { name: METRIC.dnsAnswers, help: 'Answers in the last DNS response.', type: 'gauge', threshold: true },
  },
  async run(target, opts, ctx): Promise<ProbeResult> {
    if (!target) return failure('config', 'no name to query');
    const servers = opts.server ? [opts.server] : dns.getServers();
    if (servers.length === 0) return failure('config', 'no resolver: none given and none in /etc/resolv.conf');
    const plan = planResolvers(servers, (family) => bindAddress(ctx.line, family));
    if (!plan.ok) return failure('unreachable', plan.message);
    if (ctx.signal.aborted) return failure('timeout', 'deadline exceeded');
    // One try per resolver sharing the budget: c-ares would otherwise retry with growing
    // timeouts past the deadline. A fresh resolver per run also means c-ares's answer cache
    // never serves a result the server did not give in this run.
    const resolver = new Resolver({ timeout: Math.max(1, Math.floor(ctx.timeoutMs / plan.servers.length)), tries: 1 });
    resolver.setServers(plan.servers);
    if (plan.ipv4 !== undefined) resolver.setLocalAddress(plan.ipv4, plan.ipv6);
    else if (plan.ipv6 !== undefined) resolver.setLocalAddress(plan.ipv6);
    const cancel = (): void => resolver.cancel();
    ctx.signal.addEventListener('abort', cancel, { once: true });

    const start = performance.now();
    let answers: string[] = [];
    let code = '';
    try {
      answers = answerTexts(opts.record_type, await resolver.resolve(queryName(opts.record_type, target), opts.record_type));
    } catch (err) {
      const c = (err as { code?: unknown } | null)?.code;
      code = typeof c === 'string' ? c : 'error';
    } finally {
      ctx.signal.removeEventListener('abort', cancel);
    }
    const phases = { resolve: (performance.now() - start) / 1000 };

    const rcode = code ? rcodeOf(code) : 'NOERROR';
    if (rcode === undefined) {
      const reason = ctx.signal.aborted ? 'timeout' : (REASON_BY_CODE[code] ?? 'dns');
      return failure(reason, ctx.signal.aborted ? 'no answer before the deadline' : `no answer (${code})`, { phases });
    }
    const observations = [{ metric: 'answers', value: answers.length }];
    if (rcode !== opts.expect_rcode) {
      // An error rcode is a broken name; NOERROR where an error was expected is a broken expectation.
      return failure(rcode === 'NOERROR' ? 'assertion' : 'dns', `${rcode}, expected ${opts.expect_rcode}`, { phases, observations });
    }
    if (rcode === 'NOERROR' && answers.length < opts.min_answers) {
      return failure('assertion', `${answers.length} ${opts.record_type} answers, expected at least ${opts.min_answers}`, { phases, observations });
    }
    const missing = opts.expect_answers.filter((want) => !hasAnswer(opts.record_type, answers, want));
    if (missing.length > 0) {
      return failure('assertion', `missing ${missing.map((m) => JSON.stringify(m)).join(', ')} among ${answers.length} answers`, { phases, observations });
    }
    return success({ phases, observations });
  },
});
