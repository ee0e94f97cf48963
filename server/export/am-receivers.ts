/**
 * The Alertmanager receiver of each engine route, pure. Alertmanager's own integrations where it has
 * one (webhook, Telegram ≥ 0.24, e-mail, Slack), so nothing else has to run beside it; Zalo and the
 * engine's `alertmanager` channel have no counterpart and say so in a comment.
 *
 * Secrets never leave the server's config: a secret Alertmanager can read from a file gets a
 * `*_file` path to fill in (SECRET_DIR); Telegram's bot token cannot be a file before Alertmanager 0.26
 * (Debian 12 ships 0.25), so it is a placeholder to replace (TOKEN_PLACEHOLDER).
 */
import type { RouteConfig } from '../config/engine-schema.js';

/** Where the exported config expects the secret files it names. */
export const SECRET_DIR = '/etc/alertmanager/secrets';
/** Telegram's `bot_token` until it is replaced: Alertmanager 0.25 has no `bot_token_file`. */
export const TOKEN_PLACEHOLDER = 'REPLACE_WITH_THE_BOT_TOKEN';

export interface Receiver {
  receiver: Record<string, unknown>;
  /** Written above the receiver: what to fill in, or why nothing is sent. */
  comment?: string;
}

/**
 * One message per alert (the routes group by every label): its summary, description and links, in the
 * route's language. `escape` makes annotation text safe for Telegram's HTML.
 */
function message(lang: 'vi' | 'en', escape: boolean): string {
  const field = (name: string): string => `{{ .Annotations.${name}${escape ? ' | html' : ''} }}`;
  const [summary, description] = lang === 'vi' ? ['summary', 'description'] : ['summary_en', 'description_en'];
  const resolved = lang === 'vi' ? 'Đã khôi phục' : 'Resolved';
  const [runbook, dashboard] = lang === 'vi' ? ['Cách xử lý', 'Biểu đồ'] : ['What to do', 'Dashboard'];
  return (
    `{{ range .Alerts }}{{ if eq .Status "resolved" }}[${resolved}] {{ end }}${field(summary)}\n${field(description)}\n` +
    `${runbook}: ${field('runbook_url')}\n${dashboard}: ${field('dashboard_url')}\n{{ end }}`
  );
}

function subject(lang: 'vi' | 'en'): string {
  const resolved = lang === 'vi' ? 'Đã khôi phục' : 'Resolved';
  return `{{ range .Alerts }}{{ if eq .Status "resolved" }}[${resolved}] {{ end }}{{ .Annotations.${lang === 'vi' ? 'summary' : 'summary_en'} }}{{ end }}`;
}

export function receiverOf(r: RouteConfig): Receiver {
  const name = r.name;
  switch (r.channel) {
    case 'webhook': {
      const comment = r.options.headers
        ? "the route's headers are not exported (Alertmanager webhooks take http_config: authorization, basic_auth)"
        : undefined;
      return { receiver: { name, webhook_configs: [{ url: r.options.url, send_resolved: true }] }, ...(comment ? { comment } : {}) };
    }
    case 'telegram': {
      const chat = r.options.chat_id;
      // Alertmanager takes numeric chat ids only (a channel's -100… id, not @name).
      const numeric = typeof chat === 'number' ? chat : /^-?\d+$/.test(chat) ? Number(chat) : undefined;
      if (numeric === undefined) {
        return {
          receiver: { name },
          comment: `engine route "${name}" (telegram) is not exported: Alertmanager needs a numeric chat_id, the route has ${JSON.stringify(chat)}. Nothing is sent from here.`,
        };
      }
      return {
        receiver: {
          name,
          telegram_configs: [
            {
              bot_token: TOKEN_PLACEHOLDER,
              chat_id: numeric,
              parse_mode: 'HTML',
              message: message(r.lang, true),
              send_resolved: true,
              ...(r.options.base_url ? { api_url: r.options.base_url } : {}),
            },
          ],
        },
        comment:
          `engine route "${name}" (telegram): replace ${TOKEN_PLACEHOLDER} with the bot token (the server reads it from its own secret file) ` +
          'and keep this file readable by Alertmanager only. Alertmanager >= 0.26 can read it from a file instead: bot_token_file.',
      };
    }
    case 'email': {
      const o = r.options;
      const email: Record<string, unknown> = {
        to: o.to.join(', '),
        from: o.from,
        smarthost: `${o.host}:${o.port}`,
        // Alertmanager has no opportunistic STARTTLS (without require_tls it never upgrades): require it,
        // so a password never crosses in clear. Port 465 is implicit TLS in Alertmanager.
        require_tls: !o.secure,
        ...(o.user ? { auth_username: o.user } : {}),
        ...(o.user || o.password ? { auth_password_file: `${SECRET_DIR}/${name}-smtp-password` } : {}),
        ...(o.ca_file ? { tls_config: { ca_file: o.ca_file } } : {}),
        headers: { Subject: subject(r.lang) },
        text: message(r.lang, false),
        // Text only: Alertmanager's default HTML body is its English table.
        html: '',
        send_resolved: true,
      };
      const notes = [
        ...(o.user || o.password ? [`write the SMTP password to ${SECRET_DIR}/${name}-smtp-password (readable by Alertmanager only)`] : []),
        ...(o.secure && o.port !== 465 ? [`secure: true on port ${o.port}: Alertmanager uses implicit TLS on port 465 only`] : []),
        ...(o.ca_file ? ['tls_config.ca_file is the path on the server: copy the CA where Alertmanager can read it'] : []),
      ];
      return { receiver: { name, email_configs: [email] }, ...(notes.length ? { comment: `engine route "${name}" (email): ${notes.join('; ')}.` } : {}) };
    }
    case 'slack': {
      if (r.options.flavour === 'googlechat') {
        return {
          receiver: { name },
          comment: `engine route "${name}" (Google Chat) is not exported: Alertmanager has no Google Chat receiver. Nothing is sent from here.`,
        };
      }
      return {
        receiver: {
          name,
          slack_configs: [{ api_url_file: `${SECRET_DIR}/${name}-webhook-url`, title: subject(r.lang), text: message(r.lang, false), send_resolved: true }],
        },
        comment: `engine route "${name}" (${r.options.flavour ?? 'slack'}): write its incoming-webhook URL (a secret) to ${SECRET_DIR}/${name}-webhook-url.`,
      };
    }
    case 'zalo':
      return {
        receiver: { name },
        comment:
          `engine route "${name}" (zalo) is NOT exported: Alertmanager has no Zalo receiver and centerwatch ships no relay. ` +
          "Nothing is sent from here: keep Zalo on the server's own engine, or add webhook_configs to a relay of your own.",
      };
    case 'alertmanager':
      return {
        receiver: { name },
        comment: `engine route "${name}" sends to an Alertmanager: alerts routed by this file are already in one. Nothing more is sent from here.`,
      };
  }
}
