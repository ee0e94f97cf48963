import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLogger, redactLine, registerSecret } from './log.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function capture(level: Parameters<typeof createLogger>[0], base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  return { log: createLogger(level, base, (l) => void lines.push(l)), lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line: time (ISO), level by name, msg, base fields and call fields', () => {
    const { log, lines } = capture('debug', { center: 'sa-huynh', agent: 'pc1' });
    log.debug('probe run', { check: 'line-tslcd', up: false });
    log.info('started');
    log.warn('slow', { ms: 1200 });
    log.error('failed', { error: 'EACCES' });
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.time)).toEqual([expect.stringMatching(ISO), expect.stringMatching(ISO), expect.stringMatching(ISO), expect.stringMatching(ISO)]);
    expect(objs.map(({ time: _t, ...rest }) => rest)).toEqual([
      { level: 'debug', msg: 'probe run', center: 'sa-huynh', agent: 'pc1', check: 'line-tslcd', up: false },
      { level: 'info', msg: 'started', center: 'sa-huynh', agent: 'pc1' },
      { level: 'warn', msg: 'slow', center: 'sa-huynh', agent: 'pc1', ms: 1200 },
      { level: 'error', msg: 'failed', center: 'sa-huynh', agent: 'pc1', error: 'EACCES' },
    ]);
  });

  it('drops lines below its level', () => {
    const { log, lines } = capture('warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
  });

  it('a call field replaces a base field of the same name (one key, not two)', () => {
    const { log, lines } = capture('info', { component: 'server' });
    log.info('x', { component: 'delivery' });
    expect(lines[0]!.match(/"component"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'delivery' });
  });

  it('never formats the message: a % in it stays as written', () => {
    const { log, lines } = capture('info');
    log.info('disk 95% full %s %d', { mount: '/' });
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'disk 95% full %s %d', mount: '/' });
  });

  it('writes to stderr synchronously: every line is there even when the process exits at once', () => {
    const code = [
      "const { createLogger } = await import('./common/log.ts');",
      "const log = createLogger('info', { agent: 'pc1' });",
      "for (let i = 0; i < 2000; i++) log.info('line', { i, pad: 'x'.repeat(200) });",
      "log.error('last words');",
      'process.exit(3);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: new URL('..', import.meta.url).pathname,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2001);
    expect(JSON.parse(lines[1999]!)).toMatchObject({ level: 'info', msg: 'line', agent: 'pc1', i: 1999 });
    expect(JSON.parse(lines[2000]!)).toMatchObject({ level: 'error', msg: 'last words', agent: 'pc1' });
  });

  describe('redaction', () => {
    const TOKEN = 'tok-9f8e7d6c5b4a-secret';
    registerSecret(TOKEN);
    registerSecret('pa"ss\\word');
    registerSecret('abc');

    it('a registered secret is replaced in the message and in any field, nested or not', () => {
      const { log, lines } = capture('debug', { agent: 'pc1' });
      log.warn(`refused: ${TOKEN}`, { detail: `you sent ${TOKEN}!`, nested: { list: ['x', TOKEN] }, n: 1 });
      const line = lines[0]!;
      expect(line).not.toContain(TOKEN);
      expect(JSON.parse(line)).toMatchObject({
        msg: 'refused: [REDACTED]',
        detail: 'you sent [REDACTED]!',
        nested: { list: ['x', '[REDACTED]'] },
        n: 1,
        agent: 'pc1',
      });
    });

    it('a secret with quotes and backslashes is found as JSON writes it; one under 4 characters is not registered', () => {
      const { log, lines } = capture('info');
      log.info('x', { detail: 'got pa"ss\\word and abc' });
      expect(JSON.parse(lines[0]!)).toMatchObject({ detail: 'got [REDACTED] and abc' });
    });

    it('credentials that were never registered: Bearer/Basic values, token=/password: pairs, echoed JSON, credential-named fields', () => {
      const { log, lines } = capture('info');
      log.error('upstream said', {
        detail: 'bad header Authorization: Bearer eyJhbGciOi.J9-abc_def; also Basic dXNlcjpwYXNz',
        url: 'https://x/y?access_token=zzz999&b=2',
        body: '{"error":"denied","password":"hunter22","api_key": "k-123"}',
        password: 'plain-in-a-field',
        authorization: 'Digest whatever',
        token: 'token-id-a',
        reason: 'invalid_token',
      });
      const o = JSON.parse(lines[0]!) as Record<string, string>;
      expect(o).toEqual({
        time: expect.stringMatching(ISO),
        level: 'error',
        msg: 'upstream said',
        detail: 'bad header Authorization: Bearer [REDACTED]; also Basic [REDACTED]',
        url: 'https://x/y?access_token=[REDACTED]&b=2',
        body: '{"error":"denied","password":"[REDACTED]","api_key": "[REDACTED]"}',
        password: '[REDACTED]',
        authorization: '[REDACTED]',
        // `token` names an enrolment token by its id in the server's logs; `reason` is a code.
        token: 'token-id-a',
        reason: 'invalid_token',
      });
    });

    it('redactLine keeps the line valid JSON whatever the secret matches', () => {
      registerSecret('1,"level');
      registerSecret('"time');
      const line = '{"time":"2025-01-01T00:00:00.000Z","level":"info","n":1,"level2":"1,\\"level x","msg":"m"}\n';
      const out = redactLine(line);
      expect(JSON.parse(out)).toMatchObject({ n: 1, level: 'info', level2: '[REDACTED] x', msg: 'm' });
    });
  });
});
