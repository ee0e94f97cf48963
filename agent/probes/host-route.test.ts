import { describe, expect, it } from 'vitest';
import { describeRoute, hexToIPv4, parseDefaultRoute, routeKey } from './host-route.js';

// Tables as Linux 6.x prints /proc/net/route (tab-separated, lines padded with spaces to 127 chars),
// captured from network namespaces set up with `ip route`.
const HEAD = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       ';
const row = (...f: string[]): string => `${f.join('\t')}                                                                              `;
const table = (...rows: string[]): string => [HEAD, ...rows, ''].join('\n');

const ONE = table(
  row('eth0', '00000000', '010200C0', '0003', '0', '0', '0', '00000000', '0', '0', '0'),
  row('eth0', '000200C0', '00000000', '0001', '0', '0', '0', '00FFFFFF', '0', '0', '0'),
);
const TWO_LINES = table(
  row('cw1', '00000000', '0100C90A', '0003', '0', '0', '200', '00000000', '0', '0', '0'),
  row('cw0', '00000000', '0100C80A', '0003', '0', '0', '100', '00000000', '0', '0', '0'),
  row('cw0', '0000C80A', '00000000', '0001', '0', '0', '0', '00FFFFFF', '0', '0', '0'),
  row('cw1', '0000C90A', '00000000', '0001', '0', '0', '0', '00FFFFFF', '0', '0', '0'),
);
const NO_DEFAULT = table(row('eth0', '000200C0', '00000000', '0001', '0', '0', '0', '00FFFFFF', '0', '0', '0'));

describe('parseDefaultRoute', () => {
  it('reads the gateway and interface of the default route', () => {
    expect(parseDefaultRoute(ONE)).toEqual({ interface: 'eth0', gateway: '192.0.2.1', metric: 0 });
  });

  it('picks the lowest metric of two default routes, whatever their order', () => {
    expect(parseDefaultRoute(TWO_LINES)).toEqual({ interface: 'cw0', gateway: '10.200.0.1', metric: 100 });
  });

  it('keeps the first listed of two default routes with the same metric', () => {
    const tie = table(
      row('cw1', '00000000', '0100C90A', '0003', '0', '0', '100', '00000000', '0', '0', '0'),
      row('cw0', '00000000', '0100C80A', '0003', '0', '0', '100', '00000000', '0', '0', '0'),
    );
    expect(parseDefaultRoute(tie)).toEqual({ interface: 'cw1', gateway: '10.201.0.1', metric: 100 });
  });

  it('returns undefined without a default route, and for an empty or header-only table', () => {
    expect(parseDefaultRoute(NO_DEFAULT)).toBeUndefined();
    expect(parseDefaultRoute(table())).toBeUndefined();
    expect(parseDefaultRoute('')).toBeUndefined();
  });

  it('gives an empty gateway for a point-to-point default (`default dev ppp0`)', () => {
    const ppp = table(row('ppp0', '00000000', '00000000', '0001', '0', '0', '0', '00000000', '0', '0', '0'));
    expect(parseDefaultRoute(ppp)).toEqual({ interface: 'ppp0', gateway: '', metric: 0 });
  });

  it('has no usable default route when an unreachable, prohibit or blackhole default wins', () => {
    const unreachable = row('*', '00000000', '00000000', '0201', '0', '0', '50', '00000000', '0', '0', '0');
    const blackhole = row('*', '00000000', '00000000', '0001', '0', '0', '50', '00000000', '0', '0', '0');
    const via = row('cw0', '00000000', '0100C80A', '0003', '0', '0', '100', '00000000', '0', '0', '0');
    expect(parseDefaultRoute(table(unreachable, via))).toBeUndefined();
    expect(parseDefaultRoute(table(blackhole, via))).toBeUndefined();
    // A reject route behind a better one changes nothing.
    expect(parseDefaultRoute(table(via, row('*', '00000000', '00000000', '0201', '0', '0', '300', '00000000', '0', '0', '0')))).toEqual({
      interface: 'cw0',
      gateway: '10.200.0.1',
      metric: 100,
    });
  });

  it('ignores routes that are not up and lines that are not routes', () => {
    const down = row('cw0', '00000000', '0100C80A', '0002', '0', '0', '0', '00000000', '0', '0', '0');
    expect(parseDefaultRoute(table(down, 'garbage', '\t'))).toBeUndefined();
  });

  it('reads addresses in the host byte order', () => {
    const be = table(row('eth0', '00000000', 'C0000201', '0003', '0', '0', '0', '00000000', '0', '0', '0'));
    expect(parseDefaultRoute(be, 'BE')).toEqual({ interface: 'eth0', gateway: '192.0.2.1', metric: 0 });
  });
});

describe('hexToIPv4', () => {
  it.each([
    ['0100C80A', 'LE', '10.200.0.1'],
    ['FFFFFFFF', 'LE', '255.255.255.255'],
    ['0A00C801', 'BE', '10.0.200.1'],
    ['0100C8', 'LE', undefined],
    ['zz00C80A', 'LE', undefined],
  ] as const)('%s (%s) → %s', (hex, endianness, ip) => {
    expect(hexToIPv4(hex, endianness)).toBe(ip);
  });
});

describe('routeKey and describeRoute', () => {
  it('tell routes apart by interface and gateway, not by metric', () => {
    expect(routeKey({ interface: 'cw0', gateway: '10.200.0.1', metric: 100 })).toBe(routeKey({ interface: 'cw0', gateway: '10.200.0.1', metric: 5 }));
    expect(routeKey({ interface: 'cw0', gateway: '10.200.0.1', metric: 100 })).not.toBe(routeKey({ interface: 'cw1', gateway: '10.200.0.1', metric: 100 }));
    expect(routeKey(undefined)).toBe('none');
  });

  it('describe a route for messages', () => {
    expect(describeRoute({ interface: 'cw0', gateway: '10.200.0.1', metric: 100 })).toBe('cw0 via 10.200.0.1');
    expect(describeRoute({ interface: 'ppp0', gateway: '', metric: 0 })).toBe('ppp0 (no gateway)');
    expect(describeRoute(undefined)).toBe('no default route');
  });
});
