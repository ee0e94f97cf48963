import { isIP } from 'node:net';

/** Record types the `dns` probe can query (those node's resolver returns in a fixed shape). */
export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'PTR', 'SOA'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Response codes a check may expect. NODATA (the name exists, not the type) is NOERROR with no answers. */
export const RCODES = ['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'NOTIMP', 'FORMERR'] as const;
export type Rcode = (typeof RCODES)[number];

// c-ares turns every response code but NOERROR into an error code; these are the ones it has.
const RCODE_BY_ERROR: Record<string, Rcode> = {
  ENODATA: 'NOERROR',
  ENOTFOUND: 'NXDOMAIN',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ENOTIMP: 'NOTIMP',
  EFORMERR: 'FORMERR',
};

/** The response code behind a resolver error code, or undefined when no response came (timeout, refused…). */
export function rcodeOf(errorCode: string): Rcode | undefined {
  return RCODE_BY_ERROR[errorCode];
}

/**
 * The name to ask for: the target itself, except that a PTR check may name an IP address,
 * which becomes its `in-addr.arpa` / `ip6.arpa` name.
 */
export function queryName(type: RecordType, target: string): string {
  if (type !== 'PTR') return target;
  const family = isIP(target);
  if (family === 4) return `${target.split('.').reverse().join('.')}.in-addr.arpa`;
  if (family === 6)
    return `${expandV6(target)
      .flatMap((group) => group.split(''))
      .reverse()
      .join('.')}.ip6.arpa`;
  return target;
}

/** The eight groups of an IPv6 address, each four hex digits. Assumes `isIP(ip) === 6`. */
function expandV6(ip: string): string[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, '0'));
}

/**
 * Answers as text, the way `dig +short` prints them (without the trailing dots), so
 * `expect_answers` reads naturally: `10 mx.example.vn` for MX, `prio weight port target` for
 * SRV, `mname rname serial refresh retry expire minimum` for SOA, TXT strings joined.
 */
export function answerTexts(type: RecordType, records: unknown): string[] {
  const list: unknown[] = Array.isArray(records) ? records : [records];
  return list.map((r) => {
    switch (type) {
      case 'MX': {
        const mx = r as { priority: number; exchange: string };
        return `${mx.priority} ${mx.exchange}`;
      }
      case 'TXT':
        // One record may hold several character-strings; SPF and DKIM read them joined.
        return (r as string[]).join('');
      case 'SRV': {
        const srv = r as { priority: number; weight: number; port: number; name: string };
        return `${srv.priority} ${srv.weight} ${srv.port} ${srv.name}`;
      }
      case 'SOA': {
        const s = r as { nsname: string; hostmaster: string; serial: number; refresh: number; retry: number; expire: number; minttl: number };
        return `${s.nsname} ${s.hostmaster} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minttl}`;
      }
      default:
        return String(r);
    }
  });
}

/** Names compare without case or trailing dot, IPv6 addresses in their canonical form; TXT exactly. */
export function normalizeAnswer(type: RecordType, text: string): string {
  if (type === 'TXT') return text;
  if (type === 'AAAA') return canonicalV6(text.trim());
  return text
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((field) => (field.length > 1 ? field.replace(/\.$/, '') : field))
    .join(' ');
}

function canonicalV6(text: string): string {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text.toLowerCase();
  }
}

/**
 * Whether an expected value is among the answers. Besides the full text, an MX or SRV answer
 * matches its target name alone, and an SOA answer matches its first fields (the serial changes
 * with every zone edit, so `ns1.example.vn` alone pins the primary server).
 */
export function hasAnswer(type: RecordType, answers: readonly string[], expected: string): boolean {
  const want = normalizeAnswer(type, expected);
  return answers.some((raw) => {
    const got = normalizeAnswer(type, raw);
    if (got === want) return true;
    const fields = got.split(' ');
    if (type === 'MX' || type === 'SRV') return fields.at(-1) === want;
    if (type === 'SOA') {
      const wanted = want.split(' ');
      return wanted.every((w, i) => fields[i] === w);
    }
    return false;
  });
}
