/**
 * An enrolled agent's config kept in step with its province server: fetched at start and every interval
 * the server sets; a new revision is written beside the running file, loaded as the agent would load it,
 * and only then renamed over the file and applied as SIGHUP applies a file. One the agent refuses is
 * reported to the server, the running config and the file stay, and that revision is not tried again.
 * Without the server the agent runs from its file, the last good config.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, formatProblem } from '../../common/config-errors.js';
import { AGENT_CONFIG_PATH, AGENT_HEADERS, AGENT_REPORT_PATH, type ConfigReport } from '../../common/enrolment.js';
import { registerSecret, type Logger } from '../../common/log.js';
import { agentVersion } from '../../common/version.js';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { platformName } from '../platform/index.js';
import {
  centralRequest,
  headerValue,
  reportHeaders,
  revisionOf,
  serverError,
  serverProblems,
  unreachableText,
  type CentralAnswer,
  type CentralRequest,
} from './client.js';
import { prepareConfig, writtenCentral } from './prepare.js';
import type { CentralConfig } from './schema.js';

/** Between fetches when the server does not say (its `fleet.fetch_interval` header). */
export const DEFAULT_FETCH_INTERVAL_MS = 5 * 60_000;
/** Bounds on the server's interval: no busy loop from a bad header, and never more than a day. */
export const MIN_FETCH_INTERVAL_MS = 1_000;
export const MAX_FETCH_INTERVAL_MS = 24 * 3600_000;
/** ±10 %: agents started together (a power cut at the center ends) do not fetch in step. */
export const FETCH_JITTER = 0.1;

/** First retry after a fetch the server did not answer (down, 5xx); doubled up to the interval. */
export const OUTAGE_RETRY_MS = 5_000;

/**
 * The wait before the next fetch: the server's interval (bounded) with ±10 % jitter; after `failures`
 * fetches in a row without an answer, sooner (5 s doubling up to the interval), so an agent that
 * started while the server was away, or saw it restart, is in step again within seconds of its return.
 */
/** How soon after applying a new config the agent fetches again, saying the revision it runs. */
export const CONFIRM_AFTER_APPLY_MS = 1000;

export function nextFetchDelayMs(intervalMs: number, random: () => number = Math.random, failures = 0): number {
  let base = Math.min(MAX_FETCH_INTERVAL_MS, Math.max(MIN_FETCH_INTERVAL_MS, intervalMs));
  if (failures > 0) base = Math.min(base, OUTAGE_RETRY_MS * 2 ** Math.min(failures - 1, 20));
  return Math.round(base * (1 - FETCH_JITTER + 2 * FETCH_JITTER * random()));
}

/** What one fetch came to (for the log, the tests and the caller). */
export type SyncOutcome =
  | 'unchanged'
  | 'applied'
  | 'refused'
  | 'refused_before'
  | 'unreachable'
  | 'server_error'
  | 'unauthorized'
  | 'no_profile'
  | 'unrenderable'
  | 'no_token'
  | 'unexpected';

export interface ConfigSyncOptions {
  /** The running config's file (the one the sync replaces). */
  file: string;
  /** The running config; it has a `central:` section. */
  config: AgentConfig;
  /** Switches the agent to a config (Agent.reload, through the same queue as SIGHUP). */
  apply(config: AgentConfig): Promise<void>;
  /** Says that a new config was refused (Agent.configRejected). */
  rejected(): void;
  /** Samples waiting in the WAL, sent with each request. */
  backlog?(): number | undefined;
  log: Logger;
  /** Default DEFAULT_FETCH_INTERVAL_MS, until the server says. */
  intervalMs?: number;
  random?: () => number;
  request?: (r: CentralRequest) => Promise<CentralAnswer>;
  load?: (file: string) => AgentConfig;
}

export class ConfigSync {
  private config: AgentConfig;
  private intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncOutcome> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  /** The revision refused last: not tried again until the server has another. */
  private refusedRevision: string | undefined;
  /** What was last logged of the server's state, so an outage or a refusal is said once, not each time. */
  private said: string | undefined;
  /** The token of the last request: another one means the machine was enrolled again. */
  private token: string | undefined;
  /** Fetches in a row the server did not answer. */
  private failures = 0;

