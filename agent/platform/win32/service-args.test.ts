import { describe, expect, it } from 'vitest';
import { binPath, environmentArgs, folderAclArgs, installArgs, parseServiceState, quoteWindowsArg, uninstallArgs, statusArgs } from './service-args.js';

describe('quoteWindowsArg', () => {
  it.each([
    ['C:\\centerwatch\\agent.yaml', 'C:\\centerwatch\\agent.yaml'],
    ['C:\\Program Files\\Centerwatch\\agent.yaml', '"C:\\Program Files\\Centerwatch\\agent.yaml"'],
    ['C:\\ProgramData\\center watch\\', '"C:\\ProgramData\\center watch\\\\"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\\"b c', '"a\\\\\\"b c"'],
    ['', '""'],
  ])('%s → %s', (arg, quoted) => {
    expect(quoteWindowsArg(arg)).toBe(quoted);
  });
});

describe('the service command line', () => {
  it('quotes the packaged program and a config path with spaces', () => {
    expect(binPath({ program: 'C:\\Program Files\\Centerwatch\\centerwatch-agent.exe', config: 'C:\\ProgramData\\centerwatch\\agent.yaml' })).toBe(
      '"C:\\Program Files\\Centerwatch\\centerwatch-agent.exe" service run --config C:\\ProgramData\\centerwatch\\agent.yaml',
    );
    expect(binPath({ program: 'C:\\cw\\agent.exe', config: 'D:\\Trung tâm\\cấu hình\\agent.yaml' })).toBe(
      '"C:\\cw\\agent.exe" service run --config "D:\\Trung tâm\\cấu hình\\agent.yaml"',
    );
  });

  it('runs a script through node.exe', () => {
    expect(
      binPath({ program: 'C:\\Program Files\\nodejs\\node.exe', script: 'C:\\Program Files\\Centerwatch\\centerwatch-agent.mjs', config: 'C:\\cw\\a.yaml' }),
    ).toBe('"C:\\Program Files\\nodejs\\node.exe" "C:\\Program Files\\Centerwatch\\centerwatch-agent.mjs" service run --config C:\\cw\\a.yaml');
  });
});

describe('sc.exe and icacls argument lists', () => {
  it('install: created as a delayed automatic service under its virtual account, described, restarted after 5, 10, 30 s', () => {
    const [create, description, failure, flag] = installArgs({
      program: 'C:\\Program Files\\cw\\centerwatch-agent.exe',
      config: 'C:\\ProgramData\\centerwatch\\agent.yaml',
    });
    expect(create).toEqual([
      'create',
      'centerwatch-agent',
      'binPath=',
      '"C:\\Program Files\\cw\\centerwatch-agent.exe" service run --config C:\\ProgramData\\centerwatch\\agent.yaml',
      'start=',
      'delayed-auto',
      'DisplayName=',
      'Centerwatch - Giám sát trung tâm hành chính công (monitoring agent)',
      'obj=',
      'NT SERVICE\\centerwatch-agent',
    ]);
    expect(description?.slice(0, 2)).toEqual(['description', 'centerwatch-agent']);
    expect(description?.[2]).toMatch(/^Kiểm tra đường truyền.*Probes the center's lines/);
    expect(failure).toEqual(['failure', 'centerwatch-agent', 'reset=', '86400', 'actions=', 'restart/5000/restart/10000/restart/30000']);
    expect(flag).toEqual(['failureflag', 'centerwatch-agent', '1']);
  });

  it('uninstall stops, then deletes; status asks queryex', () => {
    expect(uninstallArgs()).toEqual([
      ['stop', 'centerwatch-agent'],
      ['delete', 'centerwatch-agent'],
    ]);
    expect(statusArgs()).toEqual(['queryex', 'centerwatch-agent']);
  });

  it("under Wine: no failureflag and status by query (its sc.exe knows neither failureflag nor queryex); Windows' lists unchanged", () => {
    const cmd = { program: 'Z:\\x y\\centerwatch-agent.exe', config: 'Z:\\c\\a.yaml' };
    expect(installArgs(cmd, { wine: true })).toEqual(installArgs(cmd).filter((a) => a[0] !== 'failureflag'));
    expect(installArgs(cmd, { wine: false })).toEqual(installArgs(cmd));
    expect(installArgs(cmd).map((a) => a[0])).toEqual(['create', 'description', 'failure', 'failureflag']);
    expect(statusArgs({ wine: true })).toEqual(['query', 'centerwatch-agent']);
  });

  it('the folder: inheritance removed, SYSTEM and Administrators by SID, modify for the service', () => {
    expect(folderAclArgs('C:\\ProgramData\\centerwatch')).toEqual([
      'C:\\ProgramData\\centerwatch',
      '/inheritance:r',
      '/grant:r',
      '*S-1-5-18:(OI)(CI)F',
      '*S-1-5-32-544:(OI)(CI)F',
      'NT SERVICE\\centerwatch-agent:(OI)(CI)M',
      '/Q',
    ]);
  });

  it('reads the state from sc queryex', () => {
    const out = '\r\nSERVICE_NAME: centerwatch-agent\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 4  RUNNING\r\n';
    expect(parseServiceState(out)).toBe('RUNNING');
    expect(parseServiceState('[SC] OpenService FAILED 1060')).toBeUndefined();
  });
});

describe('the service environment', () => {
  it('sets NODE_OPTIONS through the registry as one REG_MULTI_SZ (sc.exe cannot set it)', () => {
    expect(environmentArgs()).toEqual([
      'add',
      'HKLM\\SYSTEM\\CurrentControlSet\\Services\\centerwatch-agent',
      '/v',
      'Environment',
      '/t',
      'REG_MULTI_SZ',
      '/d',
      'NODE_OPTIONS=--max-semi-space-size=1',
      '/f',
    ]);
  });
});
