/**
 * What an alert says, pure: the plain-words summary, what it blocks for citizens and what to do first,
 * in Vietnamese and English. Center names and check ids are user text: notifiers escape them.
 */
import type { Bilingual } from '../notifiers/event.js';
import type { Impact, ReadinessReason } from './readiness.js';

export type Subject =
  | { kind: 'lines_down'; lines: number }
  | { kind: 'center_offline' }
  | { kind: 'agent_silent'; agent: string }
  | { kind: 'check'; check: string; checkKind: string; line?: string; impact: Impact; reason?: string; upstreamTitle?: Bilingual; redundant: boolean; degraded?: boolean }
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
        runbook: { vi: 'gọi nhà mạng của từng đường truyền; kiểm tra router, modem và nguồn điện', en: "call each line's carrier; check the router, modem and power" },
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
  let summary: Bilingual;
  if (s.degraded) {
    const what = s.checkKind === 'icmp' && s.line !== undefined ? { vi: `đường truyền ${s.line}`, en: `line ${s.line}` } : { vi: s.check, en: s.check };
    return {
      summary: { vi: `${what.vi} chất lượng kém (vượt ngưỡng)`, en: `${what.en} degraded (over threshold)` },
      blocks: { vi: 'vẫn phục vụ nhưng chậm hoặc chập chờn', en: 'still serving, slowly or intermittently' },
      ...(s.checkKind === 'icmp' ? { runbook: { vi: 'báo nhà mạng: mất gói hoặc trễ cao', en: 'tell the carrier: packet loss or high latency' } } : {}),
    };
  }
  if (s.checkKind === 'icmp' && s.line !== undefined) {
    summary = { vi: `đường truyền ${s.line} mất kết nối`, en: `line ${s.line} is down` };
  } else if (s.upstreamTitle) {
    summary = { vi: `không truy cập được ${s.upstreamTitle.vi}${suffix('vi')}`, en: `${s.upstreamTitle.en} unreachable${suffix('en')}` };
  } else if (KIND_NOUN[s.checkKind]) {
    const noun = KIND_NOUN[s.checkKind]!;
    summary = { vi: `${noun.vi} ${s.check} lỗi${suffix('vi')}`, en: `${noun.en} ${s.check} failing${suffix('en')}` };
  } else {
    summary = { vi: `không truy cập được ${s.check}${suffix('vi')}`, en: `${s.check} unreachable${suffix('en')}` };
  }
  const d: Description = { summary };
  if (s.redundant) d.blocks = { vi: 'mất dự phòng, vẫn phục vụ bằng đường còn lại', en: 'redundancy lost, still serving on the rest' };
  else if (s.impact === 'blocking') d.blocks = { vi: 'trung tâm không thể phục vụ việc này', en: 'the center cannot serve this' };
  d.runbook = RUNBOOK[s.checkKind] ?? (s.upstreamTitle ? RUNBOOK_UPSTREAM : RUNBOOK_DEFAULT);
  return d;
}

/** Why a center is not ready, in plain words for leaders (the readiness page, the digest). */
export function reasonText(r: ReadinessReason, name: (check: string) => string = (c) => c): Bilingual {
  switch (r.kind) {
    case 'no_agent_heard':
      return { vi: 'Mất liên lạc với trung tâm (chưa rõ nguyên nhân)', en: 'No contact with the center (cause unknown)' };
    case 'agents_silent':
      return { vi: `Máy không gửi dữ liệu: ${r.agents.join(', ')}`, en: `Machines not reporting: ${r.agents.join(', ')}` };
    case 'group_down':
      return r.group === 'lines'
        ? { vi: `Mất kết nối Internet (cả ${r.down.length} đường truyền)`, en: `No Internet (all ${r.down.length} lines down)` }
        : { vi: `Nhóm ${r.group} không hoạt động: ${r.down.map(name).join(', ')}`, en: `${r.group} down: ${r.down.map(name).join(', ')}` };
    case 'redundancy_lost':
      return r.group === 'lines'
        ? { vi: `Mất dự phòng đường truyền: ${r.down.map(name).join(', ')} lỗi`, en: `Line redundancy lost: ${r.down.map(name).join(', ')} down` }
        : { vi: `Mất dự phòng ${r.group}: ${r.down.map(name).join(', ')} lỗi`, en: `${r.group} redundancy lost: ${r.down.map(name).join(', ')} down` };
    case 'check_down':
      return { vi: `${name(r.check)} không hoạt động`, en: `${name(r.check)} down` };
    case 'check_degraded':
      return { vi: `${name(r.check)} chất lượng kém`, en: `${name(r.check)} degraded` };
  }
}
