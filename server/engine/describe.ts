/**
 * What an alert says, pure: the plain-words summary, what it blocks for citizens and what to do first,
 * in Vietnamese and English. Per-kind and per-reason words come from common/catalogue.ts. Center names and check ids are user text: notifiers escape them.
 */
import { DEFAULT_RUNBOOK, kindEntry, reasonWord } from '../../common/catalogue.js';
import type { Bilingual, Lang } from '../notifiers/event.js';
import type { Impact, ReadinessReason, TimedReason } from './readiness.js';
import type { OfflineCause } from './topology.js';
import { OUTSIDE_IN_KIND } from '../lines/outside-in-checks.js';

/** A line as people know it: its name and, when the agent's config gives one, its description (the carrier). */
export interface LineName {
  line: string;
  description?: string | undefined;
}

export type Subject =
  | { kind: 'lines_down'; lines: number; members?: LineName[] }
  | { kind: 'center_offline'; cause?: OfflineCause }
  | { kind: 'agent_silent'; agent: string }
  | {
      kind: 'check';
      check: string;
      checkKind: string;
      line?: string;
      /** The line's description (its carrier, "Cáp quang VNPT"). */
      lineDescription?: string;
      /** The check's display name (a shared system's title, the check's description); the id when absent. */
      title?: Bilingual;
      impact: Impact;
      reason?: string;
      upstreamTitle?: Bilingual;
      redundant: boolean;
      degraded?: boolean;
    }
  | { kind: 'province'; upstreamTitle: Bilingual; centers: number };

export interface Description {
  summary: Bilingual;
  blocks?: Bilingual;
  runbook?: Bilingual;
}

/** A probe's reason code in plain words (undefined for `ok` and codes this build does not know). */
export { reasonWord };

/** A line check: a check of a kind the page lists under lines (or the province's view of a line), bound to a line. */
const lineOf = (c: { checkKind: string; line?: string | undefined; lineDescription?: string | undefined }): LineName | undefined =>
  (kindEntry(c.checkKind)?.section === 'lines' || c.checkKind === OUTSIDE_IN_KIND) && c.line !== undefined
    ? { line: c.line, description: c.lineDescription }
    : undefined;

/** For kinds this build does not know (an agent newer than the server). */
const RUNBOOK_UPSTREAM: Bilingual = {
  vi: 'thử từ máy khác; nếu vẫn lỗi, báo đơn vị vận hành hệ thống',
  en: 'try from another PC; if it still fails, tell the system operator',
};

const OFFLINE_BLOCKS: Bilingual = { vi: 'có thể không phục vụ được người dân', en: 'may not be able to serve citizens' };

/** Why a center is silent, as far as the province's outside-in probes of its lines tell (topology.ts). */
const OFFLINE: Record<OfflineCause, { summary: Bilingual; runbook: Bilingual; reason: Bilingual }> = {
  unknown: {
    summary: { vi: 'không nhận được dữ liệu từ trung tâm (chưa rõ nguyên nhân)', en: 'no data from the center (cause unknown)' },
    runbook: { vi: 'gọi điện cho trung tâm: mất điện, mất mạng hay máy đã tắt?', en: 'phone the center: power cut, network down or machines off?' },
    reason: { vi: 'Mất liên lạc với trung tâm (chưa rõ nguyên nhân)', en: 'No contact with the center (cause unknown)' },
  },
  no_power: {
    summary: {
      vi: 'không nhận được dữ liệu từ trung tâm: có thể mất điện hoặc router hỏng (không đường truyền nào trả lời từ tỉnh)',
      en: 'no data from the center: likely a power cut or the router down (none of its lines answers from the province)',
    },
    runbook: {
      vi: 'gọi điện cho trung tâm: kiểm tra điện lưới, bộ lưu điện (UPS) và router/modem; nếu vẫn có điện, gọi nhà mạng',
      en: 'phone the center: check mains power, the UPS and the router/modem; if the power is on, call the carriers',
    },
    reason: { vi: 'Mất liên lạc: có thể mất điện hoặc router hỏng', en: 'No contact: likely a power cut or the router down' },
  },
  pcs_down: {
    summary: {
      vi: 'không nhận được dữ liệu từ trung tâm: đường truyền vẫn trả lời, có thể các máy tính đã tắt hoặc phần mềm giám sát ngừng chạy',
      en: 'no data from the center: its lines answer, so its PCs are likely off or the monitoring agent stopped',
    },
    runbook: {
      vi: 'gọi điện cho trung tâm: kiểm tra máy tính có bật và dịch vụ centerwatch-agent đang chạy',
      en: 'phone the center: check the PCs are on and the centerwatch-agent service is running',
    },
    reason: { vi: 'Mất liên lạc: đường truyền vẫn trả lời, máy tính hoặc phần mềm giám sát không chạy', en: 'No contact: lines answer, PCs or the agent down' },
  },
};

