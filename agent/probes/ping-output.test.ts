import { describe, expect, it } from 'vitest';
import { classifyPingStderr, jitter, parsePingLine, pingArgs, pingExitProblem, PingTally, spawnFailureReason } from './ping-output.js';

// RTTs are written as the parser computes them (ms / 1000) so float rounding matches.
// Lines as iputils ping 20221126 prints them with -n -D -O (LC_ALL=C).
describe('parsePingLine', () => {
  it.each([
    ['[1795732651.710588] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.583 ms', { type: 'reply', seq: 1, rttSeconds: 0.583 / 1000, duplicate: false }],
    ['64 bytes from ::1: icmp_seq=7 ttl=64 time=0.209 ms', { type: 'reply', seq: 7, rttSeconds: 0.209 / 1000, duplicate: false }],
    ['[1.5] 64 bytes from 198.18.0.2: icmp_seq=65535 ttl=63 time=1234 ms', { type: 'reply', seq: 65535, rttSeconds: 1234 / 1000, duplicate: false }],
    ['[1.5] 64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.044 ms (DUP!)', { type: 'reply', seq: 3, rttSeconds: 0.044 / 1000, duplicate: true }],
    ['108 bytes from fe80::1%eth0: icmp_seq=2 ttl=64 time=12.5 ms', { type: 'reply', seq: 2, rttSeconds: 12.5 / 1000, duplicate: false }],
    ['[1795732652.322284] no answer yet for icmp_seq=1', { type: 'no_answer', seq: 1 }],
    [
      '[1795732652.121616] From 21.4.3.83 icmp_seq=1 Destination Port Unreachable',
      { type: 'icmp_error', seq: 1, from: '21.4.3.83', text: 'Destination Port Unreachable' },
    ],
    ['From 198.18.0.1 icmp_seq=4 Destination Host Unreachable', { type: 'icmp_error', seq: 4, from: '198.18.0.1', text: 'Destination Host Unreachable' }],
    ['From 2001:db8::1 icmp_seq=5 Time exceeded: Hop limit', { type: 'icmp_error', seq: 5, from: '2001:db8::1', text: 'Time exceeded: Hop limit' }],
    ['3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 405ms', { type: 'transmitted', count: 3 }],
    ['1000 packets transmitted, 798 received, 20.2% packet loss, time 3648ms', { type: 'transmitted', count: 1000 }],
  ])('%s', (line, event) => {
    expect(parsePingLine(line)).toEqual(event);
  });

  it.each([
    'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.',
    'PING 198.18.0.2 (198.18.0.2) from 198.18.0.1 cw1h0: 56(84) bytes of data.',
    '',
    '--- 127.0.0.1 ping statistics ---',
    'rtt min/avg/max/mdev = 0.044/0.223/0.583/0.254 ms',
  ])('ignores %j', (line) => {
    expect(parsePingLine(line)).toBeUndefined();
  });
});

describe('classifyPingStderr', () => {
  it.each([
    ['ping: socktype: SOCK_RAW\nping: socket: Operation not permitted\nping: => missing cap_net_raw+p capability or setuid?', 'not_permitted'],
    ['ping: sendmsg: Operation not permitted', 'not_permitted'],
    ['ping: nosuchhost.invalid: Name or service not known', 'dns'],
    ['ping: example.org: Temporary failure in name resolution', 'dns'],
    ['ping: SO_BINDTODEVICE nosuchdev: No such device', 'unreachable'],
    ['ping: bind: Cannot assign requested address', 'unreachable'],
    ['ping: connect: Network is unreachable', 'unreachable'],
    ["ping: invalid argument: 'x'", 'config'],
    ['ping: something new', 'protocol'],
  ] as const)('%j → %s', (text, reason) => {
    expect(classifyPingStderr(text)).toBe(reason);
  });
});

