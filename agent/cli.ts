import { existsSync } from 'node:fs';
import { ConfigError, formatProblem } from '../common/config-errors.js';
import { loadConfigForCli, parseCommandLine } from '../common/cli.js';
import { createLogger, type Logger } from '../common/log.js';
import { Agent } from './agent.js';
import { enrol, type EnrolArgs } from './central/enroll.js';
import { ConfigSync } from './central/sync.js';
import { loadAgentConfig } from './config/load.js';
import type { AgentConfig } from './config/schema.js';
import { formatOnceTable } from './once-table.js';
import { agentPaths, defaultConfigFile, LINUX_ENROLLED_CONFIG } from './platform/paths.js';
import { SERVICE_ACTIONS, serviceMain, type ServiceAction } from './platform/service.js';

const HELP = `centerwatch-agent — probes a center's lines, links and devices and exposes Prometheus metrics

Usage:
  centerwatch-agent [--config FILE]          run the checks and serve /metrics
  centerwatch-agent --check-config [--config FILE]
                                             validate the config, print every problem (file:line:column: field: message)
  centerwatch-agent --once [--config FILE]   run every check once, print a table, exit 0 if all are up, 1 otherwise
  centerwatch-agent enroll --server URL --code CODE [--name NAME] [--ca-file PEM] [--config FILE]
                                             enrol this machine with its province server using a one-time code
                                             from the province IT staff: writes FILE (default: the enrolled file
                                             below) and its token beside it (agent.token, owner only), then the
                                             service runs the province's profile for this machine and keeps it
                                             up to date. Retries while the server cannot be reached (Ctrl-C stops).
  centerwatch-agent service install|uninstall|start|stop|status [--config FILE]
                                             Windows: the agent as the service "centerwatch-agent" (run as
                                             NT SERVICE\\centerwatch-agent, started at boot, restarted after a crash;
                                             install creates %ProgramData%\\centerwatch, readable by the service and
                                             administrators only). Linux uses systemd (deploy/systemd, the .deb).

Default FILE: the enrolled file when it exists (Linux: ${LINUX_ENROLLED_CONFIG}), else config/default.yaml
on Linux; %ProgramData%\\centerwatch\\agent.yaml on Windows.

A file with a central: section (written by enroll) is fetched again from the province server every few
minutes; a new revision is applied like SIGHUP, one that does not load is refused and reported.

Signals: SIGHUP reloads the config (a bad file keeps the running one); SIGINT/SIGTERM drain and exit.

Options:
  -c, --config FILE           config file (YAML)
      --enrolled-config FILE  run FILE instead of --config when it exists (the .deb's unit: the enrolled file)
      --check-config          validate only
      --once                  one run of every check
      --server URL            enroll: the province server, https://host:port
      --code CODE             enroll: the one-time code (ABC-DEFG-HJ)
      --name NAME             enroll: this machine's name in its center (default: from the host name)
      --ca-file PEM           enroll: the CA that signed the server's certificate, if not a public one
  -h, --help                  this text
  -v, --version               the version
`;

