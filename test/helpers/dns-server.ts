import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import dnsPacket, { type Answer, type Question } from 'dns-packet';

/** How the server treats a question: answer from its records, stay silent, or answer with an error rcode. */
export type DnsBehaviour = 'answer' | 'silent' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';

export interface DnsQuery {
  question: Question;
  /** The address the query came from (shows which source address a probe bound to). */
  from: string;
}

export interface TestDnsServer {
  host: string;
  port: number;
  /** `host:port` (or `[v6]:port`), as the dns probe's `server` option takes it. */
  address: string;
  /** Every query received, in order. */
  queries: DnsQuery[];
  close(): Promise<void>;
}

const RCODE: Record<Exclude<DnsBehaviour, 'answer' | 'silent'>, number> = { NXDOMAIN: 3, SERVFAIL: 2, REFUSED: 5 };

const lower = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/**
 * A real DNS server on a loopback UDP port (kernel-chosen) that answers from `records`:
 * matching records → NOERROR with them; a known name without that type → NOERROR, no answers
 * (NODATA); an unknown name → NXDOMAIN. `behaviour` sets the default treatment and `rules`
 * overrides it per name, e.g. `{ 'slow.test': 'silent' }`.
 */
export async function startDnsServer(
  opts: {
    records?: Answer[];
    behaviour?: DnsBehaviour;
    rules?: Record<string, DnsBehaviour>;
    host?: string;
  } = {},
): Promise<TestDnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const records = opts.records ?? [];
  const rules = new Map(Object.entries(opts.rules ?? {}).map(([k, v]) => [lower(k), v]));
  const queries: DnsQuery[] = [];
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');

  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    let query;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: a real server would drop it too
    }
    const question = query.questions?.[0];
    if (!question) return;
    queries.push({ question, from: rinfo.address });
    const behaviour = rules.get(lower(question.name)) ?? opts.behaviour ?? 'answer';
    if (behaviour === 'silent') return;
    let rcode = 0;
    let answers: Answer[] = [];
    if (behaviour !== 'answer') rcode = RCODE[behaviour];
    else {
      const forName = records.filter((r) => lower(r.name) === lower(question.name));
      answers = forName.filter((r) => r.type === question.type);
      if (forName.length === 0) rcode = RCODE.NXDOMAIN;
    }
    const reply = dnsPacket.encode({
      id: query.id,
      type: 'response',
      // Echo RD as a recursive server does; the low four bits carry the rcode.
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: query.questions,
      // Answer names as asked (resolvers match them case-insensitively, but keep them exact anyway).
      answers: answers.map((a) => ({ ...a, name: question.name, ttl: 'ttl' in a && a.ttl !== undefined ? a.ttl : 60 }) as Answer),
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;
  return {
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
