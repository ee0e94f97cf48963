import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { unsupportedChecks } from '../agent/config/platform.js';
import { loadAgentConfig } from '../agent/config/load.js';
import type { ProbeDefinition } from '../agent/probes/types.js';
import { ConfigError, formatProblem, type ConfigProblem } from '../common/config-errors.js';

const dir = 'test/fixtures/config';
const WIN_HINT = 'but this agent runs on Windows (give a Windows path, e.g. under C:\\ProgramData\\centerwatch)';
const LINUX_HINT = 'but this agent runs on Linux (give a Linux path, e.g. under /etc/centerwatch)';

/** What `--check-config` prints for a file loaded as on `platform`: its errors and its warnings. */
function check(file: string, platform: 'linux' | 'win32'): { errors: string[]; warnings: string[] } {
  const warnings: ConfigProblem[] = [];
  try {
    loadAgentConfig(join(dir, file), {}, (w) => warnings.push(w), platform);
    return { errors: [], warnings: warnings.map(formatProblem) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { errors: err.problems.map(formatProblem), warnings: warnings.map(formatProblem) };
  }
}

describe('a config written for the other platform', () => {
  it('a Linux config on Windows: interface-only lines and Linux paths, each with file:line:column and field', () => {
    const f = `${dir}/linux-on-windows.yaml`;
    expect(check('linux-on-windows.yaml', 'win32').errors).toEqual([
      `${f}:5:31: lines[0].interface: Windows binds a line by its source address, not by interface name ("eth0"): give lines[0].source, the address the line's network card holds`,
      `${f}:13:16: checks[0].options.ca_file: "/etc/centerwatch/ca.pem" is a Linux path, ${WIN_HINT}`,
      `${f}:16:25: checks[1].options.mounts[0]: "/" is a Linux path, ${WIN_HINT}`,
      `${f}:16:30: checks[1].options.mounts[1]: "/data" is a Linux path, ${WIN_HINT}`,
      `${f}:18:15: push.wal.dir: "/var/lib/centerwatch/wal" is a Linux path, ${WIN_HINT}`,
      // Said once, as a Linux path, not again as an unreadable secret file.
      `${f}:22:26: push.targets[0].bearer_token_file: "/etc/centerwatch/token" is a Linux path, ${WIN_HINT}`,
      `${f}:23:16: push.targets[0].ca_file: "/dev/null" is a Linux path, ${WIN_HINT}`,
    ]);
  });

  it('the same file on Linux has none of those problems (only its token file is missing here)', () => {
    expect(check('linux-on-windows.yaml', 'linux').errors).toEqual([
      `${dir}/linux-on-windows.yaml:22:26: push.targets[0].bearer_token_file: cannot read secret file "/etc/centerwatch/token" (ENOENT)`,
    ]);
  });

  it('a Windows config on Linux: adapter names, drive letters, UNC paths and backslashes', () => {
    const f = `${dir}/windows-on-linux.yaml`;
    expect(check('windows-on-linux.yaml', 'linux').errors).toEqual([
      `${f}:5:31: lines[0].interface: must be a Linux interface name such as eth1 or ppp0 (a Windows adapter name is not one: bind by source address)`,
      `${f}:12:16: checks[0].options.ca_file: "C:\\ProgramData\\centerwatch\\ca.pem" is a Windows path, ${LINUX_HINT}`,
      `${f}:14:15: push.wal.dir: "C:\\ProgramData\\centerwatch\\data\\wal" is a Windows path, ${LINUX_HINT}`,
      `${f}:18:26: push.targets[0].bearer_token_file: "secrets\\token" separates folders with "\\", which Linux reads as part of a file name (use "/")`,
      `${f}:19:16: push.targets[0].ca_file: "\\\\fileserver\\it\\ca.pem" is a Windows path, ${LINUX_HINT}`,
    ]);
  });

  it('valid-minimal.yaml fits both platforms', () => {
    expect(check('valid-minimal.yaml', 'win32')).toEqual({ errors: [], warnings: [] });
    expect(check('valid-minimal.yaml', 'linux')).toEqual({ errors: [], warnings: [] });
  });
});

describe('a check kind that cannot run on the platform', () => {
  // Definitions of our own: which real kinds say so is each probe's business (agent/probes).
  const options = z.object({ method: z.enum(['snmp', 'spooler']).default('snmp') }).strict();
  const probes = {
    fake: {
      kind: 'fake',
      options,
      unsupportedOn: (platform: string, o: z.output<typeof options>) => (platform === 'win32' && o.method === 'snmp' ? 'use method: spooler' : undefined),
    } as unknown as ProbeDefinition,
    everywhere: { kind: 'everywhere', options } as unknown as ProbeDefinition,
  };
  const doc = {
    checks: [
      { id: 'a', kind: 'fake' },
      { id: 'b', kind: 'fake', options: { method: 'spooler' } },
      { id: 'c', kind: 'everywhere' },
      { id: 'd', kind: 'fake', options: { method: 'telnet' } },
      { id: 'e', kind: 'toString' },
    ],
  };

  it('is a warning naming the platform, at the check kind, with the options the probe will run with', () => {
    expect(unsupportedChecks(doc, 'win32', probes)).toEqual([
      {
        path: ['checks', 0, 'kind'],
        atKey: false,
        warning: true,
        message: 'kind fake is not supported on Windows: use method: spooler (the check reports not_supported)',
      },
    ]);
  });

  it('says nothing on a platform the kind supports', () => {
    expect(unsupportedChecks(doc, 'linux', probes)).toEqual([]);
  });
});
