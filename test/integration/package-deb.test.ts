/**
 * The .deb of the linux-x64 executable: its metadata and contents, then a real `dpkg -i` on this
 * machine: the centerwatch user, CAP_NET_RAW on the binary, the unit verified by systemd-analyze, the
 * unit's ExecStart run as that user as systemd would (its state and cache directories, its
 * environment) serving /metrics with the shipped config's icmp line check up; and `dpkg --purge`
 * leaving nothing behind. Runs only as root with no centerwatch-agent package installed (CI: must run).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/bins.js';
import { requireService } from '../helpers/ctx.js';
import { packaged, run, type Packaged } from '../helpers/package.js';
import { freePort } from '../helpers/prometheus.js';
import { commandExists } from '../helpers/servers.js';

/** Any state of a centerwatch-agent package (installed, or its config files left). */
const installed = (): boolean => {
  try {
    return !/not-installed/.test(
      execFileSync('dpkg-query', ['-W', '-f', '${Status}', 'centerwatch-agent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
  } catch {
    return false;
  }
};
const isRoot = process.getuid?.() === 0;
const tools = ['dpkg', 'dpkg-deb', 'setcap', 'getcap', 'setpriv', 'ping'].filter((t) => !commandExists(t));
const why = !isRoot
  ? 'installing the .deb needs root'
  : installed()
    ? 'a centerwatch-agent package is already installed on this machine'
    : `missing tools: ${tools.join(', ')} (Debian packages dpkg, libcap2-bin, util-linux, iputils-ping)`;
const canRun = isRoot && !installed() && tools.length === 0;

const FILES = [
  '/usr/bin/centerwatch-agent',
  '/usr/lib/systemd/system/centerwatch-agent.service',
  '/etc/centerwatch',
  '/var/lib/centerwatch',
  '/var/cache/centerwatch',
];

describe.skipIf(!requireService(canRun, why))('the centerwatch-agent .deb', () => {
  let pkg: Packaged;
  let deb: string;

  beforeAll(() => {
    pkg = packaged();
    deb = pkg.deb.amd64;
  }, 600_000);

  afterAll(async () => {
    // A failed test must not leave the package installed.
    if (installed()) await run('dpkg', ['--purge', 'centerwatch-agent']);
  });

  it('dpkg-deb --info: name, version, architecture, dependencies, maintainer scripts, the config as a conffile', async () => {
    const info = await run('dpkg-deb', ['--info', deb]);
    expect(info.stdout).toMatch(/^ Package: centerwatch-agent$/m);
    expect(info.stdout).toContain(` Version: ${pkg.version}\n`);
    expect(info.stdout).toMatch(/^ Architecture: amd64$/m);
    expect(info.stdout).toMatch(/^ Depends: .*libcap2-bin/m);
    for (const script of ['postinst', 'prerm', 'postrm']) expect(info.stdout).toMatch(new RegExp(`\\d+ bytes, +\\d+ lines +\\* +${script} +#!/bin/sh`));
    expect((await run('dpkg-deb', ['--info', deb, 'conffiles'])).stdout).toBe('/etc/centerwatch/agent.yaml\n');
  });

  it('dpkg-deb --contents: the executable, the unit, the config, owned by root', async () => {
    const listing = (await run('dpkg-deb', ['--contents', deb])).stdout;
    expect(listing).toMatch(/^-rwxr-xr-x root\/root +\d+ .* \.\/usr\/bin\/centerwatch-agent$/m);
    expect(listing).toMatch(/^-rw-r--r-- root\/root +\d+ .* \.\/usr\/lib\/systemd\/system\/centerwatch-agent\.service$/m);
    expect(listing).toMatch(/^-rw-r----- root\/root +\d+ .* \.\/etc\/centerwatch\/agent\.yaml$/m);
    expect(listing).not.toMatch(/ \.\/(opt|home|root|tmp)\//);
  });

  it('installs, runs as the centerwatch user with CAP_NET_RAW, and purges without a trace', async () => {
    const install = await run('dpkg', ['-i', deb], process.env, 120_000);
    expect(install.status, install.stderr).toBe(0);

    expect((await run('getent', ['passwd', 'centerwatch'])).stdout).toMatch(/^centerwatch:x:\d+:\d+:[^:]*:\/var\/lib\/centerwatch:\/usr\/sbin\/nologin$/m);
    expect((await run('getcap', ['/usr/bin/centerwatch-agent'])).stdout).toMatch(/^\/usr\/bin\/centerwatch-agent cap_net_raw=ep$/m);

    const unit = readFileSync('/usr/lib/systemd/system/centerwatch-agent.service', 'utf8');
    if (commandExists('systemd-analyze')) {
      const verify = await run('systemd-analyze', ['verify', '/usr/lib/systemd/system/centerwatch-agent.service']);
      expect(verify.stderr).not.toMatch(/centerwatch-agent\.service:\d+:/);
      expect(verify.stderr).not.toMatch(/centerwatch-agent\.service: (Command|Failed|Unknown)/);
    }

    // The unit's ExecStart with the installed config, on a free port instead of 9478.
    const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
    expect(execStart.slice(0, 3)).toEqual(['/usr/bin/centerwatch-agent', '--config', '/etc/centerwatch/agent.yaml']);
    const port = await freePort();
    const shipped = readFileSync('/etc/centerwatch/agent.yaml', 'utf8');
    expect(shipped).toMatch(/kind: icmp/);
    // In the state directory, which the purge removes.
    const config = '/var/lib/centerwatch/test.yaml';
    writeFileSync(config, shipped.replaceAll('127.0.0.1:9478', `127.0.0.1:${port}`));
    await run('chgrp', ['centerwatch', config]);
    // What systemd prepares for the unit: its cache directory (CacheDirectory=) and environment.
    await run('install', ['-d', '-o', 'centerwatch', '-g', 'centerwatch', '-m', '0750', '/var/cache/centerwatch']);
    const agent = spawn('setpriv', ['--reuid=centerwatch', '--regid=centerwatch', '--init-groups', '--', execStart[0]!, '--config', config], {
      cwd: '/var/lib/centerwatch',
      env: { PATH: '/usr/bin:/bin', HOME: '/var/lib/centerwatch', STATE_DIRECTORY: '/var/lib/centerwatch', CACHE_DIRECTORY: '/var/cache/centerwatch' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    agent.stderr.on('data', (c: Buffer) => (log += c.toString()));
    try {
      const metrics = await eventually(
        async () => {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return /^centerwatch_probe_success\{[^}]*check="line-loopback"[^}]*\} 1$/m.test(text) ? text : undefined;
        },
        20_000,
        `the icmp line check up on /metrics (agent log: ${log.slice(-1500)})`,
      );
      expect(metrics).toMatch(/^centerwatch_agent_info\{[^}]*version="[^"]+"/m);
      const status = readFileSync(`/proc/${agent.pid}/status`, 'utf8');
      expect(Number(/^Uid:\s+(\d+)/m.exec(status)![1])).not.toBe(0);
    } finally {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }

    const purge = await run('dpkg', ['--purge', 'centerwatch-agent'], process.env, 60_000);
    expect(purge.status, purge.stderr).toBe(0);
    expect(FILES.filter((f) => existsSync(f))).toEqual([]);
    expect((await run('dpkg-query', ['-W', 'centerwatch-agent'])).status).not.toBe(0);
  }, 180_000);
});
