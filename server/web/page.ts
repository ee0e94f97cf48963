/**
 * The readiness page as HTML, pure: the overview (provinces → center tiles) and a center's page. Every
 * piece of user text (center names come from agents) goes through `esc`. The page works without
 * JavaScript; the script only applies live updates (server-sent events) to the tiles.
 */
import type { Bilingual, Lang } from '../notifiers/event.js';
import { formatClock, formatTime } from '../notifiers/text.js';
import { checkName } from '../engine/describe.js';
import type { Readiness } from '../engine/readiness.js';
import { kindEntry, PAGE_SECTIONS, reasonWord, STATE_WORDS, wordsIn, type PageSection, type ReadinessState } from '../../common/catalogue.js';
import { CLIENT_SCRIPT, STYLE } from './assets.js';
import type { Tile } from './view.js';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The engine's states are the catalogue's, both ways: a state without its words does not compile. */
type Holds<T extends true> = T;
export type StatesCatalogued = Holds<
  [Readiness] extends [ReadinessState]
    ? [ReadinessState] extends [Readiness]
      ? true
      : 'common/catalogue.ts STATE_WORDS and Readiness differ'
    : 'common/catalogue.ts STATE_WORDS and Readiness differ'
>;

export const WORDS = {
  vi: {
    title: 'Sẵn sàng phục vụ',
    states: wordsIn(STATE_WORDS, 'vi'),
    sections: wordsIn(PAGE_SECTIONS, 'vi'),
    since: 'từ',
    updated: 'Cập nhật',
    uptime: 'Sẵn sàng trong giờ làm việc (30 ngày)',
    ready: 'sẵn sàng',
    centers: 'trung tâm',
    switchTo: 'English',
    back: 'Tất cả trung tâm',
    openAlerts: 'Cảnh báo đang mở',
    incidents: 'Sự cố gần đây (30 ngày)',
    none: 'Không có',
    up: 'Hoạt động',
    down: 'Lỗi',
    degradedWord: 'Chất lượng kém',
    perDay: 'Theo ngày',
    resolved: 'đã khôi phục',
    ongoing: 'đang diễn ra',
    agents: 'Máy gửi dữ liệu',
    lastHeard: 'lần cuối',
    live: 'Tự động cập nhật',
    noData: 'Chưa có dữ liệu',
    attention: 'Trung tâm chưa sẵn sàng',
    onLine: 'Đang dùng đường',
  },
  en: {
    title: 'Ready to serve',
    states: wordsIn(STATE_WORDS, 'en'),
    sections: wordsIn(PAGE_SECTIONS, 'en'),
    since: 'since',
    updated: 'Updated',
    uptime: 'Ready in office hours (30 days)',
    ready: 'ready',
    centers: 'centers',
    switchTo: 'Tiếng Việt',
    back: 'All centers',
    openAlerts: 'Open alerts',
    incidents: 'Recent incidents (30 days)',
    none: 'None',
    up: 'Up',
    down: 'Down',
    degradedWord: 'Degraded',
    perDay: 'Per day',
    resolved: 'recovered',
    ongoing: 'ongoing',
    agents: 'Reporting machines',
    lastHeard: 'last',
    live: 'Live updates',
    noData: 'No data yet',
    attention: 'Centers not ready',
    onLine: 'On line',
  },
} as const;

const STATES = Object.keys(STATE_WORDS) as Readiness[];

/** "từ 08:12" today, "từ 08:12 26/11/2026" otherwise. */
export function sinceText(sinceMs: number, nowMs: number, lang: Lang): string {
  const day = (t: number) => Math.floor((t + 7 * 3600_000) / 86_400_000);
  return `${WORDS[lang].since} ${day(sinceMs) === day(nowMs) ? formatClock(sinceMs) : formatTime(sinceMs)}`;
}

const pct = (share: number): string => `${Math.round(share * 1000) / 10}%`;
/** A share as a whole percent for the `w-N`/`h-N` classes: the Content-Security-Policy allows no style attributes. */
const percent = (share: number): number => Math.min(100, Math.max(0, Math.round(share * 100)));