const SERVE: Bilingual = { vi: 'không thể tiếp nhận hồ sơ trực tuyến', en: 'cannot accept online dossiers' };

const withCarrier = (l: LineName): string => (l.description ? `${l.line} (${l.description})` : l.line);

/** "đường truyền inet2 (Cáp quang VNPT)". */
export function lineWords(l: LineName): Bilingual {
  return { vi: `đường truyền ${withCarrier(l)}`, en: `line ${withCarrier(l)}` };
}

/** What naming a check needs. */
export type NamedCheck = Pick<Extract<Subject, { kind: 'check' }>, 'check' | 'checkKind' | 'line' | 'lineDescription' | 'title' | 'upstreamTitle'>;

/** How people call a check: its title, a line check by its line, a device by its noun; its id as the last resort. */
export function checkName(c: NamedCheck): Bilingual {
  const title = c.title ?? c.upstreamTitle;
  if (title) return title;
  const line = lineOf(c);
  if (line) return lineWords(line);
  const kind = kindEntry(c.checkKind);
  // Something reached over the network goes by its own id; a thing the center has by its noun too.
  return kind?.subject === 'thing' ? { vi: `${kind.noun.vi} ${c.check}`, en: `${kind.noun.en} ${c.check}` } : { vi: c.check, en: c.check };
}

export function describe(s: Subject): Description {
  switch (s.kind) {
    case 'lines_down':
      return {
        summary:
          s.lines <= 1
            ? { vi: 'đường truyền duy nhất mất kết nối', en: 'the only line is down' }
            : s.lines === 2
              ? { vi: 'cả hai đường truyền mất kết nối', en: 'both lines are down' }
              : { vi: `cả ${s.lines} đường truyền mất kết nối`, en: `all ${s.lines} lines are down` },
        blocks: SERVE,
        runbook: s.members?.length
          ? {
              vi: `gọi nhà mạng của từng đường truyền: ${s.members.map(withCarrier).join(', ')}; kiểm tra router, modem và nguồn điện`,
              en: `call each line's carrier: ${s.members.map(withCarrier).join(', ')}; check the router, modem and power`,
            }
          : {
              vi: 'gọi nhà mạng của từng đường truyền; kiểm tra router, modem và nguồn điện',
              en: "call each line's carrier; check the router, modem and power",
            },
      };
    case 'center_offline':
      return { summary: OFFLINE[s.cause ?? 'unknown'].summary, blocks: OFFLINE_BLOCKS, runbook: OFFLINE[s.cause ?? 'unknown'].runbook };
    case 'agent_silent':
      return {
        summary: { vi: `máy ${s.agent} không gửi dữ liệu`, en: `machine ${s.agent} stopped reporting` },
        runbook: {
          vi: 'kiểm tra máy có bật, có mạng và dịch vụ centerwatch-agent đang chạy',
          en: 'check the machine is on, connected, and centerwatch-agent is running',
        },
      };
    case 'province':
      return {
        summary: {
          vi: `${s.upstreamTitle.vi} không truy cập được từ ${s.centers} trung tâm`,
          en: `${s.upstreamTitle.en} unreachable from ${s.centers} centers`,
        },
        blocks: { vi: 'các trung tâm không thể giải quyết hồ sơ trên hệ thống này', en: 'centers cannot process dossiers on this system' },
        runbook: { vi: 'báo đơn vị vận hành hệ thống; các trung tâm không cần tự xử lý', en: 'tell the system operator; centers need not act' },
      };
    case 'check':
      return describeCheck(s);
  }
}

/**
 * The server's own check of which line a center's pushes come from (server/lines/line-in-use.ts): its title
 * is the whole story ("đang chạy bằng đường dự phòng 4G Viettel: đường chính Cáp quang VNPT có thể đã mất").
 */
export const LINE_IN_USE_KIND = 'line_in_use';
export const LINE_IN_USE_CHECK = 'line-in-use';

