/**
 * Message text, pure, in Vietnamese (default) or English. Channels take the parts and apply their own
 * markup and escaping; nothing here escapes, because each channel escapes differently.
 *
 *   🔴 Phường Sa Huỳnh: cả hai đường truyền mất kết nối từ 08:12 27/11/2026 — không thể tiếp nhận hồ sơ trực tuyến
 *   ✅ Phường Sa Huỳnh: cả hai đường truyền mất kết nối — đã khôi phục lúc 08:40 (kéo dài 28 phút)
 */
import type { AlertEvent, Lang } from './event.js';

/** Vietnam keeps UTC+7 all year (no daylight saving), so no time-zone database is needed. */
const OFFSET_MS = 7 * 3600_000;

const pad = (n: number): string => String(n).padStart(2, '0');

/** `HH:mm dd/MM/yyyy` in Asia/Ho_Chi_Minh. */
export function formatTime(tMs: number): string {
  const d = new Date(tMs + OFFSET_MS);
  return `${formatClock(tMs)} ${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** `HH:mm` in Asia/Ho_Chi_Minh. */
export function formatClock(tMs: number): string {
  const d = new Date(tMs + OFFSET_MS);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

const localDay = (tMs: number): number => Math.floor((tMs + OFFSET_MS) / 86_400_000);

/** A duration in whole minutes (rounded down, at least 1): "28 phút", "1 giờ 5 phút", "2 ngày 3 giờ". */
export function formatDuration(ms: number, lang: Lang): string {
  const totalMin = Math.max(1, Math.floor(ms / 60_000));
  const days = Math.floor(totalMin / 1440);
  const hours = Math.floor((totalMin % 1440) / 60);
  const mins = totalMin % 60;
  const u = lang === 'vi' ? { d: 'ngày', h: 'giờ', m: 'phút' } : { d: 'd', h: 'h', m: 'min' };
  // Minutes stop mattering once an outage is counted in days.
  const parts =
    days > 0
      ? [
          [days, u.d],
          [hours, u.h],
        ]
      : [
          [hours, u.h],
          [mins, u.m],
        ];
  const shown = parts.filter(([n]) => n !== 0).map(([n, unit]) => `${n} ${unit}`);
  return shown.join(' ');
}

const EMOJI: Record<AlertEvent['severity'], string> = { critical: '🔴', warning: '🟠', info: '🔵' };

const WORDS = {
  vi: { since: 'từ', resolved: 'đã khôi phục', at: 'lúc', lasted: 'kéo dài', details: 'Chi tiết', runbook: 'Cách xử lý' },
  en: { since: 'since', resolved: 'recovered', at: 'at', lasted: 'down for', details: 'Details', runbook: 'What to do' },
} as const;

/** The parts of a message; channels add markup around them. */
export interface MessageParts {
  /** One line saying what, where, since when and what it blocks (or when it recovered). */
  headline: string;
  /** Runbook hint, with its label ("Cách xử lý: …"); firing only. */
  runbook?: string;
  /** Label of the link ("Chi tiết" / "Details"). */
  linkLabel: string;
  url: string;
}

export function messageParts(e: AlertEvent, lang: Lang): MessageParts {
  const w = WORDS[lang];
  // The morning digest: its subject line, then the report as the body (where a runbook hint goes).
  if (e.kind === 'digest') return { headline: e.centerName, runbook: e.summary[lang], linkLabel: w.details, url: e.url };
  let headline: string;
  if (e.status === 'firing') {
    headline = `${EMOJI[e.severity]} ${e.centerName}: ${e.summary[lang]} ${w.since} ${formatTime(e.sinceMs)}`;
    if (e.blocks) headline += ` — ${e.blocks[lang]}`;
  } else {
    headline = `✅ ${e.centerName}: ${e.summary[lang]} — ${w.resolved}`;
    if (e.resolvedAtMs !== undefined) {
      const at = localDay(e.resolvedAtMs) === localDay(e.sinceMs) ? formatClock(e.resolvedAtMs) : formatTime(e.resolvedAtMs);
      headline += ` ${w.at} ${at} (${w.lasted} ${formatDuration(e.resolvedAtMs - e.sinceMs, lang)})`;
    }
  }
  const parts: MessageParts = { headline, linkLabel: w.details, url: e.url };
  if (e.status === 'firing' && e.runbook) parts.runbook = `${w.runbook}: ${e.runbook[lang]}`;
  return parts;
}

/** Plain text: headline, runbook hint, then "Chi tiết: <url>", one per line. */
export function plainText(e: AlertEvent, lang: Lang): string {
  const p = messageParts(e, lang);
  return [p.headline, p.runbook, `${p.linkLabel}: ${p.url}`].filter((l) => l !== undefined).join('\n');
}

/** Escapes the three characters HTML (Telegram) and Slack mrkdwn treat as markup. */
export function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
