/**
 * The morning digest, pure: when it goes out and what it says. Plain text; each channel escapes it.
 *
 *   Báo cáo sáng 27/11/2026: 40/42 trung tâm sẵn sàng
 *   Sẵn sàng 40 · Suy giảm 1 · Gián đoạn 1 · Mất liên lạc 0
 *   …centers not ready, yesterday's incidents, the lowest uptime shares
 */
import { STATE_WORDS, wordsIn } from '../../common/catalogue.js';
import { defaultCalendar, localTime, type OfficeCalendar } from '../calendar.js';
import type { Bilingual, Lang } from '../notifiers/event.js';
import { formatClock, formatDuration, formatTime } from '../notifiers/text.js';

const DAY_MS = 86_400_000;

function parseClock(atLocal: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(atLocal);
  const minute = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!(minute >= 0 && minute < 1440) || Number(m?.[2]) > 59) throw new RangeError(`digest time ${JSON.stringify(atLocal)} is not HH:MM`);
  return minute;
}

/** A working day: the calendar opens on it (holidays off, moved workdays on). */
function isWorkday(cal: OfficeCalendar, dayStartMs: number): boolean {
  const { date, weekday } = localTime(dayStartMs);
  if (cal.holidays.has(date)) return false;
  return cal.extraWorkdays.has(date) || cal.week[weekday]!.length > 0;
}

/**
 * The next instant of local time `atLocal` strictly after `nowMs`; with `workdaysOnly`, on a working
 * day of `cal` (default: Monday–Friday, no holidays). Throws on a malformed time (a config error).
 */
export function nextDigestAt(atLocal: string, nowMs: number, workdaysOnly: boolean, cal: OfficeCalendar = defaultCalendar()): number {
  const minute = parseClock(atLocal);
  const today = localTime(nowMs).dayStartMs;
  // A year of holidays cannot close every day for 400 days; the bound only guards a calendar with no open day.
  for (let d = 0; d <= 400; d++) {
    const day = today + d * DAY_MS;
    const at = day + minute * 60_000;
    if (at > nowMs && (!workdaysOnly || isWorkday(cal, day))) return at;
  }
  throw new RangeError('the office calendar has no working day within 400 days');
}

export type CenterState = 'ready' | 'degraded' | 'blocked' | 'offline';

export interface DigestInput {
  /** Province display name, shown in the subject when given. */
  province?: string;
  /** When the digest is made (its date is the report's date). */
  atMs: number;
  centers: Array<{
    id: string;
    name: string;
    state: CenterState;
    reason?: Bilingual;
    /** Share of yesterday's office hours the center was ready, 0..1; absent when unknown. */
    uptimeShare?: number;
  }>;
  incidents: Array<{ centerName: string; summary: Bilingual; sinceMs: number; resolvedAtMs?: number }>;
}

const STATE_ORDER: readonly CenterState[] = ['ready', 'degraded', 'blocked', 'offline'];
/** Worst first in the list of centers not ready: a blocked center turns citizens away. */
const NOT_READY_ORDER: readonly CenterState[] = ['blocked', 'offline', 'degraded'];
const LOWEST_SHOWN = 5;

const WORDS = {
  vi: {
    title: 'Báo cáo sáng',
    centers: 'trung tâm sẵn sàng',
    state: wordsIn(STATE_WORDS, 'vi'),
    allReady: 'Tất cả trung tâm sẵn sàng.',
    notReady: 'Trung tâm chưa sẵn sàng:',
    incidents: 'Sự cố hôm qua:',
    noIncidents: 'Hôm qua không có sự cố.',
    ongoing: 'chưa khôi phục, đã',
    lowest: 'Tỉ lệ sẵn sàng trong giờ hành chính hôm qua thấp nhất:',
    since: 'từ',
  },
  en: {
    title: 'Morning report',
    centers: 'centers ready',
    state: wordsIn(STATE_WORDS, 'en'),
    allReady: 'All centers are ready.',
    notReady: 'Centers not ready:',
    incidents: "Yesterday's incidents:",
    noIncidents: 'No incidents yesterday.',
    ongoing: 'not recovered, down for',
    lowest: "Lowest ready share in yesterday's office hours:",
    since: 'since',
  },
} as const;

const localDay = (tMs: number): number => Math.floor((tMs + 7 * 3600_000) / DAY_MS);

/** "99,5%" in Vietnamese, "99.5%" in English; one decimal, since 0.1 % of a month of office hours is ~10 minutes. */
function percent(share: number, lang: Lang): string {
  const text = (Math.round(share * 1000) / 10).toFixed(1);
  return `${lang === 'vi' ? text.replace('.', ',') : text}%`;
}

const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name, 'vi');

export function formatDigest(input: DigestInput, lang: Lang = 'vi'): { subject: string; text: string } {
  const w = WORDS[lang];
  const date = formatTime(input.atMs).slice(6); // dd/MM/yyyy
  const count = (s: CenterState): number => input.centers.filter((c) => c.state === s).length;
  const where = input.province ? ` (${input.province})` : '';
  const subject = `${w.title} ${date}${where}: ${count('ready')}/${input.centers.length} ${w.centers}`;

  const lines: string[] = [subject, STATE_ORDER.map((s) => `${w.state[s]} ${count(s)}`).join(' · '), ''];

  const notReady = input.centers
    .filter((c) => c.state !== 'ready')
    .sort((a, b) => NOT_READY_ORDER.indexOf(a.state) - NOT_READY_ORDER.indexOf(b.state) || byName(a, b));
  if (notReady.length === 0) lines.push(w.allReady);
  else {
    lines.push(w.notReady);
    for (const c of notReady) lines.push(`- ${c.name} (${w.state[c.state].toLowerCase()})${c.reason ? `: ${c.reason[lang]}` : ''}`);
  }
  lines.push('');

  if (input.incidents.length === 0) lines.push(w.noIncidents);
  else {
    lines.push(w.incidents);
    const yesterday = localDay(input.atMs) - 1;
    const incidents = [...input.incidents].sort((a, b) => a.sinceMs - b.sinceMs || a.centerName.localeCompare(b.centerName, 'vi'));
    for (const i of incidents) {
      // Clock time alone when it falls on the day the section is about; the full date otherwise.
      const since = localDay(i.sinceMs) === yesterday ? formatClock(i.sinceMs) : formatTime(i.sinceMs);
      let when: string;
      if (i.resolvedAtMs === undefined) {
        when = `${w.since} ${since}, ${w.ongoing} ${formatDuration(input.atMs - i.sinceMs, lang)}`;
      } else {
        const end = localDay(i.resolvedAtMs) === localDay(i.sinceMs) ? formatClock(i.resolvedAtMs) : formatTime(i.resolvedAtMs);
        when = `${since}–${end} (${formatDuration(i.resolvedAtMs - i.sinceMs, lang)})`;
      }
      lines.push(`- ${i.centerName}: ${i.summary[lang]}, ${when}`);
    }
  }

  const lowest = input.centers
    .filter((c): c is typeof c & { uptimeShare: number } => c.uptimeShare !== undefined)
    .sort((a, b) => a.uptimeShare - b.uptimeShare || byName(a, b))
    .slice(0, LOWEST_SHOWN);
  if (lowest.length > 0) {
    lines.push('', w.lowest);
    for (const c of lowest) lines.push(`- ${c.name}: ${percent(c.uptimeShare, lang)}`);
  }
  return { subject, text: lines.join('\n') };
}
