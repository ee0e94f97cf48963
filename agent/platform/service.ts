import { platformName, type PlatformName } from './index.js';

/** The actions of `centerwatch-agent service …`; `run` is what the service control manager starts. */
export const SERVICE_ACTIONS = ['install', 'uninstall', 'start', 'stop', 'status', 'run'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** The agent's run for the service: starts it, and returns how to drain it. */
export type StartAgent = () => Promise<{ stop(): Promise<void> }>;

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
  let agent: { stop(): Promise<void> } | undefined;
  const outcome = await runAsService(
    SERVICE_NAME,
    {
      start: async () => {
        agent = await startAgent();
      },
      stop: async () => agent?.stop(),
    },
    (what, e) => err(`centerwatch-agent service: ${what}${e instanceof Error ? `: ${e.message}` : ''}\n`),
  );
  if (outcome === 'not_a_service') {
    err('centerwatch-agent service run: not started by the service control manager (use: centerwatch-agent service start)\n');
    return 2;
  }
  return outcome === 'stopped' ? 0 : 1;
}
