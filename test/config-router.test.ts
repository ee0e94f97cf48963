/**
 * The router kind's config as `--check-config` reads it: an interface's line must be one of `lines`
 * (like a check's own line), its names unique, at least one interface, v3 with its user and passwords.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../agent/config/load.js';
import { ConfigError } from '../common/config-errors.js';

const dir = 'test/fixtures/config';

function problemsOf(file: string): string[] {
  try {
    loadAgentConfig(join(dir, file), {});
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').map((l) => l.slice(join(dir, file).length + 1));
    throw err;
  }
  return [];
}

describe('router checks in the config', () => {
  it('names every problem with its line and field', () => {
    expect(problemsOf('invalid-router.yaml')).toEqual([
      '9:13: checks[0].target: "router 1" is not host or host:port',
      '13:37: checks[0].options.interfaces[1].line: unknown line "inet2" (lines: tslcd, inet1)',
      '14:19: checks[0].options.interfaces[2].name: duplicate interface "WAN1" (first at interfaces[0])',
      '18:14: checks[1].options.user: is required for SNMP version 3',
      '18:14: checks[1].options.auth_password: is required for security_level authPriv',
      '18:14: checks[1].options.priv_password: is required for security_level authPriv',
      '18:42: checks[1].options.interfaces: must list at least one interface',
      '19:5: checks[2].options.interfaces: required',
    ]);
  });

  it('accepts interfaces bound to lines, secrets from the environment and SNMPv3', () => {
    const env = { CW_TEST_SNMP_COMMUNITY: 'c0mmunity', CW_TEST_SNMP_AUTH: 'auth-secret-1', CW_TEST_SNMP_PRIV: 'priv-secret-1' };
    const cfg = loadAgentConfig(join(dir, 'valid-router.yaml'), env);
    expect(cfg.checks[0]).toMatchObject({
      kind: 'router',
      impact: 'blocking',
      options: {
        version: '2c',
        community: 'c0mmunity',
        port: 161,
        interfaces: [
          { name: 'WAN1', line: 'inet1' },
          { name: 'WAN2', line: 'tslcd' },
        ],
      },
    });
    expect(cfg.checks[1]).toMatchObject({ options: { version: '3', user: 'centerwatch', auth_password: 'auth-secret-1', security_level: 'authPriv' } });
  });
});
