import { z } from 'zod';
import { duration } from '../../common/zod-helpers.js';

/**
 * Outside-in checks: the server probes each center's public addresses per line (each inventory line's
 * `public:` entries that are single addresses; prefixes are not probed) with ICMP echo and, if listed,
 * TCP connects, so a center whose power is out (agent silent, every address silent) is told apart from
 * one whose fiber is cut (agent heard over 4G, the fiber's address silent). A line is up when its
 * address answers the echo or any port connects. On by default: nothing is probed until an inventory
 * line lists a public address. Results go to the engine as `outside-in:<line>` checks (impact info).
 */
export const outsideInConfigSchema = z
  .object({
    /** Probe the addresses the inventory lists; with none listed nothing is sent. Default true. */
    enabled: z.boolean().default(true),
    /** How often each address is probed; the probes are spread evenly over it. Default 15s. */
    interval: duration.default(15_000),
    /** Deadline of one address's probe, ICMP and TCP side by side; shorter than interval. Default 2s. */
    timeout: duration.default(2000),
    /** ICMP echo requests (through the agent's icmp probe, burst mode). Default true. */
    icmp: z.boolean().default(true),
    /** Echo requests per probe, 50 ms apart; one reply is enough. Default 3. */
    icmp_count: z.number().int('must be a whole number').min(1, 'at least 1').max(10, 'at most 10').default(3),
    /** TCP ports to connect to as well (a router's 443, a VPN endpoint's); any connecting makes the line up. Default none. */
    tcp_ports: z.array(z.number().int('must be a whole number').min(1, 'a port from 1 to 65535').max(65535, 'a port from 1 to 65535')).default([]),
    /**
     * Probes at once. Default 256: a province of ~200 addresses every 15 s has a handful at once; at
     * national scale (6,642 addresses) a silent address holds its slot for `timeout`.
     */
    concurrency: z.number().int('must be a whole number').positive('must be more than 0').max(10_000, 'at most 10000').default(256),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.timeout >= o.interval) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must be shorter than interval' });
    if (o.enabled && !o.icmp && o.tcp_ports.length === 0)
      ctx.addIssue({ code: 'custom', path: ['tcp_ports'], message: 'with icmp off, list at least one port, or nothing would be probed' });
    o.tcp_ports.forEach((p, i) => {
      if (o.tcp_ports.indexOf(p) !== i) ctx.addIssue({ code: 'custom', path: ['tcp_ports', i], message: `port ${p} is listed twice` });
    });
  });

export type OutsideInConfig = z.output<typeof outsideInConfigSchema>;
