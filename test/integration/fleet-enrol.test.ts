/**
 * Enrolment, config fetch, revocation and profile changes against a real server (in this process, on
 * loopback, with its real SQLite store), over HTTP as agents and IT staff send them.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CONFIG_PATH, AGENT_REPORT_PATH, ENROLL_PATH, REPORT_HEADERS, type EnrolResponse } from '../../common/enrolment.js';
import { ENROL_FAILURES_ALLOWED, newCode } from '../../server/fleet/enroll.js';
import { requireService } from '../helpers/ctx.js';
import { canCreateNetns, NetnsLab, type Peer } from '../helpers/netns.js';
import { makeCert, type TestCert } from '../helpers/tls.js';
import type { InventoryCenter } from '../../server/fleet/types.js';
import { body, series, startTestServer, type TestServer } from './server-harness.js';

const ADMIN = 'fleet-admin-token-0123456789abcdef';
const PROFILE = readFileSync(new URL('../../config/profiles/counter-pc.yaml', import.meta.url), 'utf8');

const center = (code: string, name: string, his?: string): Omit<InventoryCenter, 'updatedAtMs'> => ({
  code,
  province: 'quang-ngai',
  name,
  type: 'phường',
  address: '',
  counters: 2,
  lines: [{ name: 'fiber-vnpt', isp: 'VNPT', kind: 'fiber', gateway: '127.0.0.1' }],
  devices: [{ name: 'printer-1', kind: 'printer', address: '127.0.0.1', counter: 1 }],
  vars: his ? { his_url: his } : {},
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });

function call(
  ts: TestServer,
  method: string,
  path: string,
  opts: { json?: unknown; text?: string; headers?: Record<string, string>; body?: Buffer; from?: string } = {},
): Promise<Answer> {
  const payload =
    opts.body ?? (opts.json !== undefined ? Buffer.from(JSON.stringify(opts.json)) : opts.text !== undefined ? Buffer.from(opts.text) : undefined);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  if (opts.text !== undefined) headers['content-type'] ??= 'application/yaml';
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ts.port, method, path, headers, ...(opts.from ? { localAddress: opts.from } : { agent: keepAlive }) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const admin = { authorization: `Bearer ${ADMIN}` };

describe('enrolment and central config (server)', () => {
  let ts: TestServer;

  beforeAll(async () => {
    ts = await startTestServer({ engine: { api_tokens: [{ id: 'it-officer', token: ADMIN }] }, fleet: { fetch_interval: '10s' } });
    ts.server.store!.fleet.upsertCenters(
      [center('21478', 'Phường Sa Huỳnh', 'https://127.0.0.1:8443/'), center('21481', 'Phường Đức Phổ', 'https://127.0.0.1:8443/')],
      Date.now(),
    );
  });
  afterAll(async () => {
    await ts?.close();
  });

  const newCode = async (centerCode: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const r = await call(ts, 'POST', '/api/v1/enroll-codes', { json: { center: centerCode, ...extra }, headers: admin });
    expect(r.status, r.text).toBe(201);
    const code = r.json().code as string;
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$/);
    return code;
  };
  const enrol = (code: string, name: string, from?: string) =>
    call(ts, 'POST', ENROLL_PATH, { json: { code, name, platform: 'linux', version: '0.1.0', hostname: name }, ...(from ? { from } : {}) });

  it('a code enrols an agent: its token pushes at once (no restart), labels from the enrolment', async () => {
    const code = await newCode('21478', { uses: 2 });
    const r = await enrol(code.toLowerCase().replace(/-/g, ' '), 'counter-1');
    expect(r.status, r.text).toBe(201);
    const e = r.json() as EnrolResponse;
    expect(e).toMatchObject({ province: 'quang-ngai', center: '21478', centerName: 'Phường Sa Huỳnh', agent: 'counter-1', id: '21478/counter-1' });
    const push = await call(ts, 'POST', '/api/v1/write', {
      body: body([series({ __name__: 'centerwatch_probe_success', check: 'x', center: 'someone-else' })]),
      headers: { authorization: `Bearer ${e.token}`, 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf' },
    });
    expect(push.status, push.text).toBe(204);
    const seen = ts.server.state.latest({ __name__: 'centerwatch_probe_success', check: 'x' });
    expect(seen[0]!.labels).toEqual(
      expect.arrayContaining([
        { name: 'center', value: '21478' },
        { name: 'agent', value: 'counter-1' },
        { name: 'province', value: 'quang-ngai' },
      ]),
    );
    // The server keeps only the token's hash, and never logs the code or the token.
    expect(JSON.stringify(ts.server.store!.fleet.agent('21478/counter-1'))).not.toContain(e.token);
    expect(ts.logs.join('\n')).not.toContain(e.token);
    expect(ts.logs.join('\n')).not.toContain(code);
  });

  it('a used code and an expired code are refused, each with its reason', async () => {
    const once = await newCode('21478');
    expect((await enrol(once, 'counter-2')).status).toBe(201);
    const again = await enrol(once, 'counter-3');
    expect(again.status).toBe(401);
    expect(again.json().error).toMatch(/used as many times as it allows/);
    const short = await newCode('21478', { expires: '1ms' });
    await new Promise((r) => setTimeout(r, 5));
    const late = await enrol(short, 'counter-3');
    expect(late.status).toBe(401);
    expect(late.json().error).toMatch(/expired/);
    const bad = await call(ts, 'POST', ENROLL_PATH, { json: { code: once, name: 'Counter 3!', platform: 'linux' } });
    expect(bad.status).toBe(400);
  });

  it('the config: 404 until a profile applies, then the rendered YAML with an ETag, 304 when unchanged', async () => {
    const code = await newCode('21481');
    const e = (await enrol(code, 'counter-1')).json() as EnrolResponse;
    const auth = { authorization: `Bearer ${e.token}`, [REPORT_HEADERS.revision]: '', [REPORT_HEADERS.version]: '0.1.0', [REPORT_HEADERS.platform]: 'linux' };
    const none = await call(ts, 'GET', AGENT_CONFIG_PATH, { headers: auth });
    expect(none.status).toBe(404);
    expect(none.json().error).toMatch(/no profile/);
    const put = await call(ts, 'PUT', '/api/v1/profiles/counter-pc', { text: PROFILE, headers: admin });
    expect(put.status, put.text).toBe(200);
    expect(put.json()).toMatchObject({ name: 'counter-pc', revision: 1 });
    // The agent has no profile of its own and the center none: the province default applies once set.
    expect((await call(ts, 'GET', AGENT_CONFIG_PATH, { headers: auth })).status).toBe(404);
    ts.server.store!.fleet.setAgentProfile(e.id, 'counter-pc');
    const got = await call(ts, 'GET', AGENT_CONFIG_PATH, { headers: auth });
    expect(got.status, got.text).toBe(200);
    expect(got.headers['content-type']).toMatch(/yaml/);
    expect(got.headers['x-centerwatch-fetch-interval-ms']).toBe('10000');
    expect(got.text).toMatch(/^center:\n {2}id: ["']21481["']\n {2}name: Phường Đức Phổ\n {2}province: quang-ngai$/m);
    expect(got.text).toContain('line-fiber-vnpt');
    const etag = got.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{12}"$/);
    const same = await call(ts, 'GET', AGENT_CONFIG_PATH, { headers: { ...auth, 'if-none-match': etag, [REPORT_HEADERS.revision]: etag.slice(1, -1) } });
    expect(same.status).toBe(304);
    expect(ts.server.store!.fleet.agent(e.id)).toMatchObject({ runningRevision: etag.slice(1, -1), version: '0.1.0' });
    // A refused config is reported and kept for the fleet view.
    const report = await call(ts, 'POST', AGENT_REPORT_PATH, {
      json: { revision: 'abc123', problems: ['agent.yaml:3:1: checks[0].target: bad'] },
      headers: auth,
    });
    expect(report.status).toBe(204);
    expect(ts.server.store!.fleet.agent(e.id)).toMatchObject({ refusedRevision: 'abc123', refusedProblems: ['agent.yaml:3:1: checks[0].target: bad'] });
  });

  it('a profile that would break one agent is refused with that agent, line and field; nothing changes', async () => {
    ts.server.store!.fleet.upsertCenters([center('21484', 'Xã Phổ An')], Date.now()); // no his_url
    const code = await newCode('21484', { profile: 'counter-pc' });
    const e = (await enrol(code, 'counter-1')).json() as EnrolResponse;
    const before = ts.server.store!.fleet.profile('counter-pc')!.revision;
    const changed = PROFILE.replace('interval: 60s', 'interval: 45s');
    const put = await call(ts, 'PUT', '/api/v1/profiles/counter-pc', { text: changed, headers: admin });
    expect(put.status).toBe(422);
    expect(put.json().error).toMatch(/does not load for 1 of 2 agents/);
    expect(put.json().problems[0]).toMatch(/^21484\/counter-1: profiles\/counter-pc\.yaml:\d+:\d+: checks\[\d\]\.target: \{\{ vars\.his_url \}\} has no value/);
    expect(ts.server.store!.fleet.profile('counter-pc')!.revision).toBe(before);
    // Until its center gets the variable, the agent is told why (409) and runs what it has.
    const got = await call(ts, 'GET', AGENT_CONFIG_PATH, { headers: { authorization: `Bearer ${e.token}` } });
    expect(got.status).toBe(409);
  });

  it('a revoked agent is refused on its next push and fetch', async () => {
    const code = await newCode('21478');
    const e = (await enrol(code, 'counter-9')).json() as EnrolResponse;
    const push = () =>
      call(ts, 'POST', '/api/v1/write', {
        body: body([series({ __name__: 'up', check: 'y' })]),
        headers: { authorization: `Bearer ${e.token}`, 'content-encoding': 'snappy' },
      });
    expect((await push()).status).toBe(204);
    const revoke = await call(ts, 'POST', '/api/v1/agents/21478/counter-9/revoke', { headers: admin });
    expect(revoke.status, revoke.text).toBe(200);
    expect((await push()).status).toBe(401);
    expect((await call(ts, 'GET', AGENT_CONFIG_PATH, { headers: { authorization: `Bearer ${e.token}` } })).status).toBe(401);
  });

  it('re-enrolling a name replaces its token: the old one stops working', async () => {
    const first = (await enrol(await newCode('21478'), 'counter-7')).json() as EnrolResponse;
    const second = (await enrol(await newCode('21478'), 'counter-7')).json() as EnrolResponse;
    const fetchWith = (t: string) => call(ts, 'GET', AGENT_CONFIG_PATH, { headers: { authorization: `Bearer ${t}` } });
    expect((await fetchWith(first.token)).status).toBe(401);
    expect((await fetchWith(second.token)).status).not.toBe(401);
  });

  it(`10,000 guessed codes from one address: ${ENROL_FAILURES_ALLOWED} are looked at, the rest get 429, none enrols`, async () => {
    const live = await newCode('21478', { uses: 1000 });
    const statuses = new Map<number, number>();
    const guesses = 10_000;
    for (let i = 0; i < guesses; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => {
          const n = (i + j).toString(32).toUpperCase().padStart(9, '0');
          return call(ts, 'POST', ENROLL_PATH, { json: { code: n, name: 'guess', platform: 'linux' }, from: '127.0.0.9' });
        }),
      );
      for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    expect(statuses.get(201)).toBeUndefined();
    expect(statuses.get(401)).toBe(ENROL_FAILURES_ALLOWED);
    expect(statuses.get(429)).toBe(guesses - ENROL_FAILURES_ALLOWED);
    // Even the right code is not looked at from that address now; from another address it works.
    const blocked = await enrol(live, 'counter-5', '127.0.0.9');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await enrol(live, 'counter-5', '127.0.0.10')).status).toBe(201);
    expect(ts.server.store!.fleet.agents().filter((a) => a.name === 'guess')).toEqual([]);
  }, 120_000);
});

describe.skipIf(!requireService(canCreateNetns, 'cannot create network namespaces (needs root and iproute2)'))('enrolment from another machine', () => {
  let lab: NetnsLab;
  let peer: Peer;
  let plain: TestServer;
  let tls: TestServer;
  let cert: TestCert;

  beforeAll(async () => {
    lab = new NetnsLab();
    peer = lab.addPeer();
    cert = makeCert({ notAfter: new Date(Date.now() + 86_400_000), names: [peer.hostAddr] });
    plain = await startTestServer({ listen: `${peer.hostAddr}:0` });
    tls = await startTestServer({ listen: `${peer.hostAddr}:0`, tls: { cert_file: cert.certFile, key_file: cert.keyFile } });
    for (const s of [plain, tls]) s.server.store!.fleet.upsertCenters([center('21478', 'Phường Sa Huỳnh')], Date.now());
  }, 30_000);
  afterAll(async () => {
    await plain?.close();
    await tls?.close();
    await lab?.cleanup();
    cert?.cleanup();
  });

  const codeFor = (ts: TestServer): string => {
    const { code, hash } = newCode();
    ts.server.store!.fleet.addCode({
      codeHash: hash,
      center: '21478',
      usesLeft: 1,
      usesTotal: 1,
      expiresAtMs: Date.now() + 60_000,
      createdAtMs: Date.now(),
      createdBy: 'test',
    });
    return code;
  };

  /** An enrol request made from inside the peer's namespace: the server sees the peer's address. */
  const enrolFromPeer = (url: string, code: string, caFile?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const script = `fetch(process.argv[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: process.argv[2] })
        .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.error(e); process.exit(1); })`;
      const env = { ...process.env, ...(caFile ? { NODE_EXTRA_CA_CERTS: caFile } : {}) };
      const body = JSON.stringify({ code, name: 'counter-1', platform: 'win32', version: '0.1.0' });
      const child = spawn('ip', ['netns', 'exec', peer.ns, process.execPath, '-e', script, url, body], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', (status) => (status === 0 ? resolve(JSON.parse(out) as { status: number; body: string }) : reject(new Error(err))));
    });

  it('over plain HTTP from another address: 403, the code untouched; over HTTPS: enrolled', async () => {
    const code = codeFor(plain);
    const refused = await enrolFromPeer(`http://${peer.hostAddr}:${plain.port}${ENROLL_PATH}`, code);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatch(/enrolment needs HTTPS/);
    expect(plain.server.store!.fleet.codes('21478')[0]!.usesLeft).toBe(1);
    const ok = await enrolFromPeer(`https://${peer.hostAddr}:${tls.port}${ENROLL_PATH}`, codeFor(tls), cert.certFile);
    expect(ok.status, ok.body).toBe(201);
    expect(JSON.parse(ok.body)).toMatchObject({ center: '21478', agent: 'counter-1', id: '21478/counter-1' });
    expect(tls.server.store!.fleet.agent('21478/counter-1')).toMatchObject({ platform: 'win32', hostname: '' });
  }, 30_000);
});
