import { existsSync } from 'node:fs';
import { win32 } from 'node:path';
import { platformName, type PlatformName } from './index.js';

/** Where the agent keeps its files by default on a platform. */
export interface AgentPaths {
  /**
   * The folder the agent owns, created (and locked down) by `service install`; undefined on Linux,
   * where the .deb or deploy/systemd create /etc/centerwatch and /var/lib/centerwatch.
   */
  root: string | undefined;
  /** The config file read when `--config` is not given (unless `enrolledConfigFile` exists). */
  configFile: string;
  /**
   * The file `centerwatch-agent enroll` writes and the agent keeps up to date, so a folder the agent
   * may write: on Linux the state directory (the .deb's unit makes /etc/centerwatch read-only and runs
   * this file once it exists); on Windows the config file itself, in the folder `service install` made.
   */
  enrolledConfigFile: string;
  /** Where secrets (`bearer_token_file`, `password_file`…) are kept. */
  secretsDir: string;
  /**
   * The WAL folder. The config's default `push.wal.dir` (`data/wal`) is relative to the config file,
   * so on Windows it lands here for the default config file.
   */
  walDir: string;
}

/** Where an enrolled agent's file lives on Linux: the .deb's state directory (writable by the service). */
export const LINUX_ENROLLED_CONFIG = '/var/lib/centerwatch/agent.yaml';

/**
 * The defaults per platform. Linux keeps what it had: `config/default.yaml` relative to the working
 * directory (`npm start`), the WAL in `data/wal` beside it. Windows keeps everything under
 * `%ProgramData%\centerwatch\` (a service starts in System32, so nothing may be relative there).
 */
export function agentPaths(platform: PlatformName = platformName(), env: NodeJS.ProcessEnv = process.env): AgentPaths {
  if (platform === 'linux')
    return {
      root: undefined,
      configFile: 'config/default.yaml',
      enrolledConfigFile: LINUX_ENROLLED_CONFIG,
      secretsDir: 'config',
      walDir: 'config/data/wal',
    };
  const root = win32.join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'centerwatch');
  const configFile = win32.join(root, 'agent.yaml');
  return { root, configFile, enrolledConfigFile: configFile, secretsDir: win32.join(root, 'secrets'), walDir: win32.join(root, 'data', 'wal') };
}

/**
 * The config to run when `--config` is not given: the enrolled file when there is one, else the
 * platform's default (`config/default.yaml` on Linux, as `npm start` has it).
 */
export function defaultConfigFile(paths: AgentPaths = agentPaths(), exists: (file: string) => boolean = existsSync): string {
  return exists(paths.enrolledConfigFile) ? paths.enrolledConfigFile : paths.configFile;
}

/**
 * A path for the other platform, said by `--check-config`: a drive letter, a UNC path or a backslash
 * on Linux; a root-anchored path (`/var/…`, `/dev/…`) on Windows, where it would name a folder on the
 * current drive. Undefined when the path fits `platform`.
 */
export function foreignPathProblem(path: string, platform: PlatformName): string | undefined {
  if (platform === 'win32') {
    if (/^\/(?!\/)/.test(path))
      return `"${path}" is a Linux path, but this agent runs on Windows (give a Windows path, e.g. under ${agentPaths('win32', {}).root})`;
    return undefined;
  }
  if (/^[A-Za-z]:([\\/]|$)/.test(path) || path.startsWith('\\\\'))
    return `"${path}" is a Windows path, but this agent runs on Linux (give a Linux path, e.g. under /etc/centerwatch)`;
  if (path.includes('\\')) return `"${path}" separates folders with "\\", which Linux reads as part of a file name (use "/")`;
  return undefined;
}
