/**
 * What the project knows of each probe kind and each probe reason, in one place: their words (vi/en),
 * the page section a kind's checks appear in, what on-call does first and whether a kind pages at night.
 * Pure data. The describer, the page, the engine and the exports read it; `agent/probes/index.ts`
 * checks its map of probes against it both ways, so a kind or a reason without its entry does not
 * compile. The server reads this file, never `agent/`.
 */

/** Text in both languages (structurally the notifiers' `Bilingual`). */
export interface Bilingual {
  vi: string;
  en: string;
}

/** One language of a table of words: `{ ready: 'Sẵn sàng', … }`. */
export function wordsIn<K extends string>(words: Readonly<Record<K, Bilingual>>, lang: keyof Bilingual): Record<K, string> {
  return Object.fromEntries(Object.entries<Bilingual>(words).map(([k, w]) => [k, w[lang]])) as Record<K, string>;
}

/** The readiness page's sections, in the order shown. */
export const PAGE_SECTIONS = {
  lines: { vi: 'Đường truyền', en: 'Lines' },
  links: { vi: 'Hệ thống kết nối', en: 'Connected systems' },
  devices: { vi: 'Quầy và thiết bị', en: 'Counters and devices' },
  machines: { vi: 'Máy tính', en: 'Computers' },
} as const satisfies Record<string, Bilingual>;
export type PageSection = keyof typeof PAGE_SECTIONS;

/** A center's readiness, as the page, the API, the runbook and the messages name it. */
export const STATE_WORDS = {
  ready: { vi: 'Sẵn sàng', en: 'Ready' },
  degraded: { vi: 'Suy giảm', en: 'Degraded' },
  blocked: { vi: 'Gián đoạn', en: 'Blocked' },
  offline: { vi: 'Mất liên lạc', en: 'Offline' },
} as const satisfies Record<string, Bilingual>;
export type ReadinessState = keyof typeof STATE_WORDS;

export interface KindEntry {
  /** What a check of this kind is, as a noun ("Máy in"). */
  noun: Bilingual;
  /** Where the readiness page lists the kind's checks. */
  section: PageSection;
  /**
   * How its failure reads. `reached`: something reached over the network, called by its title or id
   * ("không truy cập được provincial-system"); `thing`: something the center has, called by its noun
   * and id ("Máy in printer-1 lỗi (hết giấy)").
   */
  subject: 'reached' | 'thing';
  /** What on-call does first when a check of this kind fails. */
  runbook: Bilingual;
  /**
   * `urgent_when_blocking`: a blocking check of this kind pages outside office hours too (mains lost:
   * the center stops when the battery does); `office_hours`: its messages wait for office hours.
   */
  urgency: 'urgent_when_blocking' | 'office_hours';
}

const DATABASE: KindEntry = {
  noun: { vi: 'Cơ sở dữ liệu', en: 'Database' },
  section: 'links',
  subject: 'thing',
  runbook: {
    vi: 'báo quản trị cơ sở dữ liệu; kiểm tra kết nối tới máy chủ CSDL',
    en: 'tell the database administrator; check the link to the database server',
  },
  urgency: 'office_hours',
};

