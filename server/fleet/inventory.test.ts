import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../common/config-errors.js';
import { PROVINCES } from '../../common/provinces.js';
import { openSqliteStore, type Store } from '../store/store.js';
import { importCenters, planImport } from './import.js';
import { parseInventory, referenceCenters, type InventoryParse, type ParsedCenter } from './inventory.js';
import { nationalListText } from './national-list.js';

const NATIONAL = nationalListText();

function centers(r: InventoryParse): ParsedCenter[] {
  if (!r.ok) throw new Error(`expected centers, got:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.centers;
}
function problems(r: InventoryParse): string[] {
  if (r.ok) throw new Error(`expected problems, got ${r.centers.length} centers`);
  return r.problems.map(formatProblem);
}

const HEADER = 'code,name,province,type,address,counters,lines,profile,var.his_url';

describe('the national list', () => {
  it('is 3,321 communes in 34 provinces, each with its official code, its province id, name and type', () => {
    const r = parseInventory(NATIONAL, 'vn-divisions-2025.csv');
    const list = centers(r);
    expect(r.ok && r.shape).toBe('reference');
    expect(list).toHaveLength(3321);
    expect(new Set(list.map((c) => c.code)).size).toBe(3321);
    expect(new Set(list.map((c) => c.province))).toEqual(new Set(PROVINCES.map(([id]) => id)));
    const types = new Map<string, number>();
    for (const c of list) types.set(c.type, (types.get(c.type) ?? 0) + 1);
    expect(Object.fromEntries(types)).toEqual({ phường: 687, xã: 2621, 'đặc khu': 13 });
    expect(list.every((c) => /^[0-9]{1,6}$/.test(c.code) && c.name === c.name.normalize('NFC') && c.name.length > 0)).toBe(true);
    expect(list[0]).toEqual({
      code: '4',
      province: 'ha-noi',
      name: 'Phường Ba Đình',
      type: 'phường',
      address: '',
      counters: 0,
      lines: [],
      devices: [],
      vars: {},
    });
  });

  it('one province by its official code or id: Quảng Ngãi (51) has 96 communes, the first Phường Cẩm Thành', () => {
    const qng = centers(referenceCenters(NATIONAL, '51'));
    expect(qng).toHaveLength(96);
    expect(qng.every((c) => c.province === 'quang-ngai')).toBe(true);
    expect(qng[0]).toMatchObject({ code: '21025', name: 'Phường Cẩm Thành', type: 'phường' });
    expect(centers(referenceCenters(NATIONAL, 'quang-ngai'))).toEqual(qng);
    expect(centers(referenceCenters(NATIONAL, '051'))).toEqual(qng);
    expect(centers(referenceCenters(NATIONAL))).toHaveLength(3321);
    // Every province of common/provinces.ts has its communes in the list under its code (Lai Châu the fewest, 38).
    const all = centers(referenceCenters(NATIONAL));
    for (const [id] of PROVINCES) expect(all.filter((c) => c.province === id).length, id).toBeGreaterThanOrEqual(38);
  });

  it('an unknown province code is refused, listing the valid ones', () => {
    expect(problems(referenceCenters(NATIONAL, '99'))).toEqual([
      expect.stringMatching(
        /^vn-divisions-2025\.csv:0:0: province: unknown province "99": use an official code or id, one of 1 \(ha-noi\), 4 \(cao-bang\), 8 \(tuyen-quang\), .*, 96 \(ca-mau\)$/,
      ),
    ]);
  });

  it('an inventory CSV is not the national list', () => {
    expect(problems(referenceCenters(`${HEADER}\n21025,Phường Cẩm Thành,51,phường,,,,,\n`))).toEqual([
      'vn-divisions-2025.csv:1:1: not the national list: its header is province_code,province_name,province_type,ward_code,ward_name,ward_type',
    ]);
  });

  it('a bad row of a list in its shape names its line and column', () => {
    const text =
      'province_code,province_name,province_type,ward_code,ward_name,ward_type\n51,Tỉnh Quảng Ngãi,tỉnh,21025,Phường Cẩm Thành,phường\n99,X,tỉnh,abc!,,thôn\n';
    expect(problems(parseInventory(text, 'list.csv'))).toEqual([
      'list.csv:3:1: province_code: unknown province "99": use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
      'list.csv:3:11: ward_code: must be an official unit code (1 to 6 digits, as in the national list) or an identifier (lower-case letters, digits, ".", "_" or "-", at most 63)',
      'list.csv:3:16: ward_name: required',
      'list.csv:3:17: ward_type: must be one of "phường", "xã", "đặc khu", got "thôn"',
    ]);
  });
});

describe('the inventory CSV', () => {
  it('reads every column: lines with source and gateway, variables, profile; quotes, a BOM, CRLF and NFD text', () => {
    const nfd = 'Phường Cẩm Thành'.normalize('NFD');
    const text =
      `\uFEFF${HEADER}\r\n` +
      `21025,"${nfd}",51,Phường,"12 Hùng Vương,\r\nCẩm Thành",4,"tslcd=leased/VNPT@10.51.3.2>10.51.3.1; inet1=fiber/FPT Telecom@192.168.1.10>192.168.1.1;4g=4G/Viettel",ward,https://his.example/\r\n` +
      `021034,Xã An Phú,quang-ngai,xã,,,,,\r\n`;
    expect(centers(parseInventory(text, 'centers.csv'))).toEqual([
      {
        code: '21025',
        name: 'Phường Cẩm Thành',
        province: 'quang-ngai',
        type: 'phường',
        address: '12 Hùng Vương,\r\nCẩm Thành',
        counters: 4,
        lines: [
          { name: 'tslcd', kind: 'leased', isp: 'VNPT', source: '10.51.3.2', gateway: '10.51.3.1' },
          { name: 'inet1', kind: 'fiber', isp: 'FPT Telecom', source: '192.168.1.10', gateway: '192.168.1.1' },
          { name: '4g', kind: '4g', isp: 'Viettel' },
        ],
        devices: [],
        vars: { his_url: 'https://his.example/' },
        profile: 'ward',
      },
      // Zero-padded codes name the list's commune; empty cells take the defaults.
      { code: '21034', name: 'Xã An Phú', province: 'quang-ngai', type: 'xã', address: '', counters: 0, lines: [], devices: [], vars: {} },
    ]);
    expect(centers(parseInventory(text, 'centers.csv'))[0]!.name).toBe('Phường Cẩm Thành'.normalize('NFC'));
  });

  it('reads the semicolon-separated CSV Excel writes under Vietnamese settings; columns in any order, optional ones left out', () => {
    const text = 'Type;Code;Province;Name;Lines\nxã;21034;51;Xã An Phú;"inet1=fiber/VNPT;4g=4g/Viettel"\n';
    expect(centers(parseInventory(text, 'excel.csv'))).toEqual([
      {
        code: '21034',
        name: 'Xã An Phú',
        province: 'quang-ngai',
        type: 'xã',
        address: '',
        counters: 0,
        lines: [
          { name: 'inet1', kind: 'fiber', isp: 'VNPT' },
          { name: '4g', kind: '4g', isp: 'Viettel' },
        ],
        devices: [],
        vars: {},
      },
    ]);
  });

  // One bad thing per row, each with the exact message; the file's good rows are not imported either.
  const REFUSALS: Array<[string, string]> = [
    [
      '1234567,A,51,xã,,,,,',
      'code: must be an official unit code (1 to 6 digits, as in the national list) or an identifier (lower-case letters, digits, ".", "_" or "-", at most 63)',
    ],
    [
      'Center-1,A,51,xã,,,,,',
      'code: must be an official unit code (1 to 6 digits, as in the national list) or an identifier (lower-case letters, digits, ".", "_" or "-", at most 63)',
    ],
    [',A,51,xã,,,,,', 'code: required'],
    ['c1,,51,xã,,,,,', 'name: required'],
    [
      'c1,A,quang-ngia,xã,,,,,',
      'province: unknown province "quang-ngia": did you mean "quang-ngai"? use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
    ],
    ['c1,A,99,xã,,,,,', 'province: unknown province "99": use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)'],
    ['c1,A,51,thôn,,,,,', 'type: must be one of "phường", "xã", "đặc khu", got "thôn"'],
    ['c1,A,51,,,,,,', 'type: required'],
    ['c1,A,51,xã,,201,,,', 'counters: must be from 0 to 200'],
    ['c1,A,51,xã,,-1,,,', 'counters: must be from 0 to 200'],
    ['c1,A,51,xã,,2.5,,,', 'counters: must be a whole number'],
    ['c1,A,51,xã,,many,,,', 'counters: expected number, got string "many"'],
    [
      'c1,A,51,xã,,,inet1 fiber VNPT,,',
      'lines: "inet1 fiber VNPT" is not NAME=KIND/ISP[@SOURCE][>GATEWAY][^PUBLIC[|PUBLIC…]] (e.g. fiber-vnpt=fiber/VNPT;4g-viettel=4g/Viettel)',
    ],
    ['c1,A,51,xã,,,Inet1=fiber/VNPT,,', 'lines[0].name: must be lower-case letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)'],
    ['c1,A,51,xã,,,inet1=fibre/VNPT,,', 'lines[0].kind: must be one of "fiber", "adsl", "4g", "5g", "leased", "satellite", "other", got "fibre"'],
    ['c1,A,51,xã,,,inet1=fiber/,,', 'lines[0].isp: must not be empty'],
    ['c1,A,51,xã,,,inet1=fiber/VNPT@192.168.1,,', 'lines[0].source: must be an IP address (the local address probes of this line bind to)'],
    ['c1,A,51,xã,,,inet1=fiber/VNPT>bad host,,', 'lines[0].gateway: must be an IP address or a host name'],
    ['c1,A,51,xã,,,inet1=fiber/VNPT;inet1=4g/Viettel,,', 'lines[1].name: duplicate line name "inet1" (also lines[0])'],
    ['c1,A,51,xã,,,inet1=fiber/VNPT^113.160.12,,', 'lines[0].public[0]: must be an IP address or a CIDR prefix (203.0.113.0/24, 2402:800::/32)'],
    ['c1,A,51,xã,,,inet1=fiber/VNPT^10.0.0.0/24|10.0.0.0/33,,', 'lines[0].public[1]: must be an IP address or a CIDR prefix (203.0.113.0/24, 2402:800::/32)'],
    ['c1,A,51,xã,,,4g=4g/Viettel^2402:800::/129,,', 'lines[0].public[0]: must be an IP address or a CIDR prefix (203.0.113.0/24, 2402:800::/32)'],
    ['c1,A,51,xã,,,4g=4g/Viettel^vnpt.vn,,', 'lines[0].public[0]: must be an IP address or a CIDR prefix (203.0.113.0/24, 2402:800::/32)'],
    ['c1,A,51,xã,,,,Ward Profile,', 'profile: must be lower-case letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)'],
    [`c1,A,51,xã,,,,,${'x'.repeat(2001)}`, 'var.his_url: at most 2000 characters'],
    ['c1,A,51,xã,,,,', '8 fields where the header has 9'],
  ];

  it.each(REFUSALS)('refuses %s with its line and field', (row, message) => {
    const text = `${HEADER}\nc0,Good,51,xã,,,,,\n${row}\n`;
    const [first] = problems(parseInventory(text, 'centers.csv'));
    expect(first).toMatch(/^centers\.csv:3:\d+: /);
    expect(first!.replace(/^centers\.csv:3:\d+: /, '')).toBe(message);
  });

  it('reports every problem of the file, each at its cell, and imports nothing', () => {
    const text = `${HEADER}\n21025,Phường Cẩm Thành,51,phường,,3,inet1=fiber/VNPT,,\n21034,Xã An Phú,5l,xa,,300,inet1=fibre/VNPT,,\n021025,Again,51,xã,,,,,\n`;
    expect(problems(parseInventory(text, 'centers.csv'))).toEqual([
      'centers.csv:3:17: province: unknown province "5l": use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
      'centers.csv:3:20: type: must be one of "phường", "xã", "đặc khu", got "xa"',
      'centers.csv:3:24: counters: must be from 0 to 200',
      'centers.csv:3:28: lines[0].kind: must be one of "fiber", "adsl", "4g", "5g", "leased", "satellite", "other", got "fibre"',
      'centers.csv:4:1: code: duplicate code "21025": also on line 2',
    ]);
  });

  it('refuses a bad header: unknown and repeated columns, a missing required one, a bad variable name', () => {
    expect(problems(parseInventory('code,name,type,var.HisUrl,phone,name\nc1,A,xã,x,1,A\n', 'h.csv'))).toEqual([
      'h.csv:1:1: missing column "province" (required: code, name, province, type)',
      'h.csv:1:16: column "var.HisUrl": a variable name is lower-case letters, digits and "_", starting with a letter (at most 63)',
      'h.csv:1:27: unknown column "phone": use code, name, province, type, address, counters, lines, profile and var.NAME (or the national list\'s province_code,province_name,province_type,ward_code,ward_name,ward_type)',
      'h.csv:1:33: column "name" appears twice',
    ]);
    expect(problems(parseInventory('', 'empty.csv'))).toEqual([
      'empty.csv:1:1: no header: the first line names the columns (code,name,province,type,address,counters,lines,profile)',
    ]);
  });

  it("reads each line's public addresses and prefixes after ^, separated by |, after a source and a gateway or alone", () => {
    const text = `${HEADER}\nc1,A,51,xã,,,"inet1=fiber/VNPT@192.168.1.10>192.168.1.1^113.160.12.34; 4g=4g/Viettel^27.64.0.0/12 | 2402:800::/32;tslcd=leased/VNPT",,\n`;
    expect(centers(parseInventory(text, 'centers.csv'))[0]!.lines).toEqual([
      { name: 'inet1', kind: 'fiber', isp: 'VNPT', source: '192.168.1.10', gateway: '192.168.1.1', public: ['113.160.12.34'] },
      { name: '4g', kind: '4g', isp: 'Viettel', public: ['27.64.0.0/12', '2402:800::/32'] },
      { name: 'tslcd', kind: 'leased', isp: 'VNPT' },
    ]);
  });

  it('refuses broken quoting where it is', () => {
    expect(problems(parseInventory(`${HEADER}\nc1,"A"B,51,xã,,,,,\nc2,A "x",51,xã,,,,,\nc3,"open,51,xã,,,,,\n`, 'q.csv'))).toEqual([
      'q.csv:2:7: text after a closing quote: put the whole field in quotes and write a quote inside as ""',
      'q.csv:3:6: a " inside an unquoted field: put the whole field in quotes and write the quote as ""',
      'q.csv:4:4: a quoted field is not closed (a " is missing)',
    ]);
  });
});

