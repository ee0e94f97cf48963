import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, win32 } from 'node:path';
import { agentPaths } from '../paths.js';

/** Where `service run` writes the agent's log (a service has no stderr): `%ProgramData%\centerwatch\logs\agent.log`. */
export function serviceLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return win32.join(agentPaths('win32', env).root!, 'logs', 'agent.log');
}

/** Bounds of the service's log file. */
export interface LogFileOptions {
  /** Size past which the file is rotated. Default 10 MiB. */
  maxBytes?: number;
  /** Files kept in all, the live one included (`agent.log`, `agent.log.1`, … `agent.log.<keep-1>`). Default 3. */
  keep?: number;
}

/** A size-capped, rotated log file written synchronously, as stderr is: a line is on disk when `write` returns. */
export interface LogFile {
  write(line: string): void;
  close(): void;
}

/**
 * Opens (appending) the log file of the agent run as a service, whose stdout and stderr go nowhere.
 * Before a line would take the file past `maxBytes`, `path` becomes `path.1` (`.1` becomes `.2`…, the
 * oldest dropped) and a new file is started. The file is closed before its rename: Windows refuses to
 * rename a file this process holds open without delete sharing. A write that fails is dropped rather
 * than thrown: the log must not stop the agent.
 */
export function openLogFile(path: string, options: LogFileOptions = {}): LogFile {
  const maxBytes = options.maxBytes ?? 10 * 2 ** 20;
  const keep = Math.max(1, options.keep ?? 3);
  mkdirSync(dirname(path), { recursive: true });
  let fd: number | undefined = openSync(path, 'a');
  let size = fstatSync(fd).size;

  const rotate = (): void => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(`${path}.${keep - 1}`, { force: true });
    for (let i = keep - 2; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // not there yet
      }
    }
    if (keep > 1) renameSync(path, `${path}.1`);
    else rmSync(path, { force: true });
    fd = openSync(path, 'a');
    size = 0;
  };

  return {
    write(line) {
      const bytes = Buffer.from(line, 'utf8');
      try {
        if (size > 0 && size + bytes.length > maxBytes) rotate();
        fd ??= openSync(path, 'a');
        writeSync(fd, bytes);
        size += bytes.length;
      } catch {
        // A full disk or a file held by another process: the line is lost, the agent goes on.
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
