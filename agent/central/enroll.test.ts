import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENROLL_PATH, normalizeCode, REPORT_HEADERS } from '../../common/enrolment.js';
import { startFakeProvince, renderedYaml, type FakeProvince } from '../../test/helpers/fake-province.js';
import { makeCert, opensslAvailable } from '../../test/helpers/tls.js';
import { loadAgentConfig } from '../config/load.js';
import { agentPaths, defaultConfigFile, LINUX_ENROLLED_CONFIG } from '../platform/paths.js';
import { centralRequest, type CentralRequest } from './client.js';
import { enrol, enrolBackoffMs, type EnrolArgs, type EnrolIo } from './enroll.js';

const CODE = 'abc-defg-hj';
const posix = process.platform !== 'win32';
let dir: string;
let file: string;
let province: FakeProvince;

/** enroll's io with a fake clock: a sleep advances it at once, and may act (bring the server up). */
function harness(onSleep?: (ms: number, n: number) => Promise<void> | void) {
  const out: string[] = [];
  const err: string[] = [];
  const sleeps: number[] = [];
  const sent: CentralRequest[] = [];
  let clock = 1_000_000;
  const io: EnrolIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    now: () => clock,
    random: () => 0.5,
    hostname: 'KHOA-PC03.local',
    platform: 'linux',
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      await onSleep?.(ms, sleeps.length);
    },
    request: (r) => {
      sent.push(r);
      return centralRequest(r);
    },
  };
  return { io, out, err, sleeps, sent, text: () => out.join('') + err.join('') };
}