function describeCheck(s: Extract<Subject, { kind: 'check' }>): Description {
  if (s.checkKind === LINE_IN_USE_KIND && s.title)
    return {
      summary: s.title,
      blocks: { vi: 'vẫn phục vụ bằng đường dự phòng', en: 'still serving on the backup line' },
      runbook: { vi: 'gọi nhà mạng của đường chính; kiểm tra modem/router của đường chính', en: "call the main line's carrier; check its modem/router" },
    };
  // A code this build does not know (a newer agent) is shown as it came: better than nothing.
  const why = s.reason !== undefined && s.reason !== 'ok' ? (reasonWord(s.reason) ?? { vi: s.reason, en: s.reason }) : undefined;
  const suffix = (lang: 'vi' | 'en'): string => (why ? ` (${why[lang]})` : '');
  const line = lineOf(s);
  const carrier = line?.description ? ` (${line.description})` : '';
  let summary: Bilingual;
  if (s.degraded) {
    const what = checkName(s);
    return {
      summary: { vi: `${what.vi} chất lượng kém (vượt ngưỡng)`, en: `${what.en} degraded (over threshold)` },
      blocks: { vi: 'vẫn phục vụ nhưng chậm hoặc chập chờn', en: 'still serving, slowly or intermittently' },
      ...(line ? { runbook: { vi: `báo nhà mạng${carrier}: mất gói hoặc trễ cao`, en: `tell the carrier${carrier}: packet loss or high latency` } } : {}),
    };
  }
  const name = checkName(s);
  if (line && s.checkKind === OUTSIDE_IN_KIND) {
    summary = { vi: `${name.vi} mất kết nối (không trả lời khi kiểm tra từ tỉnh)`, en: `${name.en} is down (no answer from the province)` };
  } else if (line) {
    summary = { vi: `${name.vi} mất kết nối`, en: `${name.en} is down` };
  } else if (s.upstreamTitle || kindEntry(s.checkKind)?.subject !== 'thing') {
    summary = { vi: `không truy cập được ${name.vi}${suffix('vi')}`, en: `${name.en} unreachable${suffix('en')}` };
  } else {
    summary = { vi: `${name.vi} lỗi${suffix('vi')}`, en: `${name.en} failing${suffix('en')}` };
  }
  const d: Description = { summary };
  if (s.redundant) d.blocks = { vi: 'mất dự phòng, vẫn phục vụ bằng đường còn lại', en: 'redundancy lost, still serving on the rest' };
  else if (s.impact === 'blocking') d.blocks = { vi: 'trung tâm không thể phục vụ việc này', en: 'the center cannot serve this' };
  d.runbook =
    line && carrier
      ? { vi: `gọi nhà mạng của đường truyền này${carrier}; kiểm tra modem/router`, en: `call this line's carrier${carrier}; check the modem/router` }
      : (kindEntry(s.checkKind)?.runbook ?? (s.upstreamTitle ? RUNBOOK_UPSTREAM : DEFAULT_RUNBOOK));
  return d;
}

/** Why a center is not ready, in plain words for leaders; `named` finds what the reason's check ids stand for. */
export function reasonText(r: ReadinessReason, named: (check: string) => NamedCheck | undefined = () => undefined): Bilingual {
  const name = (id: string): Bilingual => {
    const c = named(id);
    return c ? checkName(c) : { vi: id, en: id };
  };
  // Two checks of one shared system read as that system once.
  const names = (ids: readonly string[], lang: Lang): string => [...new Set(ids.map((id) => name(id)[lang]))].join(', ');
  const both = (f: (lang: Lang) => string): Bilingual => ({ vi: f('vi'), en: f('en') });
  switch (r.kind) {
    case 'no_agent_heard':
      return OFFLINE[r.cause ?? 'unknown'].reason;
    case 'agents_silent':
      return { vi: `Máy không gửi dữ liệu: ${r.agents.join(', ')}`, en: `Machines not reporting: ${r.agents.join(', ')}` };
    case 'group_down':
      return r.group === 'lines'
        ? { vi: `Mất kết nối Internet (cả ${r.down.length} đường truyền)`, en: `No Internet (all ${r.down.length} lines down)` }
        : both((l) => (l === 'vi' ? `Nhóm ${r.group} không hoạt động: ${names(r.down, l)}` : `${r.group} down: ${names(r.down, l)}`));
    case 'redundancy_lost':
      return r.group === 'lines'
        ? both((l) => (l === 'vi' ? `Mất dự phòng: ${names(r.down, l)} mất kết nối` : `Redundancy lost: ${names(r.down, l)} down`))
        : both((l) => (l === 'vi' ? `Mất dự phòng ${r.group}: ${names(r.down, l)} lỗi` : `${r.group} redundancy lost: ${names(r.down, l)} down`));
    case 'check_down':
      return both((l) => (l === 'vi' ? `${name(r.check).vi} không hoạt động` : `${name(r.check).en} down`));
    case 'check_degraded':
      return both((l) => (l === 'vi' ? `${name(r.check).vi} chất lượng kém` : `${name(r.check).en} degraded`));
  }
}

