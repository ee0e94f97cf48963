/**
 * Against a real SMTP server (smtp-server) on 127.0.0.1, messages parsed back with mailparser.
 * Certificates for the TLS cases come from a throwaway CA made with openssl for this run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifySmtpError, email, type EmailOptions } from './email.js';
import { FIRING, NASTY, RESOLVED } from '../../test/support/notifiers/fixtures.js';

const USER = 'canhbao';
const PASS = 'smtp-pass-never-shown';

describe('email.format', () => {
  const O: EmailOptions = { host: 'x', port: 25, from: 'a@b', to: ['c@d'] };

  it('firing, Vietnamese: subject = headline, text = plain text, html = escaped parts', () => {
    const headline = '🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến';
    expect(email.format(FIRING, O, 'vi')).toEqual({
      subject: headline,
      text: `${headline}\nCách xử lý: gọi nhà mạng, kiểm tra router\nChi tiết: https://ready.example.vn/c/qng-sahuynh`,
      html:
        '<!doctype html>\n<html lang="vi"><body>\n' +
        `<p><strong>${headline}</strong></p>\n` +
        '<p>Cách xử lý: gọi nhà mạng, kiểm tra router</p>\n' +
        '<p><a href="https://ready.example.vn/c/qng-sahuynh">Chi tiết</a></p>\n' +
        '</body></html>',
    });
  });

  it('resolved, English: no runbook', () => {
    const headline = '✅ Phường Sa Huỳnh: both links are down — recovered at 08:40 (down for 28 min)';
    expect(email.format(RESOLVED, O, 'en')).toEqual({
      subject: headline,
      text: `${headline}\nDetails: https://ready.example.vn/c/qng-sahuynh`,
      html: `<!doctype html>\n<html lang="en"><body>\n<p><strong>${headline}</strong></p>\n<p><a href="https://ready.example.vn/c/qng-sahuynh">Details</a></p>\n</body></html>`,
    });
  });

  it('escapes markup and quotes in every piece of user text; the subject stays plain', () => {
    const p = email.format({ ...NASTY, runbook: { vi: "kiểm tra <router> & 'modem'", en: '' }, url: 'https://r.example.vn/c?a=1&b="x"' }, O, 'vi');
    expect(p.subject.startsWith('🔴 Xã <script>alert(1)</script> & "Bến" >:')).toBe(true);
    expect(p.html).toContain('<p><strong>🔴 Xã &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bến&quot; &gt;: cả hai');
    expect(p.html).toContain('<p>Cách xử lý: kiểm tra &lt;router&gt; &amp; &#39;modem&#39;</p>');
    expect(p.html).toContain('<a href="https://r.example.vn/c?a=1&amp;b=&quot;x&quot;">Chi tiết</a>');
    expect(p.html).not.toContain('<script>');
  });
});

describe('classifySmtpError', () => {
  it.each([
    [
      { code: 'EENVELOPE', responseCode: 451 },
      { ok: false, retryable: true, status: 451, reason: 'http_status' },
    ],
    [
      { code: 'EAUTH', responseCode: 535 },
      { ok: false, retryable: false, status: 535, reason: 'http_status' },
    ],
    [{ code: 'ETIMEDOUT' }, { ok: false, retryable: true, reason: 'timeout' }],
    [{ code: 'ECONNECTION' }, { ok: false, retryable: true, reason: 'network' }],
    [{ code: 'EAUTH' }, { ok: false, retryable: false, reason: 'network' }],
    [new Error('x'), { ok: false, retryable: true, reason: 'network' }],
  ])('%j → %j', (err, want) => {
    expect(classifySmtpError(err)).toEqual(want);
  });
});

interface Received {
  mail: ParsedMail;
  rcpt: string[];
  secure: boolean;
  authMethod?: string;
}

async function startSmtp(extra: Partial<SMTPServerOptions>): Promise<{ port: number; inbox: Received[]; close(): Promise<void> }> {
  const inbox: Received[] = [];
  const authMethods = new Map<string, string>();
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    authMethods: ['PLAIN'],
    onAuth(auth, session, cb) {
      if (auth.username === USER && auth.password === PASS) {
        authMethods.set(session.id, auth.method);
        return cb(null, { user: auth.username });
      }
      return cb(new Error('Invalid username or password')); // smtp-server answers 535
    },
    onData(stream, session: SMTPServerSession, cb) {
      simpleParser(stream).then(
        (mail) => {
          inbox.push({ mail, rcpt: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, authMethod: authMethods.get(session.id) });
          cb();
        },
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    },
    ...extra,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, inbox, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const addresses = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));

let certDir: string;
let caPem: string;
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'cw-email-'));
  const f = (n: string) => join(certDir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ossl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=centerwatch test CA',
  );
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ossl(
    'x509',
    '-req',
    '-in',
    f('srv.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('srv.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  );
  caPem = readFileSync(f('ca.pem'), 'utf8');
  key = readFileSync(f('srv.key'));
  cert = readFileSync(f('srv.pem'));
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

const base = (port: number): EmailOptions => ({
  host: '127.0.0.1',
  port,
  user: USER,
  pass: PASS,
  from: '"Centerwatch" <canhbao@ready.example.vn>',
  to: ['ops@qng.example.vn', 'truongphong@qng.example.vn'],
  timeoutMs: 5000,
});
const send = (o: EmailOptions, signal = AbortSignal.timeout(10_000)) => email.send(email.format(NASTY, o, 'vi'), o, signal);

describe('email.send, plain SMTP with AUTH PLAIN', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  beforeAll(async () => {
    smtp = await startSmtp({ disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
  });
  afterAll(() => smtp.close());

  it('delivers subject, from, to, UTF-8 text and escaped html', async () => {
    const o = base(smtp.port);
    const r = await send(o);
    expect(r).toEqual({ ok: true });
    const got = smtp.inbox.at(-1)!;
    const p = email.format(NASTY, o, 'vi');
    expect(got.authMethod).toBe('PLAIN');
    expect(got.rcpt).toEqual(o.to);
    expect(got.mail.subject).toBe(p.subject);
    expect(got.mail.from?.value).toEqual([{ address: 'canhbao@ready.example.vn', name: 'Centerwatch' }]);
    expect(addresses(got.mail.to)).toEqual(o.to);
    expect(got.mail.text?.trimEnd()).toBe(p.text);
    expect(got.mail.text).toContain('cả hai đường truyền mất kết nối');
    expect(got.mail.html).toContain('cả hai đường truyền mất kết nối');
    expect(got.mail.html).toContain('Xã &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Bến&quot; &gt;');
    expect(got.mail.html).not.toContain('<script>');
  });

  it('wrong password → 535, final, and the result holds no secret', async () => {
    const n = smtp.inbox.length;
    const r = await send({ ...base(smtp.port), pass: 'wrong' });
    expect(r).toEqual({ ok: false, retryable: false, status: 535, reason: 'http_status' });
    expect(JSON.stringify(r)).not.toContain('never-shown');
    expect(smtp.inbox).toHaveLength(n);
  });
});

describe('email.send, SMTP replies and dead servers', () => {
  it.each([
    [451, true],
    [550, false],
  ])('recipient refused with %i → retryable %s', async (code, retryable) => {
    const smtp = await startSmtp({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onRcptTo: (_a, _s, cb) => cb(Object.assign(new Error('refused'), { responseCode: code })),
    });
    try {
      const r = await send({ ...base(smtp.port), user: undefined, pass: undefined });
      expect(r).toEqual({ ok: false, retryable, status: code, reason: 'http_status' });
    } finally {
      await smtp.close();
    }
  });

  it('server gone (connection refused) → retryable network', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    expect(await send(base(port))).toEqual({ ok: false, retryable: true, reason: 'network' });
  });

  it('a server that never greets: timeout within the deadline + 1 s, and our socket is closed', async () => {
    const conns: Socket[] = [];
    let closed = 0;
    const silent: Server = createServer((c) => {
      conns.push(c);
      c.on('close', () => closed++);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const t0 = performance.now();
      const r = await send(base((silent.address() as AddressInfo).port), AbortSignal.timeout(500));
      expect(r).toEqual({ ok: false, retryable: true, reason: 'timeout' });
      expect(performance.now() - t0).toBeLessThan(1500);
      await new Promise((res) => setTimeout(res, 100));
      expect(conns).toHaveLength(1);
      expect(closed).toBe(1);
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('email.send over TLS with a private CA', () => {
  it('STARTTLS required: upgrades, verifies the certificate against `ca`, delivers', async () => {
    const smtp = await startSmtp({ key, cert });
    try {
      const o: EmailOptions = { ...base(smtp.port), starttls: 'required', ca: caPem };
      expect(await send(o)).toEqual({ ok: true });
      expect(smtp.inbox.at(-1)!.secure).toBe(true);
      // Without the CA the certificate is not trusted: nothing is sent.
      const r = await send({ ...o, ca: undefined });
      expect(r).toMatchObject({ ok: false, retryable: true, reason: 'network' });
      expect(smtp.inbox).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('STARTTLS required but not offered: refused, nothing sent in clear text', async () => {
    const smtp = await startSmtp({ disabledCommands: ['STARTTLS'], allowInsecureAuth: true });
    try {
      const r = await send({ ...base(smtp.port), starttls: 'required', ca: caPem });
      // The server answers STARTTLS with 500 (unknown command): final, a configuration problem.
      expect(r).toEqual({ ok: false, retryable: false, status: 500, reason: 'http_status' });
      expect(smtp.inbox).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });

  it('implicit TLS (secure) delivers', async () => {
    const smtp = await startSmtp({ secure: true, key, cert });
    try {
      expect(await send({ ...base(smtp.port), secure: true, ca: caPem })).toEqual({ ok: true });
      expect(smtp.inbox.at(-1)!.secure).toBe(true);
      expect(smtp.inbox.at(-1)!.mail.subject).toContain('cả hai đường truyền mất kết nối');
    } finally {
      await smtp.close();
    }
  });
});
