// The Debian package of a linux executable, built with dpkg-deb from packaging/debian/.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const DEBIAN = new URL('./debian/', import.meta.url).pathname;
const DEB_ARCH = { 'linux-x64': 'amd64', 'linux-arm64': 'arm64' };

/**
 * /etc/centerwatch/agent.yaml: config/default.yaml (the loopback demo) without its push section,
 * whose server (`npm start`'s, on 127.0.0.1:9480) and token do not exist on a center PC. Enrolment
 * (`centerwatch-agent enroll`) writes /var/lib/centerwatch/agent.yaml, which the unit runs instead.
 */
export function packagedConfig() {
  const text = readFileSync(join(ROOT, 'config/default.yaml'), 'utf8');
  const start = text.indexOf('# Push to the province server');
  const end = text.indexOf('\ndefaults:');
  if (start < 0 || end < start) throw new Error('config/default.yaml: its push section is not where packaging/deb.mjs expects it');
  return (
    text
      .slice(0, start)
      .replace('# yaml-language-server: $schema=./agent.schema.json', '# yaml-language-server: $schema=/usr/share/centerwatch-agent/agent.schema.json') +
    '# Push to the province server: enrol this machine with a code from the province IT staff,\n' +
    '#   sudo centerwatch-agent enroll --server https://<province server>:9480 --code ABC-DEFG-HJ\n' +
    "# which writes /var/lib/centerwatch/agent.yaml from the province's profile; the service runs that file\n" +
    '# instead of this one once it exists (see /usr/share/doc/centerwatch-agent/README, "Enrol an agent").\n' +
    '# Or push by hand, e.g.\n' +
    '# push:\n#   interval: 15s\n#   wal: { dir: /var/lib/centerwatch/wal }\n' +
    '#   targets:\n#     - { name: province, url: "https://…/api/v1/write", bearer_token_file: /etc/centerwatch/agent.token }\n' +
    text.slice(end)
  );
}

function file(root, path, content, mode) {
  const dest = join(root, path);
  mkdirSync(join(dest, '..'), { recursive: true });
  if (typeof content === 'string') writeFileSync(dest, content);
  else copyFileSync(content.from, dest);
  chmodSync(dest, mode);
}

/** Builds `centerwatch-agent_<version>_<arch>.deb` of `exe` into `out`; returns its path. */
export function buildDeb({ exe, target, version, out, work, compression = 'xz' }) {
  const arch = DEB_ARCH[target];
  if (!arch) throw new Error(`no Debian architecture for ${target}`);
  const root = join(work, `deb-${arch}`);
  rmSync(root, { recursive: true, force: true });
  file(root, 'usr/bin/centerwatch-agent', { from: exe }, 0o755);
  file(root, 'usr/lib/systemd/system/centerwatch-agent.service', { from: join(DEBIAN, 'centerwatch-agent.service') }, 0o644);
  file(root, 'etc/centerwatch/agent.yaml', packagedConfig(), 0o640);
  // The three shapes of a center (README): behind a dual-WAN router, a box with a card per line, no router access.
  for (const t of ['center-template.yaml', 'center-line-box.yaml', 'center-no-router.yaml'])
    file(root, `usr/share/centerwatch-agent/${t}`, { from: join(ROOT, 'config', t) }, 0o644);
  file(root, 'usr/share/centerwatch-agent/agent.schema.json', { from: join(ROOT, 'config/agent.schema.json') }, 0o644);
  file(root, 'usr/share/doc/centerwatch-agent/README', { from: join(ROOT, 'README.md') }, 0o644);
  file(
    root,
    'usr/share/doc/centerwatch-agent/copyright',
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: Apache-2.0\n See /usr/share/common-licenses/Apache-2.0.\n',
    0o644,
  );
  const sizeKiB = Math.ceil(execFileSync('du', ['-sk', '--apparent-size', root], { encoding: 'utf8' }).split('\t')[0]);
  const control = readFileSync(join(DEBIAN, 'control'), 'utf8').replace('@VERSION@', version).replace('@ARCH@', arch).replace('@SIZE@', String(sizeKiB));
  file(root, 'DEBIAN/control', control, 0o644);
  file(root, 'DEBIAN/conffiles', '/etc/centerwatch/agent.yaml\n', 0o644);
  for (const script of ['postinst', 'prerm', 'postrm']) file(root, `DEBIAN/${script}`, { from: join(DEBIAN, script) }, 0o755);
  const deb = join(out, `centerwatch-agent_${version}_${arch}.deb`);
  // xz packs the executable (Node and the agent, ~100 MB) to ~25 MB in ~40 s; gzip (the tests') to ~35 MB in a few seconds.
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '--build', root, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  statSync(deb);
  return deb;
}
