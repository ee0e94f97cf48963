/**
 * Annotations of the exported alerting rules: Go templates Prometheus expands per alert, in Vietnamese
 * (`summary`, `description`, what a ward's staff read) and English (`summary_en`, `description_en`).
 * The words follow the engine's messages (server/engine/describe.ts), per kind from common/catalogue.ts. Every alert also links to its
 * section of the runbook (`runbook_url`) and to the Grafana dashboard of its center or province
 * (`dashboard_url`). Pure.
 */
import { DEFAULT_RUNBOOK, KIND_CATALOGUE, KINDS, kindsWhere, type Bilingual, type KindEntry, type ProbeKind } from '../../common/catalogue.js';
import { quote } from './common.js';
import { GRAFANA_UID, RUNBOOK_ANCHORS, type EngineAlert, type LinkBases } from './names.js';

/** The center's display name from `centerwatch_center_info` (pushed by its agents), else its id. */
const CENTER =
  '{{ with query (printf "centerwatch_center_info{center=%q}" $labels.center) }}{{ . | first | label "name" }}{{ else }}{{ $labels.center }}{{ end }}';

/** What a rule's annotations may say besides the alert's labels. */
export interface AnnotationContext {
  /** The rule's `for`, as a Prometheus duration. */
  for: string;
  severity: 'critical' | 'warning' | 'info';
  /** UpstreamDown: the shared system's title. */
  title?: { vi: string; en: string };
  /** UpstreamDown: the province-wide thresholds. */
  minCenters?: number;
  minShare?: number;
}

type Annotations = Record<'summary' | 'summary_en' | 'description' | 'description_en', string>;

/** A label value as a URL query value (Go's `urlquery`: a center id is safe, but not every label is). */
const param = (label: string): string => `{{ $labels.${label} | urlquery }}`;

/**
 * `runbook_url` and `dashboard_url` of an alert: Center detail with its province and center selected, or
 * for a province-wide alert, Links across centers (which center fails on which upstream).
 */
export function links(alert: EngineAlert, bases: LinkBases): Record<'runbook_url' | 'dashboard_url', string> {
  const dashboard =
    alert === 'UpstreamDown'
      ? `${bases.grafanaUrl}/d/${GRAFANA_UID.linksAcrossCenters}?var-province=${param('province')}`
      : `${bases.grafanaUrl}/d/${GRAFANA_UID.centerDetail}?var-province=${param('province')}&var-center=${param('center')}`;
  return { runbook_url: `${bases.runbookUrl}#${RUNBOOK_ANCHORS[alert]}`, dashboard_url: dashboard };
}

/** A Go-template switch on `$labels.kind` over the catalogue; kinds with the same text share a branch. */
function perKind(text: (e: KindEntry) => string | undefined, otherwise: string): string {
  const branches = new Map<string, ProbeKind[]>();
  for (const k of KINDS) {
    const t = text(KIND_CATALOGUE[k]);
    if (t !== undefined) branches.set(t, [...(branches.get(t) ?? []), k]);
  }
  if (branches.size === 0) return otherwise;
  const ifs = [...branches].map(([t, kinds], i) => `{{ ${i === 0 ? 'if' : 'else if'} eq $labels.kind ${kinds.map(quote).join(' ')} }}${t}`);
  return `${ifs.join('')}{{ else }}${otherwise}{{ end }}`;
}

/** A line check: a kind the catalogue lists under lines, with its `line` label. */
const LINE_KINDS = kindsWhere((e) => e.section === 'lines');
const IS_LINE = LINE_KINDS.length ? `and (eq $labels.kind ${LINE_KINDS.map(quote).join(' ')}) $labels.line` : 'false';

const LINE = { vi: 'đường truyền {{ $labels.line }}', en: 'line {{ $labels.line }}' };

/** How people call a check, as the engine does: a line by its line, a thing by its noun and id, else its id. */
const name = (lang: keyof Bilingual): string =>
  `{{ if ${IS_LINE} }}${LINE[lang]}{{ else }}${perKind((e) => (e.subject === 'thing' ? `${e.noun[lang]} {{ $labels.check }}` : undefined), '{{ $labels.check }}')}{{ end }}`;

/** What is down, as the engine says it: "đường truyền inet1 mất kết nối", "Máy in printer-1 lỗi", "không truy cập được portal". */
const what = (lang: keyof Bilingual): string => {
  const down = lang === 'vi' ? { line: 'mất kết nối', thing: 'lỗi' } : { line: 'is down', thing: 'failing' };
  const reached = lang === 'vi' ? 'không truy cập được {{ $labels.check }}' : '{{ $labels.check }} unreachable';
  return `{{ if ${IS_LINE} }}${LINE[lang]} ${down.line}{{ else }}${perKind((e) => (e.subject === 'thing' ? `${e.noun[lang]} {{ $labels.check }} ${down.thing}` : undefined), reached)}{{ end }}`;
};

/** What to do first, per kind. */
const firstStep = (lang: keyof Bilingual): string => perKind((e) => e.runbook[lang], DEFAULT_RUNBOOK[lang]);

