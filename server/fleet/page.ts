/**
 * The fleet page for IT staff as HTML, pure: counts per state, a filter form and one table row per
 * agent. It needs no JavaScript (the form is a plain GET), so its Content-Security-Policy allows no
 * script at all and only its own style, by hash. Every piece of text from elsewhere (center names from
 * the imported inventory; agent names, host names and versions from agents) goes through `esc`.
 */
import { createHash } from 'node:crypto';
import { provinceName } from '../../common/provinces.js';
import type { Lang } from '../notifiers/event.js';
import { formatTime } from '../notifiers/text.js';
import { esc } from '../web/page.js';
import { STATE_ORDER, type FleetFilter, type FleetRow, type FleetState } from './view.js';

export const FLEET_WORDS = {
  vi: {
    title: 'Danh sách agent',
    states: {
      silent: 'Mất liên lạc',
      refused: 'Từ chối cấu hình',
      never_seen: 'Chưa kết nối',
      outdated: 'Cấu hình cũ',
      no_profile: 'Chưa có cấu hình',
      ok: 'Bình thường',
      revoked: 'Đã thu hồi',
    },
    switchTo: 'English',
    province: 'Tỉnh',
    center: 'Trung tâm',
    state: 'Trạng thái',
    all: 'Tất cả',
    apply: 'Lọc',
    clear: 'Bỏ lọc',
    machine: 'Máy',
    platform: 'Nền tảng',
    version: 'Phiên bản',
    revision: 'Cấu hình (đang chạy / hiện hành)',
    lastHeard: 'Liên lạc lần cuối',
    backlog: 'Mẫu chờ gửi (WAL)',
    refusedRev: 'đã từ chối',
    push: 'đẩy dữ liệu',
    fetch: 'lấy cấu hình',
    shown: (n: number, of: number) => `Hiển thị ${n} / ${of} agent`,
    none: 'Không có agent nào khớp bộ lọc',
    updated: 'Cập nhật',
    never: 'chưa bao giờ',
    ago: (n: number, unit: 's' | 'min' | 'h' | 'd') => `${n} ${{ s: 'giây', min: 'phút', h: 'giờ', d: 'ngày' }[unit]} trước`,
  },
  en: {
    title: 'Agents',
    states: {
      silent: 'Silent',
      refused: 'Refused config',
      never_seen: 'Never seen',
      outdated: 'Outdated config',
      no_profile: 'No profile',
      ok: 'OK',
      revoked: 'Revoked',
    },
    switchTo: 'Tiếng Việt',
    province: 'Province',
    center: 'Center',
    state: 'State',
    all: 'All',
    apply: 'Filter',
    clear: 'Clear filters',
    machine: 'Machine',
    platform: 'Platform',
    version: 'Version',
    revision: 'Config (running / current)',
    lastHeard: 'Last heard',
    backlog: 'Samples waiting (WAL)',
    refusedRev: 'refused',
    push: 'push',
    fetch: 'config fetch',
    shown: (n: number, of: number) => `Showing ${n} of ${of} agents`,
    none: 'No agent matches the filters',
    updated: 'Updated',
    never: 'never',
    ago: (n: number, unit: 's' | 'min' | 'h' | 'd') => `${n} ${unit === 'd' ? (n === 1 ? 'day' : 'days') : unit} ago`,
  },
} as const;

/** "3 phút trước" / "3 min ago"; whole units, rounded down. */
export function agoText(atMs: number | undefined, nowMs: number, lang: Lang): string {
  const w = FLEET_WORDS[lang];
  if (atMs === undefined) return w.never;
  const s = Math.max(0, Math.floor((nowMs - atMs) / 1000));
  if (s < 60) return w.ago(s, 's');
  if (s < 3600) return w.ago(Math.floor(s / 60), 'min');
  if (s < 48 * 3600) return w.ago(Math.floor(s / 3600), 'h');
  return w.ago(Math.floor(s / 86_400), 'd');
}

/** Colour of a state: a problem that leaves a center unwatched or unconfigurable, one that waits, none, gone. */
const TONE: Record<FleetState, 'bad' | 'warn' | 'ok' | 'off'> = {
  silent: 'bad',
  refused: 'bad',
  never_seen: 'warn',
  outdated: 'warn',
  no_profile: 'warn',
  ok: 'ok',
  revoked: 'off',
};