/** A check as the fleet reports it, as far as words need it. */
export interface CheckFacts {
  check: string;
  kind: string;
  line?: string | undefined;
  /** The line's description from the agent's config (its carrier, "Cáp quang VNPT"). */
  lineDescription?: string | undefined;
  /** The check's display name: the title of the shared system it reaches, else its description. */
  title?: Bilingual | undefined;
  impact: Impact;
  /** The probe's reason code of the latest result. */
  reason?: string | undefined;
}

const capitalize = (b: Bilingual): Bilingual => ({ vi: b.vi.charAt(0).toUpperCase() + b.vi.slice(1), en: b.en.charAt(0).toUpperCase() + b.en.slice(1) });

/**
 * The words for one readiness reason wherever it is shown (page, API, digest): a reason about one check
 * reads like the alert about it ("Máy in quầy 1 lỗi (hết giấy)"), with the names the messages use.
 */
export function reasonWords(r: ReadinessReason, checks: readonly CheckFacts[]): Bilingual {
  const find = (id: string): CheckFacts | undefined => checks.find((c) => c.check === id);
  const subject = (c: CheckFacts, degraded: boolean): Extract<Subject, { kind: 'check' }> => ({
    kind: 'check',
    check: c.check,
    checkKind: c.kind,
    impact: c.impact,
    redundant: false,
    ...(degraded ? { degraded } : {}),
    ...(c.line ? { line: c.line } : {}),
    ...(c.lineDescription ? { lineDescription: c.lineDescription } : {}),
    ...(c.title ? { title: c.title } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
  });
  const system = r.kind === 'group_down' || r.kind === 'redundancy_lost' ? oneSystem(r, find) : undefined;
  if (system && r.kind === 'redundancy_lost') {
    const name = checkName(subject(system, false));
    const over = (lang: Lang): string => r.down.map((id) => lineWords({ line: find(id)!.line!, description: find(id)!.lineDescription })[lang]).join(', ');
    return { vi: `Mất dự phòng: không truy cập được ${name.vi} qua ${over('vi')}`, en: `Redundancy lost: ${name.en} unreachable over ${over('en')}` };
  }
  if (system) return capitalize(describe(subject(system, false)).summary);
  const one = r.kind === 'check_down' || r.kind === 'check_degraded' ? r.check : r.kind === 'group_down' && r.down.length === 1 ? r.down[0]! : undefined;
  const c = one === undefined ? undefined : find(one);
  if (c) return capitalize(describe(subject(c, r.kind === 'check_degraded')).summary);
  return reasonText(r, (id) => {
    const f = find(id);
    return f && subject(f, false);
  });
}

/**
 * The first down check when a group's members are one system reached over different lines (topology.ts
 * groups them so): the reason then reads as that system, not as a group.
 */
function oneSystem(
  r: Extract<ReadinessReason, { kind: 'group_down' | 'redundancy_lost' }>,
  find: (id: string) => CheckFacts | undefined,
): CheckFacts | undefined {
  if (r.group === 'lines') return undefined;
  const members = [...r.down, ...(r.kind === 'redundancy_lost' ? r.up : [])].map(find);
  const first = members[0];
  const lines = new Set(members.map((f) => f?.line));
  const same = members.every((f) => f?.line !== undefined && f.title !== undefined && f.title.vi === first?.title?.vi);
  return first && same && lines.size === members.length ? first : undefined;
}

/** Worst first: the reason shown on a tile. */
const REASON_RANK: Record<ReadinessReason['kind'], number> = {
  no_agent_heard: 0,
  group_down: 1,
  check_down: 2,
  agents_silent: 3,
  redundancy_lost: 4,
  check_degraded: 5,
};

/** The strongest reason, in words, with its own time. */
export function mainReason(reasons: readonly TimedReason[], checks: readonly CheckFacts[]): { text: Bilingual; sinceMs: number } | undefined {
  const blocking = (r: ReadinessReason): number => ('impact' in r && r.impact === 'blocking' ? 0 : 1);
  const first = [...reasons].sort((a, b) => blocking(a) - blocking(b) || REASON_RANK[a.kind] - REASON_RANK[b.kind])[0];
  return first ? { text: reasonWords(first, checks), sinceMs: first.sinceMs } : undefined;
}
