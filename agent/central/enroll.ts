/**
 * `centerwatch-agent enroll`: a one-time code exchanged for this agent's token, then the first config
 * fetched and written, so the service starts enrolled. A code is spent once, so everything that can be
 * checked is checked before it is sent (the server's address, the code's shape, the name, the folder).
 * The code and the token are never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import {
  AGENT_CONFIG_PATH,
  agentNameFromHost,
  agentNameProblem,
  ENROLL_PATH,
  isCodeShape,
  normalizeCode,
  type AgentPlatform,
  type EnrolRequest,
  type EnrolResponse,
} from '../../common/enrolment.js';
import { parseRetryAfter } from '../../common/remote-write/sender.js';
import { agentVersion } from '../../common/version.js';
import { platformName } from '../platform/index.js';
import { centralRequest, headerValue, reportHeaders, revisionOf, serverError, unreachableText, type CentralAnswer, type CentralRequest } from './client.js';
import { stageFile, writableDirProblem, writeFileAtomic } from './files.js';
import { centralServerProblem, type CentralConfig } from './schema.js';
import { prepareConfig } from './prepare.js';

/** First wait after a failed attempt; doubled each time up to ENROL_MAX_BACKOFF_MS. */
export const ENROL_MIN_BACKOFF_MS = 1_000;
export const ENROL_MAX_BACKOFF_MS = 60_000;
/** ±20 %: machines of a center enrolled together after a power cut do not knock in step. */
export const ENROL_JITTER = 0.2;
/** How long enroll keeps trying a server that does not answer. */
export const ENROL_GIVE_UP_MS = 10 * 60_000;

/** The wait after failed attempt number `attempt` (0 first): 1 s doubling to 60 s, ±20 %. */
export function enrolBackoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(ENROL_MAX_BACKOFF_MS, ENROL_MIN_BACKOFF_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base * (1 - ENROL_JITTER + 2 * ENROL_JITTER * random()));
}

export interface EnrolArgs {
  server: string;
  /** As typed. */
  code: string;
  /** Default: from the host name (agentNameFromHost). */
  name?: string;
  /** The config file to write (the service's). */
  configFile: string;
  /** Whether configFile is the platform's default (not given): its folder is made by installing. */
  defaultFile?: boolean;
  /** PEM CA bundle for a server whose certificate a private CA signed; copied beside the config. */
  caFile?: string;
}

export interface EnrolIo {
  out(text: string): void;
  err(text: string): void;
  /** Ctrl-C. */
  signal?: AbortSignal;
  request?: (r: CentralRequest) => Promise<CentralAnswer>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  hostname?: string;
  platform?: AgentPlatform;
  /** What to say to start the service (per platform). */
  nextStep?: string;
}

const enrolResponse = z.object({
  token: z.string().min(16),
  province: z.string().min(1),
  center: z.string().min(1),
  centerName: z.string().min(1),
  agent: z.string().min(1),
  id: z.string().min(1),
});

/** Waits `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The files enroll writes beside the config: `agent.yaml` → `agent.token`, `agent-ca.pem`. */
export function enrolledFiles(configFile: string): { token: string; ca: string } {
  const stem = basename(configFile, extname(configFile));
  return { token: join(dirname(configFile), `${stem}.token`), ca: join(dirname(configFile), `${stem}-ca.pem`) };
}