const ENROL_OPTIONS = ['server', 'code', 'name', 'ca-file'] as const;

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    argv,
    {
      config: { type: 'string', short: 'c' },
      'enrolled-config': { type: 'string' },
      'check-config': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      server: { type: 'string' },
      code: { type: 'string' },
      name: { type: 'string' },
      'ca-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
    HELP,
  );
  if ('exit' in args) return args.exit;
  const [command, action, ...extra] = args.positionals;
  const v = args.values;
  const stray = ENROL_OPTIONS.filter((o) => v[o] !== undefined);
  if (command !== 'enroll' && stray.length > 0) return usage(`--${stray[0]} is an option of enroll only`);
  if (command === 'enroll') {
    if (action !== undefined) return usage(`unexpected argument ${args.positionals.slice(1).join(' ')}`);
    if (v.server === undefined || v.code === undefined) return usage('enroll needs --server URL and --code CODE');
    return runEnrol({
      server: v.server,
      code: v.code,
      configFile: v.config ?? agentPaths().enrolledConfigFile,
      defaultFile: v.config === undefined,
      ...(v.name ? { name: v.name } : {}),
      ...(v['ca-file'] ? { caFile: v['ca-file'] } : {}),
    });
  }
  const config = v['enrolled-config'] !== undefined && existsSync(v['enrolled-config']) ? v['enrolled-config'] : (v.config ?? defaultConfigFile());
  if (command !== undefined) {
    // `service run` is what the service control manager starts; it is not offered in the help.
    if (command !== 'service' || !SERVICE_ACTIONS.includes(action as ServiceAction) || extra.length > 0)
      return usage(`unexpected argument${args.positionals.length > 1 ? 's' : ''} ${args.positionals.join(' ')}`);
    return serviceMain(action as ServiceAction, config, (write) => startAgent(config, write), {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    });
  }
  return runCli({ config, 'check-config': v['check-config'], once: v.once });
}

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${HELP}`);
  return 2;
}

/** `enroll`, stopped by Ctrl-C. */
async function runEnrol(args: EnrolArgs): Promise<number> {
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.on('SIGINT', onInterrupt);
  try {
    return await enrol(args, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), signal: controller.signal });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/** A ConfigSync for a config with a `central:` section; undefined for a file managed by hand. */
function startSync(file: string, config: AgentConfig, agent: Agent, log: Logger, apply: (c: AgentConfig) => Promise<void>): ConfigSync | undefined {
  if (!config.central) return undefined;
  const sync = new ConfigSync({ file, config, apply, rejected: () => agent.configRejected(), backlog: () => agent.walBacklogSamples(), log });
  sync.start();
  return sync;
}

/** The agent as the service runs it: a config that does not load stops the service with an error. */
async function startAgent(file: string, write: (line: string) => void): Promise<{ stop(): Promise<void> }> {
  const config = loadAgentConfig(file);
  const log = createLogger(config.agent.log_level, { center: config.center.id, agent: config.agent.id }, write);
  const agent = new Agent(config, log);
  await agent.start();
  const sync = startSync(file, config, agent, log, (c) => agent.reload(c));
  return {
    async stop() {
      await sync?.stop();
      await agent.stop();
    },
  };
}

async function runCli(args: { config: string; 'check-config': boolean; once: boolean }): Promise<number> {
  const config = loadConfigForCli((onWarning) => loadAgentConfig(args.config, process.env, onWarning));
  if (!config) return 1;
  if (args['check-config']) {
    process.stdout.write(`${args.config}: OK (${config.checks.length} checks, ${config.lines.length} lines)\n`);
    return 0;
  }

  // In --once mode the table says it all; only errors go to the log.
  const log = createLogger(args.once ? 'error' : config.agent.log_level, { center: config.center.id, agent: config.agent.id });
  const agent = new Agent(config, log);

  if (args.once) {
    // Serve /metrics during the run too, so checks of the agent's own endpoint see it
    // (unless an agent already runs on that address: then they see that one).
    await agent.listen().catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') throw err;
    });
    const rows = await mapLimit(config.checks, config.agent.concurrency, async (check) => ({ check, outcome: await agent.runOnce(check) }));
    await agent.stop();
    process.stdout.write(`${formatOnceTable(rows)}\n`);
    return rows.every((r) => r.outcome.result.up) ? 0 : 1;
  }

  await agent.start();
  // SIGHUP and the central config go through one queue: one reload at a time, in order.
  let reloading = Promise.resolve();
  const queue = (job: () => Promise<void>): Promise<void> => (reloading = reloading.then(job));
  const apply = (c: AgentConfig): Promise<void> => queue(() => agent.reload(c));
  let sync = startSync(args.config, config, agent, log, apply);
  // SIGHUP reloads the config, as Prometheus and its exporters do; a bad file keeps the last good config.
  const onHangup = (): void => {
    void queue(async () => {
      let next: AgentConfig;
      try {
        next = loadAgentConfig(args.config);
      } catch (err) {
        agent.configRejected();
        const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error)?.name ?? 'error'];
        log.error('config reload refused; keeping the running config', { problems });
        return;
      }
      await agent.reload(next);
      // A file edited to leave (or join) central management.
      if (sync && next.central) sync.update(next);
      else {
        await sync?.stop();
        sync = startSync(args.config, next, agent, log, apply);
      }
    });
  };
  process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string): void => {
      log.info('stopping', { signal: sig });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await sync?.stop();
  await reloading;
  await agent.stop();
  return 0;
}

/** Like Promise.all over `items`, with at most `limit` calls in flight; keeps the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`centerwatch-agent: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
