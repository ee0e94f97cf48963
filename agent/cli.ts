import { ConfigError, formatProblem } from '../common/config-errors.js';
import { loadConfigForCli, parseCommandLine } from '../common/cli.js';
import { createLogger } from '../common/log.js';
import { Agent } from './agent.js';
import { loadAgentConfig } from './config/load.js';
import { formatOnceTable } from './once-table.js';
import { agentPaths } from './platform/paths.js';
import { SERVICE_ACTIONS, serviceMain, type ServiceAction } from './platform/service.js';

const HELP = `centerwatch-agent — probes a center's lines, links and devices and exposes Prometheus metrics

Usage:
  centerwatch-agent [--config FILE]          run the checks and serve /metrics
  centerwatch-agent --check-config [--config FILE]
                                             validate the config, print every problem (file:line:column: field: message)
  centerwatch-agent --once [--config FILE]   run every check once, print a table, exit 0 if all are up, 1 otherwise
  centerwatch-agent service install|uninstall|start|stop|status [--config FILE]
                                             Windows: the agent as the service "centerwatch-agent" (run as
                                             NT SERVICE\\centerwatch-agent, started at boot, restarted after a crash;
                                             install creates %ProgramData%\\centerwatch, readable by the service and
                                             administrators only). Linux uses systemd (deploy/systemd, the .deb).

Default FILE: config/default.yaml on Linux, %ProgramData%\\centerwatch\\agent.yaml on Windows.

Signals: SIGHUP reloads the config (a bad file keeps the running one); SIGINT/SIGTERM drain and exit.

Options:
  -c, --config FILE   config file (YAML)
      --check-config  validate only
      --once          one run of every check
  -h, --help          this text
  -v, --version       the version
`;

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(
    argv,
    {
      config: { type: 'string', short: 'c', default: agentPaths().configFile },
      'check-config': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
    HELP,
  );
  if ('exit' in args) return args.exit;
  const [command, action, ...extra] = args.positionals;
  if (command !== undefined) {
    // `service run` is what the service control manager starts; it is not offered in the help.
    if (command !== 'service' || !SERVICE_ACTIONS.includes(action as ServiceAction) || extra.length > 0) {
      process.stderr.write(`unexpected argument${args.positionals.length > 1 ? 's' : ''} ${args.positionals.join(' ')}\n\n${HELP}`);
      return 2;
    }
    const config = args.values.config;
    return serviceMain(action as ServiceAction, config, (write) => startAgent(config, write), {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    });
  }
  return runCli(args.values);
}

/** The agent as the service runs it: a config that does not load stops the service with an error. */
async function startAgent(file: string, write: (line: string) => void): Promise<Agent> {
  const config = loadAgentConfig(file);
  const agent = new Agent(config, createLogger(config.agent.log_level, { center: config.center.id, agent: config.agent.id }, write));
  await agent.start();
  return agent;
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
  // SIGHUP reloads the config, as Prometheus and its exporters do; a bad file keeps the last good config.
  let reloading = Promise.resolve();
  const onHangup = (): void => {
    reloading = reloading.then(async () => {
      try {
        await agent.reload(loadAgentConfig(args.config));
      } catch (err) {
        agent.configRejected();
        const problems = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error)?.name ?? 'error'];
        log.error('config reload refused; keeping the running config', { problems });
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
