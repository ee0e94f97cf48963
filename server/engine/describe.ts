/**
 * What an alert says, pure: the plain-words summary, what it blocks for citizens and what to do first,
 * in Vietnamese and English. Center names and check ids are user text: notifiers escape them.
 */
import type { Bilingual, Lang } from '../notifiers/event.js';
import type { Impact, ReadinessReason, TimedReason } from './readiness.js';

/** A line as people know it: its name and, when the agent's config gives one, its description (the carrier). */
export interface LineName {
  line: string;
  description?: string | undefined;
}

export type Subject =
  | { kind: 'lines_down'; lines: number; members?: LineName[] }
  | { kind: 'center_offline' }
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

/** The probe's reason codes in plain words (the closed set of agent/probes/types.ts). */
const REASON_WORDS: Record<string, Bilingual> = {
  timeout: { vi: 'quá thời gian chờ', en: 'timed out' },
  refused: { vi: 'bị từ chối kết nối', en: 'connection refused' },
  unreachable: { vi: 'không tới được', en: 'unreachable' },
  dns: { vi: 'lỗi phân giải tên miền', en: 'DNS failure' },
  tls: { vi: 'lỗi chứng chỉ/TLS', en: 'TLS failure' },
  auth: { vi: 'sai thông tin đăng nhập', en: 'authentication failed' },
  http_status: { vi: 'máy chủ trả lỗi', en: 'server error' },
  assertion: { vi: 'nội dung trả về không đúng', en: 'unexpected answer' },
  body_too_large: { vi: 'nội dung trả về quá lớn để kiểm tra', en: 'answer too large to check' },
  database_missing: { vi: 'không có cơ sở dữ liệu', en: 'database missing' },
  query_failed: { vi: 'truy vấn lỗi', en: 'query failed' },
  missing: { vi: 'không tìm thấy thiết bị', en: 'device not found' },
  offline: { vi: 'thiết bị ngừng hoạt động', en: 'device offline' },
  media_empty: { vi: 'hết giấy', en: 'out of paper' },
  media_low: { vi: 'sắp hết giấy', en: 'paper low' },
  media_jam: { vi: 'kẹt giấy', en: 'paper jam' },
  marker_empty: { vi: 'hết mực', en: 'out of toner' },
  marker_low: { vi: 'sắp hết mực', en: 'toner low' },
  door_open: { vi: 'nắp máy đang mở', en: 'cover open' },
  service_requested: { vi: 'cần bảo trì', en: 'service requested' },
  on_battery: { vi: 'mất điện lưới, đang chạy pin', en: 'mains lost, on battery' },
  low_battery: { vi: 'pin lưu điện sắp cạn', en: 'battery low' },
  clock_offset: { vi: 'đồng hồ lệch giờ', en: 'clock off' },
  threshold: { vi: 'vượt ngưỡng', en: 'threshold exceeded' },
};

/** A probe's reason code in plain words (undefined for `ok` and unknown codes). */
export function reasonWord(code: string | undefined): Bilingual | undefined {
  return code === undefined || code === 'ok' ? undefined : REASON_WORDS[code];
}

const KIND_NOUN: Record<string, Bilingual> = {
  printer: { vi: 'Máy in', en: 'Printer' },
  scanner: { vi: 'Máy quét', en: 'Scanner' },
  usb: { vi: 'Thiết bị USB', en: 'USB device' },
  ups: { vi: 'Bộ lưu điện', en: 'UPS' },
  ntp: { vi: 'Đồng hồ máy', en: 'Clock' },
  host: { vi: 'Máy tính', en: 'Computer' },
  postgres: { vi: 'Cơ sở dữ liệu', en: 'Database' },
  mysql: { vi: 'Cơ sở dữ liệu', en: 'Database' },
  mssql: { vi: 'Cơ sở dữ liệu', en: 'Database' },
  oracle: { vi: 'Cơ sở dữ liệu', en: 'Database' },
  mongodb: { vi: 'Cơ sở dữ liệu', en: 'Database' },
  redis: { vi: 'Cơ sở dữ liệu', en: 'Database' },
};