describe('spawn and exit problems', () => {
  it('tells a missing binary from a permission problem by error code', () => {
    expect(spawnFailureReason(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('missing_binary');
    expect(spawnFailureReason(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('not_permitted');
    expect(spawnFailureReason(new Error('x'))).toBe('internal_error');
  });

  it('says how to install ping when it is missing', () => {
    const p = pingExitProblem({ binary: '/nope/ping', code: -2, signal: null, stderr: '', spawnError: Object.assign(new Error(), { code: 'ENOENT' }) });
    expect(p?.reason).toBe('missing_binary');
    expect(p?.message).toMatch(/iputils-ping/);
  });

  it('classifies exit status 2 by stderr and treats 0, 1 and our kill as normal ends', () => {
    expect(pingExitProblem({ binary: 'ping', code: 2, signal: null, stderr: 'ping: bind: Cannot assign requested address\n' })).toEqual({
      reason: 'unreachable',
      message: 'ping: bind: Cannot assign requested address',
    });
    expect(pingExitProblem({ binary: 'ping', code: 1, signal: null, stderr: '' })).toBeUndefined();
    expect(pingExitProblem({ binary: 'ping', code: 0, signal: null, stderr: '' })).toBeUndefined();
    expect(pingExitProblem({ binary: 'ping', code: null, signal: 'SIGTERM', stderr: '' })).toBeUndefined();
  });
});

describe('pingArgs', () => {
  it('builds a burst bound to an interface and a source of the target family', () => {
    expect(
      pingArgs({ target: '198.18.0.2', interval: 0.2, count: 5, size: 100, ipv6: false, line: { name: 'a', interface: 'eth1', source: '198.18.0.1' } }),
    ).toEqual(['-n', '-D', '-O', '-i', '0.2', '-W', '1', '-c', '5', '-s', '100', '-I', 'eth1', '-I', '198.18.0.1', '--', '198.18.0.2']);
  });

  it('runs continuously without -c and skips a source of the other family', () => {
    expect(pingArgs({ target: '::1', interval: 0.5, ipv6: false, line: { name: 'a', source: '127.0.0.1' } })).toEqual([
      '-n',
      '-D',
      '-O',
      '-i',
      '0.5',
      '-W',
      '1',
      '--',
      '::1',
    ]);
    expect(pingArgs({ target: 'example.org', interval: 1, ipv6: true })).toContain('-6');
  });
});

describe('jitter', () => {
  it('is the mean absolute difference of consecutive RTTs', () => {
    expect(jitter([0.01, 0.03, 0.02, 0.02])).toBeCloseTo((0.02 + 0.01 + 0) / 3, 12);
    expect(jitter([0.01])).toBeUndefined();
  });
});

describe('PingTally', () => {
  const reply = (seq: number, ms: number) => ({ type: 'reply' as const, seq, rttSeconds: ms / 1000, duplicate: false });

  it('counts losses reported by -O and late replies that follow them', () => {
    const t = new PingTally();
    t.add(reply(1, 10), 0);
    t.add({ type: 'no_answer', seq: 2 }, 1000);
    t.add({ type: 'no_answer', seq: 3 }, 2000);
    t.add(reply(3, 1500), 2100); // late, after its "no answer yet"
    t.add(reply(4, 30), 3000);
    t.add(reply(4, 30), 3001); // duplicate
    expect(t.window(3000, 10_000)).toEqual({ sent: 4, received: 3, lossRatio: 0.25, rttSeconds: (0.01 + 1.5 + 0.03) / 3, jitterSeconds: (1.49 + 1.47) / 2 });
    expect(t.take()).toEqual({ rtts: [0.01, 1.5, 0.03], sent: 4, received: 3 });
    expect(t.take()).toEqual({ rtts: [], sent: 0, received: 0 });
  });

  it("fills a gap in sequence numbers as losses and counts the summary line's packets", () => {
    const t = new PingTally();
    t.add(reply(1, 1), 0);
    t.add(reply(4, 1), 100);
    t.add({ type: 'transmitted', count: 5 }, 200);
    expect(t.window(200, 1000)).toMatchObject({ sent: 5, received: 2, lossRatio: 0.6 });
  });

  it('forgets packets older than the window', () => {
    const t = new PingTally();
    t.add({ type: 'no_answer', seq: 1 }, 0);
    t.add(reply(2, 1), 5000);
    expect(t.window(5000, 1000)).toMatchObject({ sent: 1, received: 1, lossRatio: 0 });
  });

  it("leaves the line's own outage out of its window: after down_after without a reply, a reply starts it afresh", () => {
    const t = new PingTally(3000);
    let seq = 0;
    // 10 s of replies at 10 ms, then 10 s cut (every packet lost), then 4 s back at 50 ms.
    for (let at = 0; at < 10_000; at += 250) t.add(reply(++seq, 10), at);
    for (let at = 10_000; at < 20_000; at += 250) t.add({ type: 'no_answer', seq: ++seq }, at + 1000);
    for (let at = 20_000; at < 24_000; at += 250) t.add(reply(++seq, 50), at);
    const w = t.window(24_000, 30_000);
    expect(w).toMatchObject({ sent: 16, received: 16, lossRatio: 0, jitterSeconds: 0 });
    expect(w.rttSeconds).toBeCloseTo(0.05, 12);
    // The counters still count every packet.
    expect(t.take()).toMatchObject({ sent: 96, received: 56 });
  });

  it('keeps the loss of a gap shorter than down_after in the window', () => {
    const t = new PingTally(3000);
    let seq = 0;
    for (let at = 0; at < 2000; at += 250) t.add(reply(++seq, 10), at);
    for (let at = 2000; at < 4000; at += 250) t.add({ type: 'no_answer', seq: ++seq }, at + 250);
    t.add(reply(seq + 1, 10), 4500);
    expect(t.window(4500, 30_000)).toMatchObject({ sent: 17, received: 9, lossRatio: 8 / 17 });
  });

  it('unwraps 16-bit sequence numbers and restarts numbering for a new process', () => {
    const t = new PingTally();
    for (let s = 1; s <= 65535; s++) t.add(reply(s, 1), s);
    t.add(reply(0, 1), 70_000);
    t.add(reply(65535, 1), 70_001); // a duplicate of the packet before the wrap, not a new one
    t.add(reply(1, 1), 70_002);
    expect(t.take()).toMatchObject({ sent: 65537, received: 65537 });
    t.newProcess();
    t.add(reply(1, 1), 80_000);
    expect(t.take()).toMatchObject({ sent: 1, received: 1 });
  });
});
