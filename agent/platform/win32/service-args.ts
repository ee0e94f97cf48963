/**
 * The Windows service as data: its names, and the exact argument lists given to sc.exe and icacls.
 * Pure functions, unit-tested on any platform; agent/platform/win32/service-control.ts runs them.
 */

/** The service's key name (`sc query centerwatch-agent`). */
export const SERVICE_NAME = 'centerwatch-agent';
/** The service's identity: its virtual account, which has a SID of its own for the ACL and no password. */
export const SERVICE_ACCOUNT = `NT SERVICE\\${SERVICE_NAME}`;
export const DISPLAY_NAME = 'Centerwatch - Giám sát trung tâm hành chính công (monitoring agent)';
export const DESCRIPTION =
  'Kiểm tra đường truyền, hệ thống và thiết bị của trung tâm phục vụ hành chính công, gửi kết quả về máy chủ tỉnh. ' +
  "Probes the center's lines, systems and devices and pushes the results to the province server.";

/** Restart after a crash: 5 s, 10 s, then 30 s; the count starts again after a day without one. */
export const FAILURE_ACTIONS = { resetSeconds: 86_400, restartMs: [5_000, 10_000, 30_000] } as const;

/** SIDs rather than names: "Administrators" and "SYSTEM" are translated on localized Windows. */
const SID_SYSTEM = '*S-1-5-18';
const SID_ADMINISTRATORS = '*S-1-5-32-544';

/**
 * Quotes one argument so that CommandLineToArgvW (and the C runtime) reads it back unchanged:
 * backslashes are literal unless they precede a quote, where they are doubled, as they are before the
 * closing quote. Arguments without spaces, tabs or quotes stay bare.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      slashes++;
      continue;
    }
    out += '\\'.repeat(ch === '"' ? slashes * 2 + 1 : slashes) + ch;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}

/** How the service's process is started: the program, and for a script run by node.exe, the script. */
export interface ServiceCommand {
  /** node.exe, or the packaged centerwatch-agent.exe. */
  program: string;
  /** The agent's script when `program` is node.exe; absent for the packaged agent. */
  script?: string;
  /** Absolute path of the config file. */
  config: string;
}

/** The service's command line (sc.exe's `binPath=`): `"<program>" ["<script>"] service run --config "<config>"`. */
export function binPath(cmd: ServiceCommand): string {
  // The program is always quoted: unquoted, "C:\Program Files\x.exe" would first be tried as "C:\Program".
  const program = cmd.program.startsWith('"') ? cmd.program : `"${cmd.program}"`;
  return [program, ...(cmd.script ? [quoteWindowsArg(cmd.script)] : []), 'service', 'run', '--config', quoteWindowsArg(cmd.config)].join(' ');
}

/**
 * What Wine's sc.exe (Wine 8) lacks, measured under Wine by test/integration/windows-service.test.ts:
 * `failureflag` and `queryex` end with "command not supported" (exit 1); `start= delayed-auto` is
 * ignored (the service is created demand-start); `failure` is stored but never acted on (a killed
 * service stays "RUNNING" and is not restarted); its icacls is a stub that changes nothing.
 */
export const WINE_LACKS = ['failureflag', 'queryex', 'delayed-auto start', 'failure actions', 'icacls'] as const;

/**
 * sc.exe's argument lists for `service install`, in order: create, description, failure actions,
 * failure flag. Under Wine the failure flag is left out: its sc.exe refuses the command.
 */
export function installArgs(cmd: ServiceCommand, host: { wine?: boolean } = {}): string[][] {
  const { resetSeconds, restartMs } = FAILURE_ACTIONS;
  const all = [
    ['create', SERVICE_NAME, 'binPath=', binPath(cmd), 'start=', 'delayed-auto', 'DisplayName=', DISPLAY_NAME, 'obj=', SERVICE_ACCOUNT],
    ['description', SERVICE_NAME, DESCRIPTION],
    ['failure', SERVICE_NAME, 'reset=', String(resetSeconds), 'actions=', restartMs.map((ms) => `restart/${ms}`).join('/')],
    // Also when the service stops itself with an error (a config it cannot load), not only on a crash.
    ['failureflag', SERVICE_NAME, '1'],
  ];
  return host.wine ? all.filter((args) => args[0] !== 'failureflag') : all;
}

/**
 * The service's own environment (reg.exe's arguments; sc.exe cannot set it): the one node flag of the
 * bundle's first line that NODE_OPTIONS takes, read when the heap is made (bench:package: about 3 MiB
 * less RSS under load). The single executable sets --lite-mode itself (packaging/package.mjs).
 */
export const SERVICE_ENVIRONMENT = ['NODE_OPTIONS=--max-semi-space-size=1'] as const;
export function environmentArgs(): string[] {
  return [
    'add',
    `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${SERVICE_NAME}`,
    '/v',
    'Environment',
    '/t',
    'REG_MULTI_SZ',
    '/d',
    SERVICE_ENVIRONMENT.join('\\0'),
    '/f',
  ];
}

export const uninstallArgs = (): string[][] => [
  ['stop', SERVICE_NAME],
  ['delete', SERVICE_NAME],
];
export const startArgs = (): string[] => ['start', SERVICE_NAME];
export const stopArgs = (): string[] => ['stop', SERVICE_NAME];
/** `queryex` (it adds the PID); Wine's sc.exe knows `query` only. */
export const statusArgs = (host: { wine?: boolean } = {}): string[] => [host.wine ? 'query' : 'queryex', SERVICE_NAME];

/**
 * icacls's arguments for the agent's folder: inherited entries removed (the Users group may read
 * C:\ProgramData), full control for SYSTEM and Administrators, modify for the service's account, each
 * inherited by every file and folder below (OI)(CI). Only the service and administrators read the token.
 */
export function folderAclArgs(dir: string, account: string = SERVICE_ACCOUNT): string[] {
  return [dir, '/inheritance:r', '/grant:r', `${SID_SYSTEM}:(OI)(CI)F`, `${SID_ADMINISTRATORS}:(OI)(CI)F`, `${account}:(OI)(CI)M`, '/Q'];
}

/** The state in `sc queryex`'s answer ("STATE : 4 RUNNING"), or undefined. */
export function parseServiceState(output: string): string | undefined {
  return /STATE\s*:\s*\d+\s+(\w+)/.exec(output)?.[1];
}