/** What to do first, per kind of check. */
const RUNBOOK: Record<string, Bilingual> = {
  icmp: { vi: 'gọi nhà mạng của đường truyền này; kiểm tra modem/router', en: "call this line's carrier; check the modem/router" },
  http: { vi: 'thử mở trang trên máy khác; nếu vẫn lỗi, báo đơn vị quản lý hệ thống', en: 'try the site from another PC; if it still fails, tell the system operator' },
  dns: { vi: 'kiểm tra cấu hình DNS của máy và router', en: "check the PC's and router's DNS settings" },
  tcp: { vi: 'kiểm tra dịch vụ và tường lửa phía máy chủ', en: 'check the service and the firewall on the server side' },
  printer: { vi: 'kiểm tra nguồn, cáp, giấy, mực và hàng đợi in', en: 'check power, cable, paper, toner and the print queue' },
  scanner: { vi: 'kiểm tra nguồn, cáp và trình điều khiển máy quét', en: "check the scanner's power, cable and driver" },
  usb: { vi: 'cắm lại thiết bị; thử cổng USB khác', en: 'plug the device in again; try another USB port' },
  ups: { vi: 'kiểm tra điện lưới; chuẩn bị tắt máy an toàn nếu pin sắp cạn', en: 'check mains power; prepare a clean shutdown if the battery runs low' },
  ntp: { vi: 'đồng bộ lại giờ hệ thống (chữ ký số cần đúng giờ)', en: 'resynchronise the clock (digital signatures need the right time)' },
  host: { vi: 'kiểm tra ổ đĩa, bộ nhớ và tải của máy', en: "check the machine's disk, memory and load" },
};
const RUNBOOK_UPSTREAM: Bilingual = { vi: 'thử từ máy khác; nếu vẫn lỗi, báo đơn vị vận hành hệ thống', en: 'try from another PC; if it still fails, tell the system operator' };
const RUNBOOK_DEFAULT: Bilingual = { vi: 'kiểm tra kết nối và tài khoản; báo quản trị hệ thống nếu vẫn lỗi', en: 'check the connection and credentials; tell the administrator if it still fails' };
for (const k of ['postgres', 'mysql', 'mssql', 'oracle', 'mongodb', 'redis']) RUNBOOK[k] = { vi: 'báo quản trị cơ sở dữ liệu; kiểm tra kết nối tới máy chủ CSDL', en: 'tell the database administrator; check the link to the database server' };

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
  if (c.checkKind === 'icmp' && c.line !== undefined) return lineWords({ line: c.line, description: c.lineDescription });
  const noun = KIND_NOUN[c.checkKind];
  return noun ? { vi: `${noun.vi} ${c.check}`, en: `${noun.en} ${c.check}` } : { vi: c.check, en: c.check };
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
          ? { vi: `gọi nhà mạng của từng đường truyền: ${s.members.map(withCarrier).join(', ')}; kiểm tra router, modem và nguồn điện`, en: `call each line's carrier: ${s.members.map(withCarrier).join(', ')}; check the router, modem and power` }
          : { vi: 'gọi nhà mạng của từng đường truyền; kiểm tra router, modem và nguồn điện', en: "call each line's carrier; check the router, modem and power" },
      };
    case 'center_offline':
      return {
        summary: { vi: 'không nhận được dữ liệu từ trung tâm (chưa rõ nguyên nhân)', en: 'no data from the center (cause unknown)' },
        blocks: { vi: 'có thể không phục vụ được người dân', en: 'may not be able to serve citizens' },
        runbook: { vi: 'gọi điện cho trung tâm: mất điện, mất mạng hay máy đã tắt?', en: 'phone the center: power cut, network down or machines off?' },
      };
    case 'agent_silent':
      return {
        summary: { vi: `máy ${s.agent} không gửi dữ liệu`, en: `machine ${s.agent} stopped reporting` },
        runbook: { vi: 'kiểm tra máy có bật, có mạng và dịch vụ centerwatch-agent đang chạy', en: 'check the machine is on, connected, and centerwatch-agent is running' },
      };
    case 'province':
      return {
        summary: { vi: `${s.upstreamTitle.vi} không truy cập được từ ${s.centers} trung tâm`, en: `${s.upstreamTitle.en} unreachable from ${s.centers} centers` },
        blocks: { vi: 'các trung tâm không thể giải quyết hồ sơ trên hệ thống này', en: 'centers cannot process dossiers on this system' },
        runbook: { vi: 'báo đơn vị vận hành hệ thống; các trung tâm không cần tự xử lý', en: 'tell the system operator; centers need not act' },
      };
    case 'check':
      return describeCheck(s);
  }
}

function describeCheck(s: Extract<Subject, { kind: 'check' }>): Description {
  const why = s.reason !== undefined && s.reason !== 'ok' ? REASON_WORDS[s.reason] ?? { vi: s.reason, en: s.reason } : undefined;
  const suffix = (lang: 'vi' | 'en'): string => (why ? ` (${why[lang]})` : '');
  const line = s.checkKind === 'icmp' && s.line !== undefined ? { line: s.line, description: s.lineDescription } : undefined;
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
  if (line) {
    summary = { vi: `${name.vi} mất kết nối`, en: `${name.en} is down` };
  } else if (s.upstreamTitle || !KIND_NOUN[s.checkKind]) {
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
      : RUNBOOK[s.checkKind] ?? (s.upstreamTitle ? RUNBOOK_UPSTREAM : RUNBOOK_DEFAULT);
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
      return { vi: 'Mất liên lạc với trung tâm (chưa rõ nguyên nhân)', en: 'No contact with the center (cause unknown)' };
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
    kind: 'check', check: c.check, checkKind: c.kind, impact: c.impact, redundant: false, ...(degraded ? { degraded } : {}),
    ...(c.line ? { line: c.line } : {}), ...(c.lineDescription ? { lineDescription: c.lineDescription } : {}), ...(c.title ? { title: c.title } : {}), ...(c.reason ? { reason: c.reason } : {}),
  });
  const one = r.kind === 'check_down' || r.kind === 'check_degraded' ? r.check : r.kind === 'group_down' && r.down.length === 1 ? r.down[0]! : undefined;
  const c = one === undefined ? undefined : find(one);
  if (c) return capitalize(describe(subject(c, r.kind === 'check_degraded')).summary);
  return reasonText(r, (id) => {
    const f = find(id);
    return f && subject(f, false);
  });
}

/** Worst first: the reason shown on a tile. */
const REASON_RANK: Record<ReadinessReason['kind'], number> = { no_agent_heard: 0, group_down: 1, check_down: 2, agents_silent: 3, redundancy_lost: 4, check_degraded: 5 };

/** The strongest reason, in words, with its own time. */
export function mainReason(reasons: readonly TimedReason[], checks: readonly CheckFacts[]): { text: Bilingual; sinceMs: number } | undefined {
  const blocking = (r: ReadinessReason): number => ('impact' in r && r.impact === 'blocking' ? 0 : 1);
  const first = [...reasons].sort((a, b) => blocking(a) - blocking(b) || REASON_RANK[a.kind] - REASON_RANK[b.kind])[0];
  return first ? { text: reasonWords(first, checks), sinceMs: first.sinceMs } : undefined;
}
