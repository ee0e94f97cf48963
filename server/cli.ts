import { loadOrReport } from '../common/config-errors.js';
import { loadConfigForCli, parseCommandLine } from '../common/cli.js';
import { createLogger } from '../common/log.js';
import { loadServerConfig } from './config/load.js';
import { CenterwatchServer } from './server.js';
import { newToken } from './tokens.js';
import { hashPassword } from './web/login.js';
import { EXPORTERS, isExportTarget } from './export/index.js';
import { FLEET_HELP, fleetMain, isFleetCommand } from './fleet/cli.js';

const HELP = `centerwatch-server — the province server: receives agents' remote_write, keeps the latest state, forwards upstream

Usage:
  centerwatch-server [--config FILE]        run (default FILE: config/server.yaml)
  centerwatch-server --check-config [--config FILE]
                                            validate the config, print every problem (file:line:column: field: message)
  centerwatch-server token [ID]             print a new random token for an agent, and the line that enrols it
  centerwatch-server password               read a password on stdin, print its hash for web.login.users
  centerwatch-server export TARGET [--config FILE]
                                            print the engine's alerting as files for Prometheus + Alertmanager:
                                            prometheus-rules | alertmanager-config | prometheus-config

${FLEET_HELP}
Signals: SIGINT/SIGTERM stop accepting, finish requests in flight, close the forwarding queue and exit.

Options:
  -c, --config FILE   config file (YAML)
      --check-config  validate only
  -h, --help          this text
  -v, --version       the version
`;

async function main(argv: string[]): Promise<number> {
  // The fleet's commands take options of their own.
  if (isFleetCommand(argv[0])) return fleetMain(argv);
  const parsed = parseCommandLine(
    argv,
    {
      config: { type: 'string', short: 'c', default: 'config/server.yaml' },
      'check-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
    HELP,
  );
  if ('exit' in parsed) return parsed.exit;
  const args = parsed.values;
  if (parsed.positionals[0] === 'token') {
    const { token, sha256 } = newToken();
    const id = parsed.positionals[1] ?? 'CENTER.AGENT';
    process.stdout.write(
      `token (give it to the agent, e.g. in a file named by push.targets[].bearer_token_file; it is not shown again):\n  ${token}\n` +
        `server config line (under tokens:, fill in province, center and agent):\n  - { id: ${id}, sha256: ${sha256}, province: PROVINCE, center: CENTER, agent: AGENT }\n`,
    );
    return 0;
  }
  if (parsed.positionals[0] === 'password') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (password.length < 8) {
      process.stderr.write('a password of at least 8 characters on stdin, please\n');
      return 2;
    }
    process.stdout.write(`${hashPassword(password)}\n`);
    return 0;
  }
  if (parsed.positionals[0] === 'export') {
    const target = parsed.positionals[1];
    if (!isExportTarget(target) || parsed.positionals.length > 2) {
      process.stderr.write(`export needs one of: ${Object.keys(EXPORTERS).join(', ')}\n\n${HELP}`);
      return 2;
    }
    const config = loadOrReport(() => loadServerConfig(args.config));
    if (!config) return 1;
    process.stdout.write(EXPORTERS[target](config));
    return 0;
  }
  if (parsed.positionals.length > 0) {
    process.stderr.write(`unknown command ${parsed.positionals[0]}\n\n${HELP}`);
    return 2;
  }

  const config = loadConfigForCli((onWarning) => loadServerConfig(args.config, process.env, onWarning));
  if (!config) return 1;
  if (args['check-config']) {
    process.stdout.write(`${args.config}: OK (${config.tokens.length} tokens, ${config.forward.length} forward upstreams)\n`);
    return 0;
  }
  const log = createLogger(config.log_level, { component: 'server' });
  const server = new CenterwatchServer(config, log);
  await server.start();
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      log.info('stopping', { signal });
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await server.stop();
  return 0;
}

// exitCode, not exit(): a clean stop leaves nothing running, so the process ends by itself once the
// last socket and file are closed (a hang here would point at a leak).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`centerwatch-server: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