/** Contrasts of at least 4.5:1 (WCAG AA); the state is always written as a word too. */
export const FLEET_STYLE = `
:root{--ok:#1b5e20;--ok-bg:#e8f5e9;--warn:#6d4c00;--warn-bg:#fff4d6;--bad:#b71c1c;--bad-bg:#fdecea;--off:#37474f;--off-bg:#e6eaec;--fg:#1a1a1a;--muted:#555}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:#fafafa}
a{color:inherit}
a:focus-visible,select:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid #1565c0;outline-offset:2px}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;background:#0d47a1;color:#fff}
.top h1{font-size:1.15rem;margin:0;flex:1 1 auto}.top h1 a{text-decoration:none}.top nav a{color:#fff;font-weight:600}
main{padding:.75rem 1rem;max-width:1400px;margin:0 auto}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;margin:.25rem 0 .75rem;padding:0}
.chip{display:inline-block;padding:.2rem .65rem;border-radius:1rem;font-weight:600;text-decoration:none}
.chip.on{outline:2px solid currentColor;outline-offset:1px}
.t-ok{color:var(--ok);background:var(--ok-bg)}.t-warn{color:var(--warn);background:var(--warn-bg)}
.t-bad{color:var(--bad);background:var(--bad-bg)}.t-off{color:var(--off);background:var(--off-bg)}
.filter{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:0 0 .75rem}
.filter>label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
.filter select,.filter button{font:inherit;padding:.25rem .4rem}
.filter fieldset{display:flex;flex-wrap:wrap;gap:.2rem .8rem;margin:0;padding:.2rem .6rem;border:1px solid #ccc;border-radius:.3rem}
.filter legend{font-size:.85rem;color:var(--muted)}
.meta{color:var(--muted);font-size:.85rem;margin:0 0 .5rem}
.wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
thead th{background:#eef2f7;font-size:.85rem}
td small{display:block;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.nw{white-space:nowrap}
code{font-size:.9em}
mark{background:var(--warn-bg);color:var(--warn);font-weight:700;padding:0 .15rem}
.st{display:inline-block;font-weight:700;white-space:nowrap;padding:.05rem .45rem;border-radius:.3rem}
@media (max-width:480px){main{padding:.5rem}}
`;

/** The page's policy: no script at all, its one style element by hash, forms only to itself. */
export const FLEET_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(FLEET_STYLE, 'utf8').digest('base64')}'`,
  "img-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export interface FleetPageData {
  /** The rows shown: province, center and states filtered, sorted. */
  rows: readonly FleetRow[];
  /** Per state, the agents the province and center filters select (states not applied): what the chips count. */
  counts: Record<FleetState, number>;
  filter: FleetFilter;
  /** Provinces to choose from (ids). */
  provinces: readonly string[];
  /** Centers to choose from. */
  centers: ReadonlyArray<{ code: string; name?: string | undefined }>;
  nowMs: number;
}

const BY_NAME = new Intl.Collator('vi');

/** `/fleet?…` with the filter and the language, empty fields left out. */
export function fleetHref(lang: Lang, f: FleetFilter): string {
  const q = new URLSearchParams({ lang });
  if (f.province) q.set('province', f.province);
  if (f.center) q.set('center', f.center);
  for (const s of f.states ?? []) q.append('state', s);
  return `/fleet?${q.toString()}`;
}

const platformName = (p: string): string => (p === 'win32' ? 'Windows' : p === 'linux' ? 'Linux' : p);

function rowHtml(r: FleetRow, lang: Lang, nowMs: number): string {
  const w = FLEET_WORDS[lang];
  const rev = (x: string | undefined) => (x ? `<code>${esc(x)}</code>` : '—');
  const differs = r.currentRevision !== undefined && r.runningRevision !== r.currentRevision;
  const running = differs ? `<mark>${rev(r.runningRevision)}</mark>` : rev(r.runningRevision);
  const refused = r.refusedRevision && r.refusedRevision === r.currentRevision ? `<small>${esc(w.refusedRev)} ${rev(r.refusedRevision)}</small>` : '';
  const heardTitle = [
    `${w.push}: ${r.lastPushMs !== undefined ? formatTime(r.lastPushMs) : w.never}`,
    `${w.fetch}: ${r.lastFetchMs !== undefined ? formatTime(r.lastFetchMs) : w.never}`,
  ].join(' · ');
  const backlog = r.backlog === undefined ? '—' : new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US').format(r.backlog);
  return (
    `<tr data-agent="${esc(r.id)}" data-state="${r.state}">` +
    `<td><code>${esc(r.center)}</code> ${esc(r.centerName ?? '')}<small>${esc(provinceName(r.province))}</small></td>` +
    `<td class="nw">${esc(r.name)}<small>${esc(r.hostname)}</small></td>` +
    `<td>${esc(platformName(r.platform))}</td>` +
    `<td>${esc(r.version)}</td>` +
    `<td class="rev nw">${running} / ${rev(r.currentRevision)}${refused}</td>` +
    `<td class="nw" title="${esc(heardTitle)}">${esc(agoText(r.lastHeardMs, nowMs, lang))}</td>` +
    `<td class="num">${esc(backlog)}</td>` +
    `<td><span class="st t-${TONE[r.state]}">${esc(w.states[r.state])}</span></td>` +
    `</tr>`
  );
}