describe('the inventory YAML', () => {
  const GOOD = `centers:
  - code: 21025          # a number in YAML: read as the code "21025"
    name: Phường Cẩm Thành
    province: 51
    type: phường
    address: 12 Hùng Vương
    counters: 3
    lines:
      - { name: tslcd, isp: VNPT, kind: leased, source: 10.51.3.2, gateway: 10.51.3.1 }
      - { name: inet1, isp: Viettel, kind: fiber }
    devices:
      - { name: printer-1, kind: printer, address: 192.168.1.50, counter: 1 }
      - { name: ups, kind: ups }
    vars: { his_url: "https://his.example/", his_port: 8443 }
    profile: ward
  - { code: "021034", name: Xã An Phú, province: quang-ngai, type: xã }
`;

  it('reads centers with their lines, devices and variables', () => {
    const r = parseInventory(GOOD, 'centers.yaml');
    expect(r.ok && r.shape).toBe('inventory');
    expect(centers(r)).toEqual([
      {
        code: '21025',
        name: 'Phường Cẩm Thành',
        province: 'quang-ngai',
        type: 'phường',
        address: '12 Hùng Vương',
        counters: 3,
        lines: [
          { name: 'tslcd', isp: 'VNPT', kind: 'leased', source: '10.51.3.2', gateway: '10.51.3.1' },
          { name: 'inet1', isp: 'Viettel', kind: 'fiber' },
        ],
        devices: [
          { name: 'printer-1', kind: 'printer', address: '192.168.1.50', counter: 1 },
          { name: 'ups', kind: 'ups' },
        ],
        vars: { his_url: 'https://his.example/', his_port: '8443' },
        profile: 'ward',
      },
      { code: '21034', name: 'Xã An Phú', province: 'quang-ngai', type: 'xã', address: '', counters: 0, lines: [], devices: [], vars: {} },
    ]);
    expect(centers(parseInventory(GOOD, 'centers.yml'))).toEqual(centers(r));
  });

  it('reports every problem at file:line:column: field, a repeated code naming the first line', () => {
    const text = `centers:
  - code: 21025
    name: Phường Cẩm Thành
    province: 51
    type: phường
    counters: 1
    lines:
      - { name: inet1, isp: VNPT, kind: fibre }
      - { name: inet1, isp: Viettel, kind: 4g, source: nowhere }
    devices:
      - { name: printer-2, kind: printer, counter: 2 }
    vars: { HisUrl: x }
  - code: 21025
    name: ""
    province: hanoi
    type: ward
    phone: 0255
`;
    expect(problems(parseInventory(text, 'bad.yaml'))).toEqual([
      'bad.yaml:8:41: centers[0].lines[0].kind: must be one of "fiber", "adsl", "4g", "5g", "leased", "satellite", "other", got "fibre"',
      'bad.yaml:9:56: centers[0].lines[1].source: must be an IP address (the local address probes of this line bind to)',
      'bad.yaml:12:21: centers[0].vars.HisUrl: a variable name is lower-case letters, digits and "_", starting with a letter (at most 63)',
      'bad.yaml:13:11: centers[1].code: duplicate code "21025": also on line 2',
      'bad.yaml:14:11: centers[1].name: must not be empty',
      'bad.yaml:15:15: centers[1].province: unknown province "hanoi": did you mean "ha-noi"? use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
      'bad.yaml:16:11: centers[1].type: must be one of "phường", "xã", "đặc khu", got "ward"',
      'bad.yaml:17:5: centers[1].phone: unknown key "phone"',
    ]);
  });

  it("reads a line's public addresses and refuses a bad one at its line and field", () => {
    const good = `centers:\n  - { code: c1, name: A, province: 51, type: xã, lines: [{ name: inet1, isp: VNPT, kind: fiber, public: [113.160.12.34, "2402:800::/32"] }] }\n`;
    expect(centers(parseInventory(good, 'p.yaml'))[0]!.lines).toEqual([
      { name: 'inet1', isp: 'VNPT', kind: 'fiber', public: ['113.160.12.34', '2402:800::/32'] },
    ]);
    const bad = `centers:\n  - code: c1\n    name: A\n    province: 51\n    type: xã\n    lines:\n      - { name: inet1, isp: VNPT, kind: fiber, public: [113.160.12.34, 300.1.1.0/24] }\n      - { name: 4g, isp: Viettel, kind: 4g, public: [] }\n`;
    expect(problems(parseInventory(bad, 'p.yaml'))).toEqual([
      'p.yaml:7:72: centers[0].lines[0].public[1]: must be an IP address or a CIDR prefix (203.0.113.0/24, 2402:800::/32)',
      'p.yaml:8:53: centers[0].lines[1].public: list at least one address or prefix, or leave public out',
    ]);
  });

  it('refuses a device on a counter the center does not have, and duplicate device names', () => {
    const base = '  - { code: c1, name: A, province: 51, type: xã, counters: 1, devices: [DEVICES] }\n';
    const with_ = (devices: string) => `centers:\n${base.replace('DEVICES', devices)}`;
    expect(problems(parseInventory(with_('{ name: p, kind: printer, counter: 2 }'), 'd.yaml'))).toEqual([
      "d.yaml:2:108: centers[0].devices[0].counter: counter 2 is beyond the center's 1 counters",
    ]);
    expect(problems(parseInventory(with_('{ name: p, kind: printer }, { name: p, kind: scanner }'), 'd.yaml'))).toEqual([
      'd.yaml:2:109: centers[0].devices[1].name: duplicate device name "p" (also devices[0])',
    ]);
  });

  it('refuses YAML syntax errors, an empty file and a missing list', () => {
    expect(problems(parseInventory('centers: [\n', 'broken.yaml'))[0]).toMatch(/^broken\.yaml:2:1: YAML: /);
    expect(problems(parseInventory('', 'empty.yaml'))).toEqual(['empty.yaml:1:1: centers: required']);
    expect(problems(parseInventory('centers: {}\n', 'map.yaml'))).toEqual(['map.yaml:1:10: centers: expected array, got a mapping']);
  });

  it('an unknown extension is refused', () => {
    expect(problems(parseInventory('x', 'centers.xlsx'))).toEqual(['centers.xlsx:0:0: unknown format ".xlsx": an inventory is .csv, .yaml or .yml']);
  });
});

