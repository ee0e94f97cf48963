import { z } from 'zod';
import { identifier } from '../../common/zod-helpers.js';

/** The loopback hosts enrolment may use over plain HTTP. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A problem with a province server URL: not http(s), credentials in it, or plain HTTP to a host not on loopback. */
export function centralServerProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `URL scheme must be https, not ${url.protocol.replace(':', '')}`;
  if (url.username || url.password) return 'credentials do not belong in the URL';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    return `the server must be reached over https (plain http only to a loopback address): ${url.origin}`;
  if (url.pathname !== '/' || url.search || url.hash) return `give the server's address only (https://host:port), not a path: ${url.pathname}${url.search}`;
  return undefined;
}

/** The `central:` section of an enrolled agent's config file (written by `centerwatch-agent enroll`, kept by the agent). */
export const centralSchema = z
  .object({
    /** The province server, `https://host:port`. */
    server: z.string().superRefine((u, ctx) => {
      const problem = centralServerProblem(u);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** The agent's own token (owner-only file), relative to this file. */
    token_file: z.string().min(1),
    /** PEM CA bundle to trust for the server's certificate (a private CA), relative to this file. */
    ca_file: z.string().optional(),
    /** The profile and revision of the config in this file, as the server sent it. */
    profile: identifier.optional(),
    revision: z
      .string()
      .regex(/^[0-9a-f]{1,64}$/)
      .optional(),
  })
  .strict();

export type CentralConfig = z.output<typeof centralSchema>;
