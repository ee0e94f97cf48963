import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { isSea } from 'node:sea';
import { resolve } from 'node:path';
import type * as Koffi from 'koffi';
import { loadNative } from '../../../common/native.js';
import { agentPaths } from '../paths.js';
import { serviceLogPath } from './log-file.js';
import {
  environmentArgs,
  folderAclArgs,
  installArgs,
  parseServiceState,
  SERVICE_ACCOUNT,
  SERVICE_NAME,
  startArgs,
  statusArgs,
  stopArgs,
  uninstallArgs,
  WINE_LACKS,
  type ServiceCommand,
} from './service-args.js';

/** How long `service start` and `stop` wait for RUNNING or STOPPED (the SCM's own wait hint is 30 s). */
const STATE_WAIT_MS = 60_000;

let wine: boolean | undefined;
/** Whether this is Wine rather than Windows: its ntdll exports wine_get_version. */
export function underWine(): boolean {
  if (wine === undefined) {
    try {
      const mod = loadNative<typeof Koffi & { default?: typeof Koffi }>('koffi');
      const koffi = mod.default ?? mod;
      koffi.load('ntdll.dll').func('const char *wine_get_version()');
      wine = true;
    } catch {
      wine = false;
    }
  }
  return wine;
}

/** sc.exe's exit codes that are no failure where they occur. */
const ERROR_SERVICE_NOT_ACTIVE = 1062;
const ERROR_SERVICE_EXISTS = 1073;

/** Runs a Windows tool, its output passed through; returns its exit code. */
function run(program: string, args: string[], out: (text: string) => void): number {
  const r = spawnSync(program, args, { encoding: 'utf8', windowsHide: true });
  if (r.error) {
    out(`${program}: ${r.error.message}\n`);
    return 1;
  }
  out(`${r.stdout}${r.stderr}`);
  return r.status ?? 1;
}

/** This process's command line as the service will run it. */
export function serviceCommand(config: string): ServiceCommand {
  const script = process.argv[1];
  return { program: process.execPath, ...(isSea() || !script ? {} : { script: resolve(script) }), config: resolve(config) };
}

/**
 * Registers the service (or updates it when it exists), then locks its folder down: icacls can name
 * `NT SERVICE\centerwatch-agent` only once the service exists.
 */
export function install(config: string, out: (text: string) => void): number {
  const { root, secretsDir, walDir } = agentPaths('win32');
  for (const dir of [root!, secretsDir, walDir]) mkdirSync(dir, { recursive: true });
  const host = { wine: underWine() };
  const [create, ...rest] = installArgs(serviceCommand(config), host);
  let code = run('sc.exe', create!, out);
  if (code === ERROR_SERVICE_EXISTS) code = run('sc.exe', ['config', ...create!.slice(1)], out);
  if (code !== 0) return code;
  for (const args of rest) {
    code = run('sc.exe', args, out);
    if (code !== 0) return code;
  }
  code = run('reg.exe', environmentArgs(), out);
  if (code !== 0) return code;
  code = run('icacls.exe', folderAclArgs(root!), out);
  if (code !== 0) return code;
  out(`${SERVICE_NAME} installed: runs as ${SERVICE_ACCOUNT}, starts at boot (delayed), restarts after a crash.\n`);
  out(`Its folder ${root} is readable by the service and administrators only; keep tokens in ${secretsDir}.\n`);
  if (host.wine) out(`Under Wine, which lacks ${WINE_LACKS.join(', ')}: it starts on demand and is not restarted after a crash.\n`);
  if (!existsSync(config)) out(`Note: ${resolve(config)} does not exist yet; write it, then: centerwatch-agent service start\n`);
  return 0;
}

export async function uninstall(out: (text: string) => void): Promise<number> {
  const [stop, del] = uninstallArgs();
  const code = run('sc.exe', stop!, out);
  if (code === 0) await waitFor('STOPPED', out);
  else if (code !== ERROR_SERVICE_NOT_ACTIVE) out(`(stop: exit ${code}; deleting anyway)\n`);
  const deleted = run('sc.exe', del!, out);
  if (deleted === 0) out(`${SERVICE_NAME} removed. ${agentPaths('win32').root} is kept (config, tokens, WAL); remove it by hand if no longer needed.\n`);
  return deleted;
}

/** The service's state as sc.exe reports it (RUNNING, STOPPED, START_PENDING…), or undefined when it is not installed. */
export function state(): string | undefined {
  let text = '';
  if (run('sc.exe', statusArgs({ wine: underWine() }), (t) => (text += t)) !== 0) return undefined;
  return parseServiceState(text);
}

/** Waits until the service is in `want` (or stopped while starting); says how long it took. */
async function waitFor(want: 'RUNNING' | 'STOPPED', out: (text: string) => void): Promise<boolean> {
  const t0 = Date.now();
  let now: string | undefined;
  while (Date.now() - t0 < STATE_WAIT_MS) {
    now = state();
    if (now === want || now === undefined || (want === 'RUNNING' && now === 'STOPPED')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const ok = now === want;
  out(`${SERVICE_NAME}: ${now ?? 'not installed'} after ${((Date.now() - t0) / 1000).toFixed(1)} s${ok ? '' : ` (waited for ${want})`}\n`);
  return ok;
}

/** Starts the service and waits until it reports RUNNING; 1 when it stopped instead (its log says why). */
export async function start(out: (text: string) => void): Promise<number> {
  const code = run('sc.exe', startArgs(), out);
  if (code !== 0) return code;
  if (await waitFor('RUNNING', out)) return 0;
  out(`See the agent's log: ${serviceLogPath()}\n`);
  return 1;
}

/** Asks the service to stop and waits until it has drained and reported STOPPED. */
export async function stop(out: (text: string) => void): Promise<number> {
  const code = run('sc.exe', stopArgs(), out);
  if (code !== 0) return code;
  return (await waitFor('STOPPED', out)) ? 0 : 1;
}

/** Exit 0 when the service runs, 3 when installed but not running (as systemctl status), else sc's code. */
export function status(out: (text: string) => void): number {
  let text = '';
  const code = run('sc.exe', statusArgs({ wine: underWine() }), (t) => (text += t));
  out(text);
  if (code !== 0) return code;
  return parseServiceState(text) === 'RUNNING' ? 0 : 3;
}