function filterForm(d: FleetPageData, lang: Lang): string {
  const w = FLEET_WORDS[lang];
  const option = (value: string, text: string, selected: boolean) => `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(text)}</option>`;
  const provinces = [...d.provinces].sort((a, b) => BY_NAME.compare(provinceName(a), provinceName(b)));
  const centers = [...d.centers].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const states = new Set(d.filter.states ?? []);
  return `<form class="filter" method="get" action="/fleet" role="search">
<input type="hidden" name="lang" value="${lang}">
<label>${esc(w.province)}<select name="province">${option('', w.all, !d.filter.province)}${provinces.map((p) => option(p, provinceName(p), p === d.filter.province)).join('')}</select></label>
<label>${esc(w.center)}<select name="center">${option('', w.all, !d.filter.center)}${centers.map((c) => option(c.code, c.name ? `${c.code} — ${c.name}` : c.code, c.code === d.filter.center)).join('')}</select></label>
<fieldset><legend>${esc(w.state)}</legend>${STATE_ORDER.map((s) => `<label><input type="checkbox" name="state" value="${s}"${states.has(s) ? ' checked' : ''}> ${esc(w.states[s])}</label>`).join('')}</fieldset>
<button type="submit">${esc(w.apply)}</button> <a href="${esc(fleetHref(lang, {}))}">${esc(w.clear)}</a>
</form>`;
}

export function renderFleet(d: FleetPageData, lang: Lang): string {
  const w = FLEET_WORDS[lang];
  const total = Object.values(d.counts).reduce((a, b) => a + b, 0);
  const only = d.filter.states?.length === 1 ? d.filter.states[0] : undefined;
  const chips = `<ul class="counts" id="counts">${STATE_ORDER.map(
    (s) =>
      `<li><a class="chip t-${TONE[s]}${only === s ? ' on' : ''}" data-state="${s}" href="${esc(fleetHref(lang, { ...d.filter, states: [s] }))}"><span class="n">${d.counts[s]}</span> ${esc(w.states[s])}</a></li>`,
  ).join('')}</ul>`;
  const table =
    d.rows.length === 0
      ? `<p id="empty">${esc(w.none)}</p>`
      : `<div class="wrap"><table id="agents"><thead><tr><th scope="col">${esc(w.center)}</th><th scope="col">${esc(w.machine)}</th><th scope="col">${esc(w.platform)}</th><th scope="col">${esc(w.version)}</th><th scope="col">${esc(w.revision)}</th><th scope="col">${esc(w.lastHeard)}</th><th scope="col">${esc(w.backlog)}</th><th scope="col">${esc(w.state)}</th></tr></thead><tbody>${d.rows.map((r) => rowHtml(r, lang, d.nowMs)).join('')}</tbody></table></div>`;
  const other: Lang = lang === 'vi' ? 'en' : 'vi';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(w.title)} — centerwatch</title>
<style>${FLEET_STYLE}</style>
</head>
<body>
<header class="top">
<h1><a href="${esc(fleetHref(lang, {}))}">${esc(w.title)}</a></h1>
<nav><a href="${esc(fleetHref(other, d.filter))}" hreflang="${other}" lang="${other}">${esc(w.switchTo)}</a></nav>
</header>
<main id="main">
${chips}
${filterForm(d, lang)}
<p class="meta"><span id="shown">${esc(w.shown(d.rows.length, total))}</span> · ${esc(w.updated)} ${esc(formatTime(d.nowMs))}</p>
${table}
</main>
</body>
</html>`;
}
