/**
 * Routes from the server config to the delivery: every channel's options as written (snake_case,
 * secrets from files, relative paths) reach its notifier in the notifier's own shape.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../common/config-errors.js';
import { loadServerConfig } from '../config/load.js';
import { deliveryRoutes } from './routes.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

write('tg.token', 'Telegram-Bot-Token-1234\n');
write('zalo.secret', 'Zalo-App-Secret-5678\n');
write('zalo.refresh', 'Zalo-Refresh-9012\n');
write('smtp.pass', 'Smtp-Password-3456\n');
write('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

const CONFIG = `engine:
  public_url: https://ready.example.vn
  routes:
    - { name: hook, channel: webhook, options: { url: "http://127.0.0.1:9/h", headers: { X-Key: k }, receiver: ops } }
    - { name: plain, channel: webhook, options: { url: "http://127.0.0.1:9/p" } }
    - { name: am, channel: alertmanager, options: { url: "http://127.0.0.1:9093" } }
    - { name: chat, channel: slack, lang: en, options: { url: "http://127.0.0.1:9/s", flavour: mattermost } }
    - { name: oncall, channel: telegram, options: { token_file: tg.token, chat_id: -1001, base_url: "http://127.0.0.1:9" } }
    - { name: oa, channel: zalo, options: { app_id: "1", secret_key_file: zalo.secret, refresh_token_file: zalo.refresh, user_ids: ["42"] } }
    - { name: mail, channel: email, options: { host: smtp.example.vn, user: u, password_file: smtp.pass, from: a@example.vn, to: [b@example.vn], ca_file: ca.pem } }
`;

describe('deliveryRoutes', () => {
  it("maps every channel's config options onto its notifier's options", () => {
    const cfg = loadServerConfig(write('server.yaml', CONFIG), {});
    const routes = deliveryRoutes(cfg.engine.routes, cfg.engine.public_url, '/var/lib/cw');
    expect(routes).toEqual([
      {
        name: 'hook',
        lang: 'vi',
        channel: 'webhook',
        options: { url: 'http://127.0.0.1:9/h', externalURL: 'https://ready.example.vn', headers: { 'X-Key': 'k' }, receiver: 'ops' },
      },
      { name: 'plain', lang: 'vi', channel: 'webhook', options: { url: 'http://127.0.0.1:9/p', externalURL: 'https://ready.example.vn' } },
      { name: 'am', lang: 'vi', channel: 'alertmanager', options: { url: 'http://127.0.0.1:9093' } },
      { name: 'chat', lang: 'en', channel: 'slack', options: { url: 'http://127.0.0.1:9/s', flavour: 'mattermost' } },
      { name: 'oncall', lang: 'vi', channel: 'telegram', options: { token: 'Telegram-Bot-Token-1234', chatId: -1001, baseUrl: 'http://127.0.0.1:9' } },
      {
        name: 'oa',
        lang: 'vi',
        channel: 'zalo',
        options: {
          appId: '1',
          secretKey: 'Zalo-App-Secret-5678',
          refreshToken: 'Zalo-Refresh-9012',
          userIds: ['42'],
          tokenFile: '/var/lib/cw/zalo-oa.token.json',
        },
      },
      {
        name: 'mail',
        lang: 'vi',
        channel: 'email',
        options: {
          host: 'smtp.example.vn',
          port: 587,
          secure: false,
          starttls: 'opportunistic',
          from: 'a@example.vn',
          to: ['b@example.vn'],
          user: 'u',
          pass: 'Smtp-Password-3456',
          ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        },
      },
    ]);
  });

  it("e-mail's ca_file is taken from the config file's folder, and an unreadable one names its route", () => {
    const cfg = loadServerConfig(write('missing-ca.yaml', CONFIG.replace('ca_file: ca.pem', 'ca_file: nowhere.pem')), {});
    const mail = cfg.engine.routes.find((r) => r.name === 'mail');
    expect(mail?.channel === 'email' && mail.options.ca_file).toBe(join(dir, 'nowhere.pem'));
    expect(() => deliveryRoutes(cfg.engine.routes, cfg.engine.public_url, dir)).toThrow(
      `engine.routes[6].options.ca_file: cannot read "${join(dir, 'nowhere.pem')}" (ENOENT)`,
    );
  });

  it('a secret of a route is never echoed in a config error', () => {
    let message = '';
    try {
      loadServerConfig(
        write('bad.yaml', `engine:\n  routes:\n    - { name: oncall, channel: telegram, options: { token: [Telegram-Bot-Token-1234], chat_id: 1 } }\n`),
        {},
      );
    } catch (err) {
      if (err instanceof ConfigError) message = err.message;
    }
    expect(message).toContain('engine.routes[0].options.token: expected string, got a value not shown (secret)');
    expect(message).not.toContain('Telegram-Bot-Token-1234');
  });
});