function checkDownEffect(severity: AnnotationContext['severity']): { vi: string; en: string } {
  if (severity === 'critical') return { vi: 'Trung tâm có thể không tiếp nhận được hồ sơ.', en: 'The center may be unable to serve citizens.' };
  if (severity === 'warning')
    return { vi: 'Vẫn phục vụ được (mất dự phòng hoặc ảnh hưởng một phần).', en: 'Still serving (redundancy lost or partly affected).' };
  return { vi: 'Chỉ ghi nhận, không gửi cảnh báo.', en: 'Recorded only, never paged.' };
}

export const ANNOTATIONS: Record<EngineAlert, (c: AnnotationContext) => Annotations> = {
  CenterOffline: (c: AnnotationContext): Annotations => ({
    summary: `${CENTER}: không nhận được dữ liệu từ trung tâm (chưa rõ nguyên nhân)`,
    summary_en: `${CENTER}: no data from the center (cause unknown)`,
    description: `Không máy nào của trung tâm {{ $labels.center }} (tỉnh {{ $labels.province }}) gửi dữ liệu. Có thể mất điện, mất mạng hoặc máy tắt — có thể không phục vụ được người dân.`,
    description_en: `No machine of center {{ $labels.center }} (province {{ $labels.province }}) is sending data: power, network or the PCs may be down.${c.for === '0s' ? '' : ` For ${c.for}.`}`,
  }),
  AgentSilent: (_c: AnnotationContext): Annotations => ({
    summary: `${CENTER}: máy {{ $labels.agent }} không gửi dữ liệu`,
    summary_en: `${CENTER}: machine {{ $labels.agent }} is not sending data`,
    description:
      'Máy {{ $labels.agent }} của trung tâm {{ $labels.center }} không gửi dữ liệu trong khi các máy khác vẫn gửi. Kiểm tra máy có bật, có mạng và dịch vụ centerwatch-agent đang chạy.',
    description_en:
      'Machine {{ $labels.agent }} of center {{ $labels.center }} is silent while others report. Check that it is on, online and that centerwatch-agent runs.',
  }),
  CheckDown: (c: AnnotationContext): Annotations => {
    const effect = checkDownEffect(c.severity);
    return {
      summary: `${CENTER}: ${what('vi')}`,
      summary_en: `${CENTER}: ${what('en')}`,
      description: `Kiểm tra {{ $labels.check }} trên máy {{ $labels.agent }} lỗi${c.for === '0s' ? '' : ` liên tục ${c.for}`} (mức ảnh hưởng: {{ $labels.impact }}). ${effect.vi} Việc cần làm: ${firstStep('vi')}.`,
      description_en: `Check {{ $labels.check }} on {{ $labels.agent }} failed${c.for === '0s' ? '' : ` for ${c.for}`} (impact: {{ $labels.impact }}). ${effect.en} First: ${firstStep('en')}.`,
    };
  },
  CheckDegraded: (c: AnnotationContext): Annotations => ({
    summary: `${CENTER}: ${name('vi')} chất lượng kém (vượt ngưỡng)`,
    summary_en: `${CENTER}: ${name('en')} degraded (over threshold)`,
    description: `Kiểm tra {{ $labels.check }} trên máy {{ $labels.agent }} vượt ngưỡng${c.for === '0s' ? '' : ` liên tục ${c.for}`} — vẫn phục vụ nhưng chậm hoặc chập chờn.`,
    description_en: `Check {{ $labels.check }} on {{ $labels.agent }} past its threshold${c.for === '0s' ? '' : ` for ${c.for}`}: still serving, slowly or intermittently.`,
  }),
  LinesDown: (_c: AnnotationContext): Annotations => ({
    summary: `${CENTER}: {{ if eq $value 2.0 }}cả hai{{ else }}cả {{ $value }}{{ end }} đường truyền mất kết nối`,
    summary_en: `${CENTER}: {{ if eq $value 2.0 }}both lines{{ else }}all {{ $value }} lines{{ end }} down`,
    description:
      'Mọi đường truyền của trung tâm {{ $labels.center }} đều mất kết nối — không thể tiếp nhận hồ sơ trực tuyến. Gọi nhà mạng; kiểm tra modem/router.',
    description_en: 'Every line of center {{ $labels.center }} is down: no online applications. Call the carriers; check the modem/router.',
  }),
  UpstreamDown: (c: AnnotationContext): Annotations => ({
    summary: `{{ $labels.province }}: ${c.title?.vi ?? '{{ $labels.upstream }}'} không truy cập được từ {{ $value }} trung tâm`,
    summary_en: `{{ $labels.province }}: ${c.title?.en ?? '{{ $labels.upstream }}'} unreachable from {{ $value }} centers`,
    description: `${c.title?.vi ?? '{{ $labels.upstream }}'} lỗi tại ít nhất ${c.minCenters} trung tâm và ${Math.round((c.minShare ?? 0) * 100)} % số trung tâm kiểm tra nó — các trung tâm không thể giải quyết hồ sơ trên hệ thống này.`,
    description_en: `${c.title?.en ?? '{{ $labels.upstream }}'} fails at ${c.minCenters} centers or more and ${Math.round((c.minShare ?? 0) * 100)} % of those checking it.`,
  }),
};