describe('importing into a real store', () => {
  let store: Store;
  beforeEach(() => {
    store = openSqliteStore(':memory:');
  });
  afterEach(() => store.close());

  const plan = (text: string, file: string, province?: string) => {
    const p = planImport(text, file, province);
    if (!p.ok) throw new Error(p.problems.map(formatProblem).join('\n'));
    return p;
  };

  it('is idempotent: the same import again changes nothing, a changed row updates one center, never a duplicate', () => {
    const qng = plan(NATIONAL, 'vn-divisions-2025.csv', '51');
    expect(qng).toMatchObject({ shape: 'reference', province: 'quang-ngai', skipped: 3321 - 96 });
    expect(importCenters(store.fleet, qng, 1000)).toEqual({ created: 96, updated: 0, unchanged: 0 });
    expect(importCenters(store.fleet, qng, 2000)).toEqual({ created: 0, updated: 0, unchanged: 96 });
    expect(store.fleet.centers('quang-ngai')).toHaveLength(96);

    const inventory = plan(`${HEADER}\n21025,Phường Cẩm Thành,51,phường,12 Hùng Vương,4,inet1=fiber/VNPT;4g=4g/Viettel,,\n`, 'centers.csv');
    expect(importCenters(store.fleet, inventory, 3000)).toEqual({ created: 0, updated: 1, unchanged: 0 });
    expect(importCenters(store.fleet, inventory, 4000)).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(store.fleet.centers()).toHaveLength(96);
    expect(store.fleet.center('21025')).toMatchObject({ counters: 4, updatedAtMs: 3000, lines: [{ name: 'inet1' }, { name: '4g' }] });
  });

  it('the national list again updates names and types and keeps what the inventory added', () => {
    importCenters(store.fleet, plan(`${HEADER}\n21025,Trung tâm PVHCC Cẩm Thành,51,xã,12 Hùng Vương,4,inet1=fiber/VNPT,ward,https://his/\n`, 'c.csv'), 1000);
    expect(importCenters(store.fleet, plan(NATIONAL, 'vn-divisions-2025.csv', 'quang-ngai'), 2000)).toEqual({ created: 95, updated: 1, unchanged: 0 });
    expect(store.fleet.center('21025')).toEqual({
      code: '21025',
      province: 'quang-ngai',
      name: 'Phường Cẩm Thành',
      type: 'phường',
      address: '12 Hùng Vương',
      counters: 4,
      lines: [{ name: 'inet1', kind: 'fiber', isp: 'VNPT' }],
      devices: [],
      vars: { his_url: 'https://his/' },
      profile: 'ward',
      updatedAtMs: 2000,
    });
    expect(importCenters(store.fleet, plan(NATIONAL, 'vn-divisions-2025.csv', '51'), 3000)).toEqual({ created: 0, updated: 0, unchanged: 96 });
  });

  it('a dry run counts and stores nothing; an unknown province is refused', () => {
    expect(importCenters(store.fleet, plan(NATIONAL, 'vn-divisions-2025.csv', '51'), 1000, true)).toEqual({ created: 96, updated: 0, unchanged: 0 });
    expect(store.fleet.centers()).toEqual([]);
    expect(planImport(NATIONAL, 'vn-divisions-2025.csv', '52x')).toMatchObject({
      ok: false,
      problems: [{ path: 'province', message: expect.stringMatching(/^unknown province "52x"/) }],
    });
  });
});