/** Every probe kind. A new kind is one entry here plus its probe in `agent/probes/index.ts`. */
export const KIND_CATALOGUE = {
  icmp: {
    noun: { vi: 'Đường truyền', en: 'Line' },
    section: 'lines',
    subject: 'reached',
    runbook: { vi: 'gọi nhà mạng của đường truyền này; kiểm tra modem/router', en: "call this line's carrier; check the modem/router" },
    urgency: 'office_hours',
  },
  tcp: {
    noun: { vi: 'Dịch vụ', en: 'Service' },
    section: 'links',
    subject: 'reached',
    runbook: { vi: 'kiểm tra dịch vụ và tường lửa phía máy chủ', en: 'check the service and the firewall on the server side' },
    urgency: 'office_hours',
  },
  http: {
    noun: { vi: 'Trang web', en: 'Website' },
    section: 'links',
    subject: 'reached',
    runbook: {
      vi: 'thử mở trang trên máy khác; nếu vẫn lỗi, báo đơn vị quản lý hệ thống',
      en: 'try the site from another PC; if it still fails, tell the system operator',
    },
    urgency: 'office_hours',
  },
  dns: {
    noun: { vi: 'Tên miền', en: 'Domain name' },
    section: 'links',
    subject: 'reached',
    runbook: { vi: 'kiểm tra cấu hình DNS của máy và router', en: "check the PC's and router's DNS settings" },
    urgency: 'office_hours',
  },
  host: {
    noun: { vi: 'Máy tính', en: 'Computer' },
    section: 'machines',
    subject: 'thing',
    runbook: { vi: 'kiểm tra ổ đĩa, bộ nhớ và tải của máy', en: "check the machine's disk, memory and load" },
    urgency: 'office_hours',
  },
  postgres: DATABASE,
  mysql: DATABASE,
  redis: DATABASE,
  mssql: DATABASE,
  oracle: DATABASE,
  mongodb: DATABASE,
  usb: {
    noun: { vi: 'Thiết bị USB', en: 'USB device' },
    section: 'devices',
    subject: 'thing',
    runbook: { vi: 'cắm lại thiết bị; thử cổng USB khác', en: 'plug the device in again; try another USB port' },
    urgency: 'office_hours',
  },
  scanner: {
    noun: { vi: 'Máy quét', en: 'Scanner' },
    section: 'devices',
    subject: 'thing',
    runbook: { vi: 'kiểm tra nguồn, cáp và trình điều khiển máy quét', en: "check the scanner's power, cable and driver" },
    urgency: 'office_hours',
  },
  printer: {
    noun: { vi: 'Máy in', en: 'Printer' },
    section: 'devices',
    subject: 'thing',
    runbook: { vi: 'kiểm tra nguồn, cáp, giấy, mực và hàng đợi in', en: 'check power, cable, paper, toner and the print queue' },
    urgency: 'office_hours',
  },
  ups: {
    noun: { vi: 'Bộ lưu điện', en: 'UPS' },
    section: 'devices',
    subject: 'thing',
    runbook: { vi: 'kiểm tra điện lưới; chuẩn bị tắt máy an toàn nếu pin sắp cạn', en: 'check mains power; prepare a clean shutdown if the battery runs low' },
    urgency: 'urgent_when_blocking',
  },
  ntp: {
    noun: { vi: 'Đồng hồ máy', en: 'Clock' },
    section: 'machines',
    subject: 'thing',
    runbook: { vi: 'đồng bộ lại giờ hệ thống (chữ ký số cần đúng giờ)', en: 'resynchronise the clock (digital signatures need the right time)' },
    urgency: 'office_hours',
  },
  // a router's WAN interfaces are the center's lines; the same kind watches a switch port or an access point's uplink
  router: {
    noun: { vi: 'Thiết bị mạng', en: 'Network device' },
    section: 'lines',
    subject: 'thing',
    runbook: {
      vi: 'xem cổng nào mất kết nối: kiểm tra cáp, đèn cổng và modem của nhà mạng; nếu là cổng WAN, gọi nhà mạng của đường truyền đó',
      en: "see which interface is down: check its cable, its port lights and the carrier's modem; for a WAN, call that line's carrier",
    },
    urgency: 'office_hours',
  },
} as const satisfies Record<string, KindEntry>;

/** What to do first for a kind this build does not know (an agent newer than the server). */
export const DEFAULT_RUNBOOK: Bilingual = {
  vi: 'kiểm tra kết nối và tài khoản; báo quản trị hệ thống nếu vẫn lỗi',
  en: 'check the connection and credentials; tell the administrator if it still fails',
};

