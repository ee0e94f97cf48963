/**
 * Routes from the config (snake_case, secrets already read) to the delivery's routes (each notifier's
 * own options). The only place that knows both shapes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteConfig } from '../config/engine-schema.js';
import type { Route } from '../delivery.js';

/** @param dataDir where channels keep state of their own (Zalo's rotating token pair). */
export function deliveryRoutes(routes: readonly RouteConfig[], publicUrl: string, dataDir: string): Route[] {
  return routes.map((r, i): Route => {
    const base = { name: r.name, lang: r.lang };
    switch (r.channel) {
      case 'webhook':
        return { ...base, channel: 'webhook', options: { url: r.options.url, externalURL: publicUrl, ...(r.options.headers ? { headers: r.options.headers } : {}), ...(r.options.receiver ? { receiver: r.options.receiver } : {}) } };
      case 'alertmanager':
        return { ...base, channel: 'alertmanager', options: { url: r.options.url, ...(r.options.headers ? { headers: r.options.headers } : {}) } };
      case 'slack':
        return { ...base, channel: 'slack', options: { url: r.options.url, ...(r.options.flavour ? { flavour: r.options.flavour } : {}) } };
      case 'telegram':
        return { ...base, channel: 'telegram', options: { token: r.options.token, chatId: r.options.chat_id, ...(r.options.base_url ? { baseUrl: r.options.base_url } : {}) } };
      case 'zalo':
        return {
          ...base,
          channel: 'zalo',
          options: {
            appId: r.options.app_id, secretKey: r.options.secret_key, refreshToken: r.options.refresh_token, userIds: r.options.user_ids,
            tokenFile: join(dataDir, `zalo-${r.name}.token.json`),
            ...(r.options.base_url ? { baseUrl: r.options.base_url } : {}), ...(r.options.oauth_base_url ? { oauthBaseUrl: r.options.oauth_base_url } : {}),
          },
        };
      case 'email':
        return {
          ...base,
          channel: 'email',
          options: {
            host: r.options.host, port: r.options.port, secure: r.options.secure, starttls: r.options.starttls, from: r.options.from, to: r.options.to,
            ...(r.options.user !== undefined ? { user: r.options.user } : {}), ...(r.options.password !== undefined ? { pass: r.options.password } : {}),
            ...(r.options.ca_file ? { ca: readCa(r.options.ca_file, i) } : {}),
          },
        };
    }
  });
}

function readCa(file: string, i: number): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`engine.routes[${i}].options.ca_file: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
