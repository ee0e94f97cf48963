import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { isSea } from 'node:sea';
import { resolve } from 'node:path';
import { agentPaths } from '../paths.js';
import {
  folderAclArgs,
  installArgs,
  parseServiceState,
  SERVICE_ACCOUNT,
  SERVICE_NAME,
  startArgs,
  statusArgs,
  stopArgs,
  uninstallArgs,
  type ServiceCommand,
} from './service-args.js';

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
  const [create, ...rest] = installArgs(serviceCommand(config));
  let code = run('sc.exe', create!, out);
  if (code === ERROR_SERVICE_EXISTS) code = run('sc.exe', ['config', ...create!.slice(1)], out);
  if (code !== 0) return code;
  for (const args of rest) {
    code = run('sc.exe', args, out);
    if (code !== 0) return code;
  }
  code = run('icacls.exe', folderAclArgs(root!), out);
  if (code !== 0) return code;
  out(`${SERVICE_NAME} installed: runs as ${SERVICE_ACCOUNT}, starts at boot (delayed), restarts after a crash.\n`);
  out(`Its folder ${root} is readable by the service and administrators only; keep tokens in ${secretsDir}.\n`);
  if (!existsSync(config)) out(`Note: ${resolve(config)} does not exist yet; write it, then: centerwatch-agent service start\n`);
  return 0;
}

export function uninstall(out: (text: string) => void): number {
  const [stop, del] = uninstallArgs();
  const code = run('sc.exe', stop!, out);
  if (code !== 0 && code !== ERROR_SERVICE_NOT_ACTIVE) out(`(stop: exit ${code}; deleting anyway)\n`);
  const deleted = run('sc.exe', del!, out);
  if (deleted === 0) out(`${agentPaths('win32').root} is kept (config, tokens, WAL); remove it by hand if no longer needed.\n`);
  return deleted;
}

export const start = (out: (text: string) => void): number => run('sc.exe', startArgs(), out);
export const stop = (out: (text: string) => void): number => run('sc.exe', stopArgs(), out);

/** Exit 0 when the service runs, 3 when installed but not running (as systemctl status), else sc's code. */
export function status(out: (text: string) => void): number {
  let text = '';
  const code = run('sc.exe', statusArgs(), (t) => (text += t));
  out(text);
  if (code !== 0) return code;
  return parseServiceState(text) === 'RUNNING' ? 0 : 3;
}