function layout(lang: Lang, title: string, body: string, otherLangHref: string, data: unknown): string {
  const w = WORDS[lang];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
<h1><a href="/?lang=${lang}">${esc(w.title)}</a></h1>
<nav><a href="${esc(otherLangHref)}" hreflang="${lang === 'vi' ? 'en' : 'vi'}" lang="${lang === 'vi' ? 'en' : 'vi'}">${esc(w.switchTo)}</a></nav>
<p class="live" role="status" aria-live="polite"><span id="live-dot" aria-hidden="true">●</span> <span id="live-text">${esc(w.live)}</span></p>
</header>
<main id="main">
${body}
</main>
<script type="application/json" id="cw-data">${jsonForScript(data)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>`;
}

/** JSON inside a <script> element: `<` escaped so no text can close the element. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** "Đang dùng đường 4G Viettel từ 14:05" when the center is not on its main line, else ''. */
export function lineText(t: Tile, lang: Lang, nowMs: number): string {
  return t.backupLine ? `${WORDS[lang].onLine} ${t.backupLine.title[lang]} ${sinceText(t.backupLine.sinceMs, nowMs, lang)}` : '';
}

export function tileHtml(t: Tile, lang: Lang, nowMs: number): string {
  const w = WORDS[lang];
  const reason = t.reason ? `<span class="reason">${esc(t.reason[lang])} ${esc(sinceText(t.sinceMs, nowMs, lang))}</span>` : '';
  const line = t.backupLine ? `<span class="line">${esc(lineText(t, lang, nowMs))}</span>` : '';
  const uptime =
    t.uptime30d === undefined
      ? ''
      : `<span class="uptime" title="${esc(w.uptime)}"><span class="bar w-${percent(t.uptime30d)}"></span><span class="pct">${pct(t.uptime30d)}</span></span>`;
  return `<li class="tile s-${t.state}" data-center="${esc(t.center)}"><a href="/centers/${encodeURIComponent(t.center)}?lang=${lang}"><span class="name">${esc(t.name)}</span> <span class="state">${esc(w.states[t.state])}</span>${reason}${line}${uptime}</a></li>`;
}

export function renderOverview(
  tiles: readonly Tile[],
  groups: ReadonlyArray<{ province: string; name: string; tiles: readonly Tile[] }>,
  lang: Lang,
  nowMs: number,
): string {
  const w = WORDS[lang];
  const count = (list: readonly Tile[], s: Readiness) => list.filter((t) => t.state === s).length;
  const summary = `<p class="summary" id="summary">${STATES.map((s) => `<span class="chip s-${s}"><span class="n" data-state="${s}">${count(tiles, s)}</span> ${esc(w.states[s])}</span>`).join(' ')}</p>`;
  const sections = groups
    .map((g) => {
      const ready = count(g.tiles, 'ready');
      return `<section class="province" data-province="${esc(g.province)}"><h2>${esc(g.name)} <small>${ready}/${g.tiles.length} ${esc(w.ready)}</small></h2><ul class="tiles">${g.tiles.map((t) => tileHtml(t, lang, nowMs)).join('')}</ul></section>`;
    })
    .join('\n');
  // What needs attention first, whichever province it is in.
  const worst: Record<Readiness, number> = { blocked: 0, offline: 1, degraded: 2, ready: 3 };
  const notReady = groups.flatMap((g) => g.tiles.filter((t) => t.state !== 'ready')).sort((a, b) => worst[a.state] - worst[b.state]);
  const attention = `<section class="attention"><h2>${esc(w.attention)} <small id="attention-count">${notReady.length}</small></h2><ul class="tiles" id="attention">${notReady.map((t) => tileHtml(t, lang, nowMs)).join('')}</ul></section>`;
  const body = `${summary}\n<p class="updated">${esc(w.updated)} ${formatTime(nowMs)}</p>\n${attention}\n${sections || `<p>${esc(w.noData)}</p>`}`;
  return layout(lang, w.title, body, `/?lang=${lang === 'vi' ? 'en' : 'vi'}`, { lang, page: 'overview', words: w.states, since: w.since });
}

export interface CenterDetail {
  tile: Tile;
  checks: ReadonlyArray<{
    check: string;
    kind: string;
    line?: string | undefined;
    lineDescription?: string | undefined;
    /** A shared system's title or the check's description: what the messages call it. */
    title?: Bilingual | undefined;
    up: boolean;
    degraded: boolean;
    reason?: string | undefined;
    group?: string | undefined;
  }>;
  agents: ReadonlyArray<{ agent: string; lastHeardMs: number }>;
  alerts: ReadonlyArray<{ summary: Bilingual; severity: string; sinceMs: number }>;
  incidents: ReadonlyArray<{ summary: Bilingual; sinceMs: number; resolvedAtMs?: number | undefined }>;
  /** Office-hours share per local day, oldest first (undefined: no office hours that day). */
  days: ReadonlyArray<{ date: string; share: number | undefined }>;
}

/** A kind this build does not know (an agent newer than the server) is listed last. */
const sectionOf = (kind: string): PageSection => kindEntry(kind)?.section ?? 'machines';

export function renderCenter(d: CenterDetail, lang: Lang, nowMs: number): string {
  const w = WORDS[lang];
  const t = d.tile;
  const why = (code: string | undefined) => {
    const words = reasonWord(code);
    return words ? ` (${esc(words[lang])})` : code && code !== 'ok' ? ` (${esc(code)})` : '';
  };
  // Named as the messages name it, its id beside it for IT staff.
  const rowName = (c: CenterDetail['checks'][number]): string => {
    const name = checkName({ check: c.check, checkKind: c.kind, line: c.line, lineDescription: c.lineDescription, title: c.title })[lang];
    return name.includes(c.check) ? name : `${name} · ${c.check}`;
  };
  const status = (c: CenterDetail['checks'][number]) =>
    !c.up
      ? `<span class="st down">${esc(w.down)}${why(c.reason)}</span>`
      : c.degraded
        ? `<span class="st degraded">${esc(w.degradedWord)}</span>`
        : `<span class="st up">${esc(w.up)}</span>`;
  const sections = (Object.keys(PAGE_SECTIONS) as PageSection[])
    .map((sec) => {
      const list = d.checks.filter((c) => sectionOf(c.kind) === sec);
      if (list.length === 0) return '';
      return `<section><h2>${esc(w.sections[sec])}</h2><table><tbody>${list.map((c) => `<tr><th scope="row">${esc(rowName(c))}${c.line ? ` <small>${esc(c.line)}</small>` : ''}${c.group ? ` <small>${esc(c.group)}</small>` : ''}</th><td>${status(c)}</td></tr>`).join('')}</tbody></table></section>`;
    })
    .join('\n');
  const alerts =
    d.alerts.length === 0
      ? `<p>${esc(w.none)}</p>`
      : `<ul>${d.alerts.map((a) => `<li class="sev-${esc(a.severity)}">${esc(a.summary[lang])} ${esc(sinceText(a.sinceMs, nowMs, lang))}</li>`).join('')}</ul>`;
  const incidents =
    d.incidents.length === 0
      ? `<p>${esc(w.none)}</p>`
      : `<ul>${d.incidents.map((i) => `<li>${esc(formatTime(i.sinceMs))}: ${esc(i.summary[lang])} — ${i.resolvedAtMs !== undefined ? `${esc(w.resolved)} ${esc(formatTime(i.resolvedAtMs))}` : esc(w.ongoing)}</li>`).join('')}</ul>`;
  const days = `<ol class="days" aria-label="${esc(w.perDay)}">${d.days
    .map((x) =>
      x.share === undefined
        ? `<li class="day off" title="${esc(x.date)}"><span class="sr">${esc(x.date)}: —</span></li>`
        : `<li class="day" title="${esc(x.date)}: ${pct(x.share)}"><span class="fill h-${percent(x.share)}"></span><span class="sr">${esc(x.date)}: ${pct(x.share)}</span></li>`,
    )
    .join('')}</ol>`;
  const agents = `<ul>${d.agents.map((a) => `<li>${esc(a.agent)} — ${esc(w.lastHeard)} ${esc(formatTime(a.lastHeardMs))}</li>`).join('')}</ul>`;
  const reason = t.reason
    ? `<p class="reason">${esc(t.reason[lang])} ${esc(sinceText(t.sinceMs, nowMs, lang))}</p>`
    : `<p class="reason">${esc(sinceText(t.sinceMs, nowMs, lang))}</p>`;
  const body = `<p><a href="/?lang=${lang}">← ${esc(w.back)}</a></p>
<article class="center s-${t.state}" data-center="${esc(t.center)}">
<h2 class="cname">${esc(t.name)} <small>${esc(t.provinceName)}</small></h2>
<p class="big state">${esc(w.states[t.state])}</p>
${reason}
${t.backupLine ? `<p class="line">${esc(lineText(t, lang, nowMs))}</p>` : ''}
<p>${esc(w.uptime)}: <strong>${t.uptime30d === undefined ? '—' : pct(t.uptime30d)}</strong></p>
${days}
</article>
${sections}
<section><h2>${esc(w.openAlerts)}</h2>${alerts}</section>
<section><h2>${esc(w.incidents)}</h2>${incidents}</section>
<section><h2>${esc(w.agents)}</h2>${agents}</section>`;
  return layout(lang, `${t.name} — ${w.title}`, body, `/centers/${encodeURIComponent(t.center)}?lang=${lang === 'vi' ? 'en' : 'vi'}`, {
    lang,
    page: 'center',
    center: t.center,
    words: w.states,
    since: w.since,
  });
}
