import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadAgentConfig } from '../agent/config/load.js';
import { ConfigError } from '../common/config-errors.js';

const dir = 'test/fixtures/config';

/** Each invalid file and the exact lines `--check-config` must print for it. */
const INVALID: Array<[file: string, expected: string[]]> = [
  ['invalid-unknown-key.yaml', ['7:5: checks[0].intervall: unknown key "intervall"']],
  ['invalid-unknown-option.yaml', ['9:7: checks[0].options.colour: unknown key "colour"']],
  ['invalid-wrong-type.yaml', ['8:12: checks[0].options.tls: expected boolean, got string "yes"']],
  ['invalid-unknown-line.yaml', ['9:11: checks[0].line: unknown line "inet1" (lines: tslcd)']],
  ['invalid-duplicate-id.yaml', ['7:9: checks[1].id: duplicate check id "web" (first at checks[0])']],
  ['invalid-bad-duration.yaml', ['7:15: checks[0].interval: invalid duration "5 minutes" (use e.g. 500ms, 30s, 5m, 1h)']],
  ['invalid-missing-secret-file.yaml', ['8:26: checks[0].options.bearer_token_file: cannot read secret file "./no-such-token.txt" (ENOENT)']],
  ['invalid-env-missing.yaml', ['8:21: checks[0].options.bearer_token: environment variable CENTERWATCH_TEST_UNSET_TOKEN is not set']],
  ['invalid-env-in-label.yaml', ['8:14: checks[0].labels.owner: environment references (${...}) are allowed only under options and push.targets']],
  [
    'invalid-unknown-kind.yaml',
    [
      '5:11: checks[0].kind: unknown kind "smtp" (one of: icmp, tcp, http, dns, host, postgres, mysql, redis, mssql, oracle, mongodb, usb, scanner, printer, ups, ntp, router)',
    ],
  ],
  ['invalid-timeout-exceeds-interval.yaml', ['8:14: checks[0].timeout: timeout 10s exceeds the interval 5s']],
  ['invalid-threshold-metric.yaml', ['8:19: checks[0].thresholds[0].metric: "loss_ratio" is not a threshold metric of kind tcp (one of: cert_days_left)']],
  ['invalid-url-credentials.yaml', ['6:13: checks[0].target: credentials in the URL are not allowed (they would reach logs); use options.basic_auth']],
  ['invalid-ntp-target.yaml', ['6:13: checks[0].target: "udp://pool.ntp.org" is not host or host:port']],
  ['invalid-ups-target.yaml', ['7:13: checks[0].target: "apc@127.0.0.1" is not host or host:port (the UPS name goes in options.ups)']],
  [
    'invalid-printer-target.yaml',
    [
      '6:13: checks[0].target: "192.168.1.50" is not an ipp://, ipps:// or http(s):// URL (for SNMP set options.protocol: snmp)',
      '9:13: checks[1].target: "printer 2:161" is not host or host:port',
      '13:13: checks[2].target: "hp laserjet" is not a CUPS queue name or queue@host[:port]',
    ],
  ],
  [
    'invalid-scanner-target.yaml',
    [
      '6:13: checks[0].target: "escl://192.168.1.60/eSCL" is neither sane:<device>, wia:<device> nor an http(s):// eSCL URL',
      '9:13: checks[1].target: "sane:" names no device',
    ],
  ],
  ['invalid-reserved-label.yaml', ['8:15: checks[0].labels.center: label "center" is reserved']],
  ['invalid-missing-center.yaml', ['1:1: center: required']],
  [
    'invalid-province.yaml',
    [
      '1:49: center.province: unknown province "quang-ngia": did you mean "quang-ngai"? use one of the 34 province ids (ha-noi, quang-ngai, …) or its official code (1, 51, …)',
    ],
  ],
  ['invalid-yaml-syntax.yaml', ['5:11: YAML: Nested mappings are not allowed in compact mappings', '5:11: YAML: Implicit keys need to be on a single line']],
  [
    'invalid-push-bad-url.yaml',
    [
      '6:12: push.targets[0].url: URL scheme must be http or https, not ftp',
      '8:12: push.targets[1].url: credentials in the URL are not allowed (they would reach logs); use bearer_token_file',
    ],
  ],
  ['invalid-push-both-tokens.yaml', ['8:7: push.targets[0].bearer_token_file: set either bearer_token or bearer_token_file, not both']],
  ['invalid-push-duplicate-target.yaml', ['7:13: push.targets[1].name: duplicate target name "province" (first at targets[0])']],
  [
    'invalid-many-problems.yaml',
    [
      '6:9: checks[0].id: must be lower-case letters, digits, ".", "_" or "-" (at most 63, starting with a letter or digit)',
      '8:13: checks[0].target: "127.0.0.1" is not host:port',
      '9:11: checks[0].line: unknown line "inet9" (lines: tslcd)',
      '13:15: checks[1].interval: invalid duration "soon" (use e.g. 500ms, 30s, 5m, 1h)',
    ],
  ],
];

function problemsOf(file: string): string[] {
  try {
    loadAgentConfig(join(dir, file), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('config validation', () => {
  it.each(INVALID)('%s is refused with the exact problems', (file, expected) => {
    expect(problemsOf(file)).toEqual(expected.map((e) => `${join(dir, file)}:${e}`));
  });

  it('accepts a minimal config and fills defaults from the schema', () => {
    const cfg = loadAgentConfig(join(dir, 'valid-minimal.yaml'), {});
    expect(cfg.agent.listen).toBe('127.0.0.1:9478');
    expect(cfg.agent.concurrency).toBe(16);
    expect(cfg.checks[0]).toMatchObject({ id: 'web', kind: 'tcp', interval: 30_000, timeout: 10_000, impact: 'degrading', options: { tls: false } });
  });

  it('accepts the shipped default (the real-center template: test/config-template.test.ts)', () => {
    expect(loadAgentConfig('config/default.yaml', {}).checks.length).toBeGreaterThan(3);
  });

  it('the shipped default probes only loopback', () => {
    const cfg = loadAgentConfig('config/default.yaml', {});
    for (const c of cfg.checks) {
      if (c.kind === 'host') continue;
      const host = c.kind === 'http' ? new URL(c.target).hostname : c.target.replace(/:\d+$/, '');
      expect(host, c.id).toMatch(/^(127\.\d+\.\d+\.\d+|\[?::1\]?|localhost)$/);
    }
  });
});
