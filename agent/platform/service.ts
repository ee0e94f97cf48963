import { createLogger, type Logger } from '../../common/log.js';
import { platformName, type PlatformName } from './index.js';
import { serviceLogPath } from './win32/log-file.js';

/** The actions of `centerwatch-agent service …`; `run` is what the service control manager starts. */
export const SERVICE_ACTIONS = ['install', 'uninstall', 'start', 'stop', 'status', 'run'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/**
 * The agent's run for the service: starts it with its log lines given to `write` (a service has no
 * stderr), and returns how to drain it.
 */
export type StartAgent = (write: (line: string) => void) => Promise<{ stop(): Promise<void> }>;

const SYSTEMD_NOTE = `centerwatch-agent service: Windows only. On Linux the agent runs under systemd:
  the unit deploy/systemd/centerwatch-agent.service (see deploy/systemd/README.md), or the .deb package,
  which installs and enables it: systemctl enable --now centerwatch-agent
`;

/** Carries out `service <action>`; returns the exit code. */
export async function serviceMain(
  action: ServiceAction,
  config: string,
  startAgent: StartAgent,
  io: { out: (t: string) => void; err: (t: string) => void },
  platform: PlatformName = platformName(),
): Promise<number> {
  if (platform !== 'win32') {
    io.err(SYSTEMD_NOTE);
    return 2;
  }
  // Loaded only on Windows: it is where koffi comes in.
  const control = await import('./win32/service-control.js');
  switch (action) {
    case 'install':
      return control.install(config, io.out);
    case 'uninstall':
      return control.uninstall(io.out);
    case 'start':
      return control.start(io.out);
    case 'stop':
      return control.stop(io.out);
    case 'status':
      return control.status(io.out);
    case 'run':
      return runService(startAgent, io.err);
  }
}

async function runService(startAgent: StartAgent, err: (t: string) => void): Promise<number> {
  const { runAsService } = await import('./win32/service-scm.js');
  const { SERVICE_NAME } = await import('./win32/service-args.js');
  const { openLogFile } = await import('./win32/log-file.js');
  let file: { write(line: string): void; close(): void };
  try {
    file = openLogFile(serviceLogPath());
  } catch (e) {
    // Not fatal: the agent can run without its file (run by hand, the lines are on stderr).
    err(`centerwatch-agent service: cannot open ${serviceLogPath()}: ${(e as Error).message}\n`);
    file = { write: (line) => process.stderr.write(line), close: () => undefined };
  }
  const write = (line: string): void => file.write(line);
  // The service's own events, as JSON lines in the same file as the agent's.
  const log: Logger = createLogger('info', { service: SERVICE_NAME }, write);
  const fatal = (e: unknown): void => {
    log.error('the service process failed', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    file.close();
    // Exiting without STOPPED: the SCM counts it as a crash and applies the failure actions.
    process.exit(70);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let agent: { stop(): Promise<void> } | undefined;
  const started = Date.now();
  const outcome = await runAsService(
    SERVICE_NAME,
    {
      start: async () => {
        log.info('service starting', { pid: process.pid });
        agent = await startAgent(write);
        log.info('service running', { start_seconds: (Date.now() - started) / 1000 });
      },
      stop: async (reason) => {
        const t = Date.now();
        log.info('service stopping', { reason });
        await agent?.stop();
        log.info('service drained', { drain_seconds: (Date.now() - t) / 1000 });
      },
    },
    (what, e) => log.error(what, e instanceof Error ? { error: e.message } : {}),
  );
  process.off('uncaughtException', fatal);
  process.off('unhandledRejection', fatal);
  if (outcome === 'not_a_service') {
    file.close();
    err('centerwatch-agent service run: not started by the service control manager (use: centerwatch-agent service start)\n');
    return 2;
  }
  log.info('service ended', { outcome });
  file.close();
  return outcome === 'stopped' ? 0 : 1;
}
