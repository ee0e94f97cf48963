import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { classifyEchoLine, findAddress, windowsPingArgs, WindowsPingReader } from './ping-output.js';
import type { PingEvent, PingExit } from '../../probes/ping-output.js';

const FIXTURES = 'test/fixtures/windows/ping';
const exit = (code: number | null, signal: string | null = null): PingExit => ({ binary: 'ping.exe', code, signal, stderr: '' });

/** Feeds a fixture through a fresh reader as ping.exe's pipe would deliver it (split at LF, CR kept). */
function read(file: string, target: string, mangle = false): { events: PingEvent[]; reader: WindowsPingReader } {
  let text = readFileSync(`${FIXTURES}/${file}`, 'utf8');
  // A wrong code page: every non-ASCII character's bytes read back as replacement characters.
  if (mangle) text = Buffer.from(text, 'latin1').toString('utf8');
  const reader = new WindowsPingReader(target);
  const events = text
    .split('\n')
    .map((l) => reader.line(l))
    .filter((e) => e !== undefined);
  return { events, reader };
}

const reply = (seq: number, ms: number) => ({ type: 'reply', seq, rttSeconds: ms, duplicate: false });

describe('WindowsPingReader on fixtures', () => {
  const replies = [reply(1, 0.003), reply(2, 0.0005), reply(3, 0.012), reply(4, 0.001)];
  const failures = [
    { type: 'no_answer', seq: 1 },
    { type: 'icmp_error', seq: 2, from: '192.168.1.1' },
    reply(3, 0.025),
    { type: 'no_answer', seq: 4 },
    { type: 'icmp_error', seq: 5, from: 'this computer' },
  ];
  const table: Array<[string, object[]]> = [
    ['en-replies.txt', replies],
    ['vi-replies.txt', replies],
    ['en-failures.txt', failures],
    ['vi-failures.txt', failures],
    ['en-ipv6.txt', [reply(1, 0.002), reply(2, 0.0005), { type: 'no_answer', seq: 3 }]],
    ['wine-8.0-replies.txt', [reply(1, 0.0005), reply(2, 0.0005), reply(3, 0.0005)]],
    ['wine-8.0-timeouts.txt', [1, 2, 3].map((seq) => ({ type: 'no_answer', seq }))],
  ];
  it.each(table)('%s: one event per echo line, header and statistics not counted', (file, expected) => {
    for (const mangle of [false, true]) {
      const { events, reader } = read(file, '192.168.1.1', mangle);
      expect(events).toMatchObject(expected);
      expect(events).toHaveLength(expected.length);
      // Exit 1 after sending (every request lost) is a result, not a failure of ping.
      expect(reader.exitProblem(exit(1))).toBeUndefined();
    }
  });

  it('keeps the words of an ICMP error for the message', () => {
    const { events } = read('vi-failures.txt', '10.20.30.40');
    expect(events[1]).toEqual({ type: 'icmp_error', seq: 2, from: '192.168.1.1', text: 'Không thể truy cập máy chủ đích.' });
  });

  it.each([
    ['en-unknown-host.txt', 'tthc.example', 'dns'],
    ['vi-unknown-host.txt', 'tthc.example', 'dns'],
    ['wine-8.0-unknown-host.txt', 'nosuchhost.invalid', 'dns'],
    ['wine-8.0-bad-option.txt', '127.0.0.1', 'config'],
  ])('%s: ping refused to start: %s is %s, with its own words as the message', (file, target, reason) => {
    const { events, reader } = read(file, target);
    expect(events).toEqual([]);
    const p = reader.exitProblem(exit(1));
    expect(p?.reason).toBe(reason);
    expect(p?.message.startsWith(readFileSync(`${FIXTURES}/${file}`, 'utf8').split('\r\n')[0]!)).toBe(true);
  });

  it('a process we killed, or one that exited 0, ended normally', () => {
    const { reader } = read('en-replies.txt', '192.168.1.1');
    expect(reader.exitProblem(exit(null, 'SIGTERM'))).toBeUndefined();
    expect(reader.exitProblem(exit(0))).toBeUndefined();
  });

  it('reports a missing ping.exe as missing_binary, saying where it belongs', () => {
    const err = Object.assign(new Error('spawn'), { code: 'ENOENT' });
    const p = new WindowsPingReader('x').exitProblem({ ...exit(null), spawnError: err });
    expect(p).toEqual({ reason: 'missing_binary', message: expect.stringMatching(/part of Windows.*CENTERWATCH_PING/) as string });
  });

  it('numbers echoes in 16 bits, as the tally expects', () => {
    const r = new WindowsPingReader('10.0.0.1');
    r.line('Pinging 10.0.0.1 with 32 bytes of data:');
    let last: PingEvent | undefined;
    for (let i = 0; i < 65537; i++) last = r.line('Request timed out.');
    expect(last).toEqual({ type: 'no_answer', seq: 1 });
  });
});

describe('classifyEchoLine', () => {
  it.each([
    ['Réponse de 10.0.0.1 : octets=32 temps=1 ms TTL=64', reply(1, 0.001)],
    ['10.0.0.1 からの応答: バイト数 =32 時間 =14ms TTL=57', reply(1, 0.014)],
    ['Antwort von 10.0.0.1: Bytes=32 Zeit<1ms TTL=128', reply(1, 0.0005)],
    ['Reply from 2001:db8::1: time=17ms', reply(1, 0.017)],
    ['Reply from 10.0.0.1: TTL expired in transit.', { type: 'icmp_error', seq: 1, from: '10.0.0.1', text: 'TTL expired in transit.' }],
    ['10.0.0.1 からの応答: 宛先ホストに到達できません。', { type: 'icmp_error', seq: 1, from: '10.0.0.1' }],
    ['Destination net unreachable.', { type: 'no_answer', seq: 1 }],
  ])('%s', (line, expected) => {
    expect(classifyEchoLine(line, 1)).toMatchObject(expected);
  });

  it('finds addresses, not version numbers or times', () => {
    expect(findAddress('Reply from ::1: time<1ms')).toEqual({ address: '::1', end: 14 });
    expect(findAddress('Reply from fe80::1%12: time=2ms')?.address).toBe('fe80::1%12');
    expect(findAddress('version 1.2.3.4.5 at 12:30')).toBeUndefined();
  });
});

describe('windowsPingArgs', () => {
  it.each([
    [{ target: '10.0.0.1', interval: 1, ipv6: false }, ['-n', '4294967295', '-w', '1000', '10.0.0.1']],
    [{ target: '10.0.0.1', interval: 1, ipv6: false, count: 5, size: 100 }, ['-n', '5', '-w', '1000', '-l', '100', '10.0.0.1']],
    [{ target: 'tthc.example', interval: 1, ipv6: false }, ['-n', '4294967295', '-w', '1000', 'tthc.example']],
    [{ target: 'tthc.example', interval: 1, ipv6: true }, ['-n', '4294967295', '-w', '1000', '-6', 'tthc.example']],
    [{ target: '10.0.0.1', interval: 1, ipv6: false, source: '192.168.1.20' }, ['-n', '4294967295', '-w', '1000', '-S', '192.168.1.20', '10.0.0.1']],
    // A source of the other family would make ping fail.
    [{ target: '::1', interval: 1, ipv6: false, source: '192.168.1.20' }, ['-n', '4294967295', '-w', '1000', '::1']],
  ])('%j', (a, expected) => {
    expect(windowsPingArgs(a)).toEqual(expected);
  });
});
