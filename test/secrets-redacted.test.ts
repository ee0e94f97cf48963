import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../common/log.js';
import { loadServerConfig } from '../server/config/load.js';
import { loadAgentConfig } from '../agent/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-secrets-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A line logged with each value as bare text (no "Bearer", no "password=" around it to give it away). */
function logged(values: string[]): string {
  const lines: string[] = [];
  createLogger('info', {}, (l) => void lines.push(l)).warn('upstream said', { detail: values.join(' / ') });
  return lines.join('');
}

describe('secrets loaded from a config are redacted from every log line', () => {
  it('agent: from a file, from the environment and written inline', () => {
    writeFileSync(join(dir, 'db.pw'), 'FromFile-Pw-31337\n');
    writeFileSync(
      join(dir, 'agent.yaml'),
      `center: { id: c1, name: "C", province: quang-ngai }
agent: { id: a1 }
push:
  targets: [{ name: p, url: "http://127.0.0.1:9/api/v1/write", bearer_token: "\${PUSH_TOKEN}" }]
checks:
  - { id: pg, kind: postgres, target: "127.0.0.1:5432", options: { user: u, database: d, password_file: db.pw } }
  - { id: cache, kind: redis, target: "127.0.0.1:6379", options: { password: Inline-Redis-Pw-42 } }
`,
    );
    loadAgentConfig(join(dir, 'agent.yaml'), { PUSH_TOKEN: 'FromEnv-Push-Token-77' });
    const line = logged(['FromFile-Pw-31337', 'FromEnv-Push-Token-77', 'Inline-Redis-Pw-42']);
    expect(JSON.parse(line)).toMatchObject({ detail: '[REDACTED] / [REDACTED] / [REDACTED]' });
  });

  it('server: enrolment tokens, forward bearer tokens, notifier tokens and headers', () => {
    writeFileSync(join(dir, 'enrol.token'), 'Enrol-Token-From-File-0123456789\n');
    writeFileSync(
      join(dir, 'server.yaml'),
      `listen: 127.0.0.1:0
tokens: [{ id: t1, token_file: enrol.token, province: p1, center: c1 }]
forward: [{ name: prom, url: "http://127.0.0.1:9/api/v1/write", bearer_token: Forward-Inline-Tok-55 }]
engine:
  routes:
    - { name: tg, channel: telegram, options: { token: "Telegram-Bot-Tok-66", chat_id: "1" } }
    - { name: hook, channel: webhook, options: { url: "http://127.0.0.1:9/", headers: { X-Api-Key: Hook-Api-Key-88 } } }
`,
    );
    loadServerConfig(join(dir, 'server.yaml'), {});
    const line = logged(['Enrol-Token-From-File-0123456789', 'Forward-Inline-Tok-55', 'Telegram-Bot-Tok-66', 'Hook-Api-Key-88']);
    expect(JSON.parse(line)).toMatchObject({ detail: '[REDACTED] / [REDACTED] / [REDACTED] / [REDACTED]' });
  });
});