const args = (extra: Partial<EnrolArgs> = {}): EnrolArgs => ({ server: province.url, code: CODE, configFile: file, ...extra });
const tokenOf = (): string => [...province.tokens][0]!;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cw-enrol-'));
  file = join(dir, 'agent.yaml');
  province = await startFakeProvince();
  province.codes.add(normalizeCode(CODE));
});
afterEach(async () => {
  await province.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('enrolBackoffMs', () => {
  it('starts at 1 s and doubles to 60 s, with ±20 % jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 30].map((a) => enrolBackoffMs(a, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(enrolBackoffMs(2, () => 0)).toBe(3200);
    expect(enrolBackoffMs(2, () => 1)).toBe(4800);
    expect(enrolBackoffMs(9, () => 1)).toBe(72000);
  });
});

describe('centerwatch-agent enroll, before anything is sent', () => {
  it.each([
    ['http://192.0.2.7:9480', '--server: the server must be reached over https (plain http only to a loopback address): http://192.0.2.7:9480'],
    ['https://province.example/api', "--server: give the server's address only (https://host:port), not a path: /api"],
  ])('refuses --server %s', async (server, message) => {
    const h = harness();
    expect(await enrol(args({ server }), h.io)).toBe(2);
    expect(h.err.join('')).toBe(`centerwatch-agent enroll: ${message}\n`);
    expect(h.sent).toEqual([]);
  });

  it('refuses a code of the wrong shape without echoing it, a bad name, and a folder that does not exist', async () => {
    const h = harness();
    expect(await enrol(args({ code: 'secret-typo-123' }), h.io)).toBe(2);
    expect(await enrol(args({ name: 'Quầy 3' }), h.io)).toBe(2);
    expect(await enrol(args({ configFile: join(dir, 'nope', 'agent.yaml') }), h.io)).toBe(2);
    expect(h.err).toEqual([
      'centerwatch-agent enroll: --code: a code has 9 letters and digits, shown as ABC-DEFG-HJ (dashes and spaces do not matter)\n',
      expect.stringContaining('--name: agent name "Quầy 3" must be lower-case letters'),
      `centerwatch-agent enroll: cannot write ${join(dir, 'nope', 'agent.yaml')}: the folder ${join(dir, 'nope')} does not exist; give another file with --config\n`,
    ]);
    expect(h.sent).toEqual([]);
  });

  it('the default file in a folder not made yet: says to install first', async () => {
    const h = harness();
    const missing = join(dir, 'centerwatch', 'agent.yaml');
    expect(await enrol(args({ configFile: missing, defaultFile: true }), h.io)).toBe(2);
    expect(await enrol(args({ configFile: missing, defaultFile: true }), { ...h.io, platform: 'win32' })).toBe(2);
    expect(h.err).toEqual([
      `centerwatch-agent enroll: cannot write ${missing}: the folder ${join(dir, 'centerwatch')} does not exist; install the agent first (the centerwatch-agent .deb), or give another file with --config\n`,
      `centerwatch-agent enroll: cannot write ${missing}: the folder ${join(dir, 'centerwatch')} does not exist; install the agent first (centerwatch-agent service install), or give another file with --config\n`,
    ]);
  });
});

describe('centerwatch-agent enroll against a loopback province server', () => {
  it("enrols with the host's name, writes the token (0600) and the profile's config, which loads; never prints the code or the token", async () => {
    province.profile = { name: 'ward', revision: 'ab12', yaml: renderedYaml('  - { id: web, kind: tcp, target: "127.0.0.1:9" }\n', 'khoa-pc03') };
    const h = harness();
    expect(await enrol(args(), h.io)).toBe(0);
    const sent = JSON.parse(province.requests[0]!.body) as Record<string, unknown>;
    expect(sent).toMatchObject({ code: 'ABCDEFGHJ', name: 'khoa-pc03', platform: 'linux', hostname: 'KHOA-PC03.local' });
    expect(province.requests[0]!.headers[REPORT_HEADERS.revision]).toBe('');
    const token = tokenOf();
    expect(readFileSync(join(dir, 'agent.token'), 'utf8')).toBe(`${token}\n`);
    const config = loadAgentConfig(file);
    expect(config.central).toEqual({ server: province.url, token_file: join(dir, 'agent.token'), profile: 'ward', revision: 'ab12' });
    expect(config.push?.targets).toEqual([expect.objectContaining({ name: 'province', url: `${province.url}/api/v1/write`, bearer_token: token })]);
    expect(config.checks.map((c) => c.id)).toEqual(['web']);
    if (posix) for (const f of ['agent.token', 'agent.yaml']) expect([f, statSync(join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
    expect(readdirSync(dir).sort()).toEqual(['agent.token', 'agent.yaml']);
    expect(h.out.join('')).toBe(
      'Enrolled as 21478/khoa-pc03: Phường Trương Quang Trọng (center 21478, province quang-ngai).\n' +
        `Token written to ${join(dir, 'agent.token')} (readable by its owner only).\n` +
        `Config written to ${file}: profile ward, revision ab12, 1 checks.\n` +
        'Next: start the service: systemctl restart centerwatch-agent (the .deb unit runs /var/lib/centerwatch/agent.yaml once it exists)\n',
    );
    expect(h.text()).not.toMatch(/ABC-?DEFG-?HJ/i);
    expect(h.text()).not.toContain(token);
  });

  it('with no profile for it yet (404), writes a starting file: its identity, no checks, the central section; the service starts from it', async () => {
    const h = harness();
    expect(await enrol(args({ name: 'counter-3' }), h.io)).toBe(0);
    const config = loadAgentConfig(file);
    expect(config.center).toEqual({ id: '21478', name: 'Phường Trương Quang Trọng', province: 'quang-ngai' });
    expect(config.agent.id).toBe('counter-3');
    expect(config.checks).toEqual([]);
    expect(config.central).toEqual({ server: province.url, token_file: join(dir, 'agent.token') });
    expect(h.out.join('')).toContain(`Config written to ${file} with no checks yet: no profile applies to 21478/counter-3 yet.`);
  });

  it('a hand-written config in the way is kept beside, not lost', async () => {
    writeFileSync(file, 'center: { id: x, name: X, province: quang-ngai }\nagent: { id: a }\n');
    const h = harness();
    expect(await enrol(args(), h.io)).toBe(0);
    expect(readFileSync(`${file}.before-enrol`, 'utf8')).toContain('center: { id: x');
    expect(h.out.join('')).toContain(`The config that was there is kept as ${file}.before-enrol.`);
  });

  it("a used or unknown code (401), a bad name (400) and plain http from afar (403) are said with the server's error, exit 1, not retried, nothing written", async () => {
    const cases: Array<[Partial<EnrolArgs>, (() => void) | undefined, string]> = [
      [{ code: 'ZZZ-ZZZZ-ZZ' }, undefined, `enrolment refused by ${province.url}: unknown code\n`],
      [{}, () => (province.failWith = { status: 400 }), `enrolment refused by ${province.url}: server trouble\n`],
      [{}, () => (province.failWith = { status: 403 }), `enrolment refused by ${province.url}: server trouble\n`],
      [{}, () => (province.failWith = { status: 409 }), `enrolment refused by ${province.url}: server trouble (choose another name with --name)\n`],
    ];
    for (const [a, setup, message] of cases) {
      setup?.();
      const h = harness();
      expect(await enrol(args(a), h.io)).toBe(1);
      expect(h.err.join('')).toBe(message);
      expect(h.sent).toHaveLength(1);
      expect(h.sleeps).toEqual([]);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the server down at first: retried with backoff and a clear message each time, enrolled when it comes up', async () => {
    const port = province.port;
    await province.close();
    const h = harness(async (_ms, n) => {
      if (n === 4) {
        province = await startFakeProvince(port);
        province.codes.add(normalizeCode(CODE));
      }
    });
    expect(await enrol(args(), h.io)).toBe(0);
    const url = `http://127.0.0.1:${port}`;
    expect(h.err).toEqual([1, 2, 4, 8].map((s) => `cannot reach ${url}: connection refused; trying again in ${s} s\n`));
    expect(h.sleeps).toEqual([1000, 2000, 4000, 8000]);
    expect(existsSync(join(dir, 'agent.token'))).toBe(true);
  });

  it('5xx is retried; 429 waits as long as Retry-After says', async () => {
    province.failWith = { status: 503 };
    const h = harness((_ms, n) => {
      if (n === 1) province.failWith = { status: 429, retryAfter: '17' };
      if (n === 2) province.failWith = undefined;
    });
    expect(await enrol(args(), h.io)).toBe(0);
    expect(h.err).toEqual([
      `${province.url} answered 503 (server trouble); trying again in 1 s\n`,
      `${province.url} asks to wait: too many wrong codes from this address; trying again in 17 s\n`,
    ]);
    expect(h.sleeps).toEqual([1000, 17000]);
  });

  it('gives up after about 10 minutes of a server that does not answer', async () => {
    await province.close();
    const h = harness();
    expect(await enrol(args(), h.io)).toBe(1);
    const total = h.sleeps.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(10 * 60_000);
    expect(total).toBeGreaterThan(9 * 60_000);
    expect(h.sleeps.slice(0, 8)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(h.err.at(-1)).toMatch(
      /: connection refused; gave up after \d+ min\. Check the address and the network, then run this again \(the code stays valid until it expires\)\.\n$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('Ctrl-C while waiting stops at once, writing nothing', async () => {
    await province.close();
    const controller = new AbortController();
    const h = harness((_ms, n) => {
      if (n === 2) controller.abort();
    });
    expect(await enrol(args(), { ...h.io, signal: controller.signal })).toBe(130);
    expect(h.err.at(-1)).toBe('enrolment stopped; nothing was written\n');
    expect(h.sleeps).toHaveLength(2);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe.runIf(opensslAvailable())('centerwatch-agent enroll over https with a private CA', () => {
  it('a certificate not trusted here is said at once (no retry) with the way out; with --ca-file it enrols and keeps the CA beside the config', async () => {
    const cert = makeCert({ notAfter: new Date(Date.now() + 86_400_000) });
    const tlsProvince = await startFakeProvince(0, { cert: cert.cert, key: cert.key });
    tlsProvince.codes.add(normalizeCode(CODE));
    try {
      const h = harness();
      expect(await enrol({ server: tlsProvince.url, code: CODE, configFile: file }, h.io)).toBe(1);
      expect(h.err.join('')).toMatch(/^cannot reach https:\/\/127\.0\.0\.1:\d+: TLS failed \(\w+\): .* give its CA with --ca-file\n$/);
      expect(h.sleeps).toEqual([]);

      const ok = harness();
      expect(await enrol({ server: tlsProvince.url, code: CODE, configFile: file, caFile: cert.certFile }, ok.io)).toBe(0);
      expect(readFileSync(join(dir, 'agent-ca.pem'))).toEqual(cert.cert);
      expect(loadAgentConfig(file).central).toMatchObject({ server: tlsProvince.url, ca_file: join(dir, 'agent-ca.pem') });
      expect(tlsProvince.requests.map((r) => r.path)).toEqual([ENROLL_PATH, '/api/v1/agent/config']);
    } finally {
      await tlsProvince.close();
      cert.cleanup();
    }
  });
});

describe('where the enrolled file lives', () => {
  it("Linux: the .deb's state directory, which its unit runs once the file exists; Windows: the service's config file", () => {
    expect(agentPaths('linux', {}).enrolledConfigFile).toBe('/var/lib/centerwatch/agent.yaml');
    expect(agentPaths('win32', { ProgramData: 'D:\\PD' }).enrolledConfigFile).toBe('D:\\PD\\centerwatch\\agent.yaml');
    expect(agentPaths('win32', { ProgramData: 'D:\\PD' }).configFile).toBe('D:\\PD\\centerwatch\\agent.yaml');
    const unit = readFileSync(new URL('../../packaging/debian/centerwatch-agent.service', import.meta.url), 'utf8');
    expect(/^ExecStart=(.*)$/m.exec(unit)?.[1]).toBe(
      `/usr/bin/centerwatch-agent --config /etc/centerwatch/agent.yaml --enrolled-config ${LINUX_ENROLLED_CONFIG}`,
    );
    expect(/^ReadWritePaths=(.*)$/m.exec(unit)?.[1]).toBe(dirname(LINUX_ENROLLED_CONFIG));
  });

  it('without --config the agent runs the enrolled file when there is one', () => {
    const linux = agentPaths('linux', {});
    expect(defaultConfigFile(linux, () => false)).toBe('config/default.yaml');
    expect(defaultConfigFile(linux, (f) => f === LINUX_ENROLLED_CONFIG)).toBe(LINUX_ENROLLED_CONFIG);
  });
});
