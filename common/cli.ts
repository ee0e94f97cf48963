import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatProblem, loadOrReport, type ConfigProblem } from './config-errors.js';
import { agentVersion } from './version.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;

/**
 * The command line both bins share: `options` parsed strictly (positionals allowed, each bin says
 * which it knows), `--help` and `--version` answered here. Returns the exit code when the run ends
 * here (2 for a bad option, with the help), else what was parsed.
 */
export function parseCommandLine<O extends Options>(argv: string[], options: O, help: string): { exit: number } | Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${help}`);
    return { exit: 2 };
  }
  const values = parsed.values as { help?: boolean; version?: boolean };
  if (values.help) {
    process.stdout.write(help);
    return { exit: 0 };
  }
  if (values.version) {
    process.stdout.write(`${agentVersion()}\n`);
    return { exit: 0 };
  }
  return parsed;
}

/**
 * Loads a config for a bin: every problem and their count on stderr (undefined then), every warning
 * (a secret written in the file, a check the platform cannot run) on stderr after a good load.
 */
export function loadConfigForCli<T>(load: (onWarning: (w: ConfigProblem) => void) => T): T | undefined {
  const warnings: ConfigProblem[] = [];
  const config = loadOrReport(() => load((w) => warnings.push(w)));
  if (config === undefined) return undefined;
  for (const w of warnings) process.stderr.write(`${formatProblem(w)} (warning)\n`);
  return config;
}