  constructor(private readonly o: ConfigSyncOptions) {
    this.config = o.config;
    this.intervalMs = o.intervalMs ?? DEFAULT_FETCH_INTERVAL_MS;
  }

  /** The running revision ('' before the first central config). */
  get revision(): string {
    return this.config.central?.revision ?? '';
  }

  /** Fetches now, then every interval. */
  start(): void {
    this.schedule(0);
  }

  /** The running config changed by other means (SIGHUP): its revision is what the server is told. */
  update(config: AgentConfig): void {
    this.config = config;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.fetchOnce().then((outcome) => {
        this.failures = outcome === 'unreachable' || outcome === 'server_error' ? this.failures + 1 : 0;
        // A config just applied is confirmed at once (the fetch says the revision now running), so the
        // fleet view shows it current within seconds rather than an interval later.
        this.schedule(outcome === 'applied' ? CONFIRM_AFTER_APPLY_MS : nextFetchDelayMs(this.intervalMs, this.o.random, this.failures));
      });
    }, delayMs);
  }

  /** One fetch and what follows from it; never throws. */
  fetchOnce(): Promise<SyncOutcome> {
    this.running ??= this.round()
      .catch((err: unknown) => {
        this.say('failed', 'error', 'central config: fetch failed', { error: err instanceof Error ? err.message : String(err) });
        return 'unexpected' as const;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<SyncOutcome> {
    let central = this.config.central;
    if (!central) return 'unexpected';
    let auth = this.credentials(central);
    if (!auth) return 'no_token';
    if (auth.token !== this.token) {
      const enrolledAgain = this.token !== undefined;
      this.token = auth.token;
      // The push target read the old token when the file was loaded: take the file enroll wrote again.
      if (enrolledAgain) {
        await this.reloadFile();
        if (!this.config.central) return 'unexpected';
        central = this.config.central;
        auth = this.credentials(central);
        if (!auth) return 'no_token';
      }
    }
    const request = this.o.request ?? centralRequest;
    const headers = { ...auth.headers, ...this.report() };
    const answer = await request({
      method: 'GET',
      server: central.server,
      path: AGENT_CONFIG_PATH,
      headers: { ...headers, ...(this.revision ? { 'if-none-match': `"${this.revision}"` } : {}) },
      ...(auth.ca ? { ca: auth.ca } : {}),
      signal: this.abort.signal,
    });
    if (answer.kind === 'unreachable') {
      if (answer.reason === 'aborted') return 'unexpected';
      this.say('unreachable', 'warn', `province server unreachable: ${unreachableText(answer)}; running from ${this.o.file} until it answers`);
      return 'unreachable';
    }
    const interval = Number(headerValue(answer.headers, AGENT_HEADERS.fetchInterval));
    if (Number.isFinite(interval) && interval > 0) this.intervalMs = interval;
    if (answer.status >= 500) {
      this.say('unreachable', 'warn', `province server answered ${answer.status}; running from ${this.o.file} until it answers`);
      return 'server_error';
    }
    switch (answer.status) {
      case 304:
        this.say('ok', 'info', 'central config up to date', { revision: this.revision });
        return 'unchanged';
      case 200:
        return this.received(answer, central, headers, auth.ca);
      case 401:
        this.say('unauthorized', 'error', `province server refuses this agent's token (${serverError(answer)}); running from ${this.o.file}`);
        return 'unauthorized';
      case 404:
        this.say('no_profile', 'info', `no profile applies to this agent yet (${serverError(answer)}); running from ${this.o.file}`);
        return 'no_profile';
      case 409:
        this.say('unrenderable', 'error', `the province's profile cannot be rendered for this agent (${serverError(answer)}); running from ${this.o.file}`, {
          problems: serverProblems(answer),
        });
        return 'unrenderable';
      default:
        this.say(`http_${answer.status}`, 'error', `province server answered ${answer.status} (${serverError(answer)}); running from ${this.o.file}`);
        return 'unexpected';
    }
  }

  private async received(
    answer: Extract<CentralAnswer, { kind: 'answer' }>,
    central: CentralConfig,
    headers: Record<string, string>,
    ca: string | undefined,
  ): Promise<SyncOutcome> {
    const revision = revisionOf(headerValue(answer.headers, 'etag'));
    const profile = headerValue(answer.headers, 'x-centerwatch-profile')?.trim();
    if (!revision) {
      this.say('no_etag', 'error', 'province server sent a config without a revision (ETag); ignored');
      return 'unexpected';
    }
    if (revision === this.revision) {
      this.say('ok', 'info', 'central config up to date', { revision });
      return 'unchanged';
    }
    if (revision === this.refusedRevision) return 'refused_before';
    const next: CentralConfig = { ...writtenCentral(this.o.file, central), revision, ...(profile ? { profile } : {}) };
    if (!profile) delete next.profile;
    const prepared = prepareConfig(this.o.file, answer.body, next, this.o.load);
    if (!prepared.ok) {
      this.refusedRevision = revision;
      this.o.rejected();
      this.say(`refused:${revision}`, 'error', 'central config refused; keeping the running config', { profile, revision, problems: prepared.problems });
      await this.sendReport({ revision, problems: prepared.problems }, central, headers, ca);
      return 'refused';
    }
    prepared.staged.commit();
    await this.o.apply(prepared.config);
    this.config = prepared.config;
    this.refusedRevision = undefined;
    this.said = 'ok';
    this.o.log.info('central config applied', { profile, revision, checks: prepared.config.checks.length });
    return 'applied';
  }

  private async sendReport(report: ConfigReport, central: CentralConfig, headers: Record<string, string>, ca: string | undefined): Promise<void> {
    const answer = await (this.o.request ?? centralRequest)({
      method: 'POST',
      server: central.server,
      path: AGENT_REPORT_PATH,
      headers,
      body: JSON.stringify(report),
      ...(ca ? { ca } : {}),
      signal: this.abort.signal,
    });
    if (answer.kind === 'answer' && answer.status >= 200 && answer.status < 300) return;
    this.o.log.warn('could not report the refused config to the province server', {
      revision: report.revision,
      ...(answer.kind === 'answer' ? { status: answer.status } : { reason: answer.reason }),
    });
  }

  /** After a re-enrolment: the file as enroll left it (its new token for the push target), applied. */
  private async reloadFile(): Promise<void> {
    let config: AgentConfig;
    try {
      config = (this.o.load ?? loadAgentConfig)(this.o.file);
    } catch (err) {
      this.o.rejected();
      const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message];
      this.o.log.error('token changed (enrolled again) but the config does not load; keeping the running config', { problems });
      return;
    }
    await this.o.apply(config);
    this.config = config;
    this.o.log.info('token changed (enrolled again): config reloaded from its file', { revision: this.revision });
  }

  /** The token (read at each request: a re-enrolment takes effect without restart) and the CA. */
  private credentials(central: CentralConfig): { token: string; headers: Record<string, string>; ca?: string } | undefined {
    let token: string;
    try {
      token = readFileSync(central.token_file, 'utf8').trim();
    } catch (err) {
      this.say(
        'no_token',
        'error',
        `cannot read the token file ${central.token_file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); running from ${this.o.file}`,
      );
      return undefined;
    }
    if (!token) {
      this.say('no_token', 'error', `the token file ${central.token_file} is empty; running from ${this.o.file}`);
      return undefined;
    }
    registerSecret(token);
    let ca: string | undefined;
    if (central.ca_file) {
      try {
        ca = readFileSync(central.ca_file, 'utf8');
      } catch (err) {
        this.say(
          'no_ca',
          'error',
          `cannot read the CA file ${central.ca_file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); running from ${this.o.file}`,
        );
        return undefined;
      }
    }
    return { token, headers: { authorization: `Bearer ${token}` }, ...(ca ? { ca } : {}) };
  }

  private report(): Record<string, string> {
    const backlog = this.o.backlog?.();
    return reportHeaders({ version: agentVersion(), platform: platformName(), revision: this.revision, ...(backlog !== undefined ? { backlog } : {}) });
  }

  /** Logs a state of the server once, when it changes; back to `ok` after a problem is said too. */
  private say(state: string, level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    const before = this.said;
    this.said = state;
    if (before === state) return;
    if (state === 'ok') {
      if (before !== undefined) this.o.log.info('province server answers again; central config up to date', fields);
      return;
    }
    this.o.log[level](msg, fields);
  }
}