/** A probe kind: a key of the catalogue. */
export type ProbeKind = keyof typeof KIND_CATALOGUE;
export const KINDS = Object.keys(KIND_CATALOGUE) as ProbeKind[];

/** The catalogue entry of a kind as it arrives on the wire (a label); undefined for a kind this build does not know. */
export function kindEntry(kind: string): KindEntry | undefined {
  return Object.hasOwn(KIND_CATALOGUE, kind) ? KIND_CATALOGUE[kind as ProbeKind] : undefined;
}

/** The kinds whose entry has this property, in catalogue order. */
export function kindsWhere(match: (e: KindEntry) => boolean): ProbeKind[] {
  return KINDS.filter((k) => match(KIND_CATALOGUE[k]));
}

/**
 * Why a check failed or degraded, with its words: a closed set, so alerts and dashboards can branch
 * on it. Never derived from the text of an error message. A reason is one entry here.
 */
export const REASON_CATALOGUE = {
  ok: { vi: 'bình thường', en: 'ok' },
  timeout: { vi: 'quá thời gian chờ', en: 'timed out' },
  refused: { vi: 'bị từ chối kết nối', en: 'connection refused' },
  unreachable: { vi: 'không tới được', en: 'unreachable' },
  dns: { vi: 'lỗi phân giải tên miền', en: 'DNS failure' },
  tls: { vi: 'lỗi chứng chỉ/TLS', en: 'TLS failure' },
  auth: { vi: 'sai thông tin đăng nhập', en: 'authentication failed' },
  http_status: { vi: 'máy chủ trả lỗi', en: 'server error' },
  assertion: { vi: 'nội dung trả về không đúng', en: 'unexpected answer' },
  // an HTTP body over max_body_bytes, nested too deep, or too costly to check: refused unchecked
  body_too_large: { vi: 'nội dung trả về quá lớn để kiểm tra', en: 'answer too large to check' },
  database_missing: { vi: 'không có cơ sở dữ liệu', en: 'database missing' },
  query_failed: { vi: 'truy vấn lỗi', en: 'query failed' },
  // peripherals, power and clock
  missing: { vi: 'không tìm thấy thiết bị', en: 'device not found' },
  offline: { vi: 'thiết bị ngừng hoạt động', en: 'device offline' },
  // an interface of a router, switch or access point that is not operationally up (a WAN: its line is down)
  link_down: { vi: 'cổng mạng mất kết nối', en: 'interface down' },
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
  protocol: { vi: 'trả lời không đúng giao thức', en: 'protocol error' },
  threshold: { vi: 'vượt ngưỡng', en: 'threshold exceeded' },
  // the agent's own situation: what the check needs on the machine, not what it checks
  not_permitted: { vi: 'máy giám sát không đủ quyền để kiểm tra', en: 'the agent lacks the permission to check' },
  missing_binary: { vi: 'máy giám sát thiếu chương trình cần để kiểm tra', en: 'a program the check needs is missing' },
  not_supported: {
    vi: 'loại kiểm tra này không chạy được trên hệ điều hành của máy giám sát',
    en: "this kind of check cannot run on the agent's operating system",
  },
  config: { vi: 'cấu hình kiểm tra sai', en: 'check misconfigured' },
  internal_error: { vi: 'lỗi nội bộ của phần mềm giám sát', en: 'monitoring agent internal error' },
} as const satisfies Record<string, Bilingual>;

export type Reason = keyof typeof REASON_CATALOGUE;
export const REASONS = Object.keys(REASON_CATALOGUE) as Reason[];

/** A reason as it arrives on the wire, in words; undefined for `ok` and for a code this build does not know. */
export function reasonWord(code: string | undefined): Bilingual | undefined {
  return code === undefined || code === 'ok' || !Object.hasOwn(REASON_CATALOGUE, code) ? undefined : REASON_CATALOGUE[code as Reason];
}