/** Carries out `enroll`; returns the exit code (0 enrolled, 1 refused or given up, 2 bad arguments, 130 stopped). */
export async function enrol(args: EnrolArgs, io: EnrolIo): Promise<number> {
  const platform = io.platform ?? platformName();
  const request = io.request ?? centralRequest;
  const wait = io.sleep ?? sleep;
  const now = io.now ?? Date.now;
  const host = io.hostname ?? osHostname();

  // Everything that can be said before spending the code.
  const serverProblem = centralServerProblem(args.server);
  if (serverProblem) return usage(io, `--server: ${serverProblem}`);
  const server = new URL(args.server).origin;
  const code = normalizeCode(args.code);
  if (!isCodeShape(code)) return usage(io, '--code: a code has 9 letters and digits, shown as ABC-DEFG-HJ (dashes and spaces do not matter)');
  const name = args.name ?? agentNameFromHost(host);
  const nameProblem = agentNameProblem(name);
  if (nameProblem) return usage(io, `--name: ${nameProblem}`);
  const dirProblem = writableDirProblem(dirname(args.configFile));
  if (dirProblem) {
    const install = platform === 'win32' ? 'centerwatch-agent service install' : 'the centerwatch-agent .deb';
    return usage(
      io,
      `cannot write ${args.configFile}: ${dirProblem}; ${args.defaultFile ? `install the agent first (${install}), or ` : ''}give another file with --config`,
    );
  }
  let ca: string | undefined;
  if (args.caFile) {
    try {
      ca = readFileSync(args.caFile, 'utf8');
    } catch (err) {
      return usage(io, `--ca-file: cannot read ${args.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) return usage(io, `--ca-file: ${args.caFile} holds no PEM certificate`);
  }

  const body: EnrolRequest = { code, name, platform, version: agentVersion(), hostname: host };
  const headers = reportHeaders({ version: agentVersion(), platform, revision: '' });
  const started = now();
  let answer: Extract<CentralAnswer, { kind: 'answer' }> | undefined;
  for (let attempt = 0; !answer; attempt++) {
    const a = await request({
      method: 'POST',
      server,
      path: ENROLL_PATH,
      headers,
      body: JSON.stringify(body),
      ...(ca ? { ca } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    if (io.signal?.aborted) return stopped(io);
    let why: string;
    let delay = enrolBackoffMs(attempt, io.random);
    if (a.kind === 'unreachable') {
      // A certificate this machine does not trust will not become trusted by waiting.
      if (a.reason === 'tls') {
        io.err(`cannot reach ${server}: ${unreachableText(a)}\n`);
        return 1;
      }
      why = `cannot reach ${server}: ${unreachableText(a)}`;
    } else if (a.status >= 500) {
      why = `${server} answered ${a.status} (${serverError(a)})`;
    } else if (a.status === 429) {
      why = `${server} asks to wait: ${serverError(a)}`;
      delay = parseRetryAfter(headerValue(a.headers, 'retry-after'), now()) ?? delay;
    } else {
      answer = a;
      break;
    }
    if (now() + delay - started > ENROL_GIVE_UP_MS) {
      io.err(
        `${why}; gave up after ${Math.round((now() - started) / 60_000)} min. Check the address and the network, then run this again (the code stays valid until it expires).\n`,
      );
      return 1;
    }
    io.err(`${why}; trying again in ${Math.max(1, Math.round(delay / 1000))} s\n`);
    await wait(delay, io.signal);
    if (io.signal?.aborted) return stopped(io);
  }

  if (answer.status !== 201) {
    io.err(`enrolment refused by ${server}: ${serverError(answer)}${refusalHint(answer.status)}\n`);
    return 1;
  }
  let parsed: EnrolResponse;
  try {
    parsed = enrolResponse.parse(JSON.parse(answer.body));
  } catch {
    io.err(`${server} answered 201 without an enrolment (is it a centerwatch province server?)\n`);
    return 1;
  }
  return finish(args, io, server, parsed, ca, request, platform);
}

/** After the server's yes: the token, the CA, the first config. */
async function finish(
  args: EnrolArgs,
  io: EnrolIo,
  server: string,
  enrolled: EnrolResponse,
  ca: string | undefined,
  request: (r: CentralRequest) => Promise<CentralAnswer>,
  platform: AgentPlatform,
): Promise<number> {
  const files = enrolledFiles(args.configFile);
  writeFileAtomic(files.token, `${enrolled.token}\n`);
  // A copy beside the config: the service's user may not read where the file was given from (a home folder).
  if (ca !== undefined && resolve(args.caFile!) !== resolve(files.ca)) writeFileAtomic(files.ca, ca);
  const central: CentralConfig = { server, token_file: basename(files.token), ...(ca !== undefined ? { ca_file: basename(files.ca) } : {}) };
  io.out(`Enrolled as ${enrolled.id}: ${enrolled.centerName} (center ${enrolled.center}, province ${enrolled.province}).\n`);
  io.out(
    `Token written to ${files.token} (readable by its owner only${platform === 'win32' ? ": the folder's permissions, set by `service install`, admit the service and administrators only" : ''}).\n`,
  );

  // The first config, once: a failure here is no failure of the enrolment (the service fetches it again).
  const a = await request({
    method: 'GET',
    server,
    path: AGENT_CONFIG_PATH,
    headers: { authorization: `Bearer ${enrolled.token}`, ...reportHeaders({ version: agentVersion(), platform, revision: '' }) },
    ...(ca ? { ca } : {}),
  });
  const backup = keepHandWritten(args.configFile);
  if (backup) io.out(`The config that was there is kept as ${backup}.\n`);
  let why: string;
  if (a.kind === 'answer' && a.status === 200) {
    const revision = revisionOf(headerValue(a.headers, 'etag'));
    const profile = headerValue(a.headers, 'x-centerwatch-profile')?.trim();
    const prepared = prepareConfig(args.configFile, a.body, { ...central, ...(profile ? { profile } : {}), ...(revision ? { revision } : {}) });
    if (prepared.ok) {
      prepared.staged.commit();
      io.out(`Config written to ${args.configFile}: profile ${profile ?? '?'}, revision ${revision ?? '?'}, ${prepared.config.checks.length} checks.\n`);
      io.out(`Next: ${io.nextStep ?? nextStep(platform)}\n`);
      return 0;
    }
    why = `the province's profile does not load here:\n  ${prepared.problems.join('\n  ')}\n(the running agent reports it to the server)`;
  } else if (a.kind === 'answer') {
    why = a.status === 404 ? `no profile applies to ${enrolled.id} yet` : `the server answered ${a.status} (${serverError(a)})`;
  } else {
    why = `the server did not answer the config request (${unreachableText(a)})`;
  }
  const minimal = prepareConfig(args.configFile, minimalConfig(enrolled), central);
  if (!minimal.ok) {
    io.err(`cannot write a starting config: ${minimal.problems.join('; ')}\n`);
    return 1;
  }
  minimal.staged.commit();
  io.out(`Config written to ${args.configFile} with no checks yet: ${why}. The service fetches its profile when it starts and every few minutes.\n`);
  io.out(`Next: ${io.nextStep ?? nextStep(platform)}\n`);
  return 0;
}

/** The file the service starts from before the province has a profile for it: its identity, no checks. */
export function minimalConfig(enrolled: EnrolResponse): string {
  return `# No profile applies to this agent yet: it runs no checks until the province server has one for it.\n${stringify({
    center: { id: enrolled.center, name: enrolled.centerName, province: enrolled.province },
    agent: { id: enrolled.agent },
    checks: [],
  })}`;
}

/** A config written by hand (no `central:`) is kept beside, not lost; returns where. */
function keepHandWritten(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  if (/^central:/m.test(text)) return undefined;
  const backup = `${file}.before-enrol`;
  stageFile(backup, text).commit();
  return backup;
}

function nextStep(platform: AgentPlatform): string {
  return platform === 'win32'
    ? 'start the service: centerwatch-agent service start (if it runs already: centerwatch-agent service stop, then start)'
    : 'start the service: systemctl restart centerwatch-agent (the .deb unit runs /var/lib/centerwatch/agent.yaml once it exists)';
}

/** What to do, where the server's own words may not say it. */
function refusalHint(status: number): string {
  return status === 409 ? ' (choose another name with --name)' : '';
}

function usage(io: EnrolIo, message: string): number {
  io.err(`centerwatch-agent enroll: ${message}\n`);
  return 2;
}

function stopped(io: EnrolIo): number {
  io.err('enrolment stopped; nothing was written\n');
  return 130;
}
