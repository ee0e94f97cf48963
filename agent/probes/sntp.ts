/*
 * SNTPv4 (RFC 4330) client packets and the offset/delay arithmetic of RFC 5905 §8. Pure: the
 * probe does the UDP exchange and passes the clock readings in.
 */

/** Seconds from the NTP era 0 epoch (1900-01-01) to the Unix epoch. */
const NTP_UNIX_DELTA = 2_208_988_800;
const TWO_32 = 4_294_967_296;
export const NTP_PACKET_BYTES = 48;

/** Writes a Unix time in milliseconds as a 64-bit NTP timestamp at `offset` (after 2036 the seconds wrap into era 1). */
export function writeTimestamp(buf: Buffer, offset: number, unixMs: number): void {
  const seconds = unixMs / 1000 + NTP_UNIX_DELTA;
  const whole = Math.floor(seconds);
  buf.writeUInt32BE(whole >>> 0, offset);
  buf.writeUInt32BE(Math.min(TWO_32 - 1, Math.round((seconds - whole) * TWO_32)), offset + 4);
}

/**
 * Reads a 64-bit NTP timestamp as Unix milliseconds. The seconds field wraps every 2^32 s: per
 * RFC 4330 §3, with the top bit set the time is in era 0 (1968–2036, from 1900-01-01), with it clear
 * in era 1 (2036–2104, from 2036-02-07 06:28:16). All bits zero means "not set" (RFC 5905 §6): 0.
 */
export function readTimestamp(buf: Buffer, offset: number): number {
  const seconds = buf.readUInt32BE(offset);
  const fraction = buf.readUInt32BE(offset + 4);
  if (seconds === 0 && fraction === 0) return 0;
  const era = seconds >= 0x8000_0000 ? 0 : 1;
  return (seconds + era * TWO_32 - NTP_UNIX_DELTA + fraction / TWO_32) * 1000;
}

/**
 * A client request: LI 0, VN 4, mode 3, and the transmit time. The server copies our transmit
 * timestamp into its originate field, which is how a reply is matched to this request.
 */
export function encodeRequest(transmitUnixMs: number): Buffer {
  const buf = Buffer.alloc(NTP_PACKET_BYTES);
  buf[0] = (0 << 6) | (4 << 3) | 3;
  writeTimestamp(buf, 40, transmitUnixMs);
  return buf;
}

/** The fields of a server reply that a client uses. Times are Unix milliseconds. */
export interface SntpReply {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  /** Kiss code (stratum 0) or, at stratum 1, the reference source: four ASCII letters. */
  refId: string;
  originate: number;
  receive: number;
  transmit: number;
  /** The raw originate field, compared byte for byte with what we sent. */
  originateRaw: Buffer;
}

export function decodeReply(buf: Buffer): SntpReply | undefined {
  if (buf.length < NTP_PACKET_BYTES) return undefined;
  const refBytes = buf.subarray(12, 16);
  return {
    leap: buf[0]! >> 6,
    version: (buf[0]! >> 3) & 7,
    mode: buf[0]! & 7,
    stratum: buf[1]!,
    // Printable ASCII only: the code ends up in a message.
    refId: String.fromCharCode(...refBytes).replace(/[^\x21-\x7e]/g, ''),
    originate: readTimestamp(buf, 24),
    receive: readTimestamp(buf, 32),
    transmit: readTimestamp(buf, 40),
    originateRaw: Buffer.from(buf.subarray(24, 32)),
  };
}

/** What a reply means for the client. */
export type SntpVerdict =
  | { kind: 'ok'; offsetSeconds: number; delaySeconds: number; stratum: number }
  | { kind: 'kiss'; code: string }
  | { kind: 'unsynchronised' }
  | { kind: 'invalid'; why: string };

/**
 * Judges a reply (RFC 4330 §5): a server reply (mode 4) to our request (originate = our
 * transmit), not a kiss-o'-death (stratum 0), synchronised (LI ≠ 3), with a transmit time.
 * Offset θ = ((T2 − T1) + (T3 − T4)) / 2 and delay δ = (T4 − T1) − (T3 − T2), where T1/T4 are our
 * send/receive times and T2/T3 the server's receive/transmit times.
 */
export function judgeReply(reply: SntpReply, sentRaw: Buffer, t1: number, t4: number): SntpVerdict {
  if (reply.mode !== 4) return { kind: 'invalid', why: `mode ${reply.mode}` };
  if (!reply.originateRaw.equals(sentRaw)) return { kind: 'invalid', why: 'reply to another request' };
  // A kiss-o'-death carries its code as four letters (and usually LI 3); an unsynchronised
  // server (chronyd before its first sync) answers stratum 0, LI 3 with a zero reference id.
  if (reply.stratum === 0 && reply.refId.length === 4) return { kind: 'kiss', code: reply.refId };
  if (reply.leap === 3 || reply.stratum === 0 || reply.stratum > 15) return { kind: 'unsynchronised' };
  if (reply.transmit <= 0) return { kind: 'invalid', why: 'no transmit time' };
  const t2 = reply.receive;
  const t3 = reply.transmit;
  const offsetSeconds = (t2 - t1 + (t3 - t4)) / 2 / 1000;
  const delaySeconds = Math.max(0, t4 - t1 - (t3 - t2)) / 1000;
  return { kind: 'ok', offsetSeconds, delaySeconds, stratum: reply.stratum };
}
