import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../agent/config/load.js';
import { ConfigError } from '../common/config-errors.js';
import { redactText } from '../common/log.js';

let dir: string;
const SECRET = 'S3cr3t-from-file';
const header = 'center: { id: c1, name: "C", province: quang-ngai }\nagent: { id: a1 }\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cw-secrets-'));
  writeFileSync(join(dir, 'password.txt'), `${SECRET}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, checks: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${header}checks:\n${checks}`);
  return file;
}

function problems(file: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadAgentConfig(file, env);
    return '';
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

describe('secrets in config', () => {
  it('reads <name>_file relative to the config file, without the trailing newline', () => {
    const file = write(
      'a.yaml',
      '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      basic_auth: { username: u, password_file: password.txt }\n',
    );
    const cfg = loadAgentConfig(file, {});
    expect(cfg.checks[0]!.options).toMatchObject({ basic_auth: { username: 'u', password: SECRET } });
  });

  it('substitutes ${ENV} under options', () => {
    const file = write('b.yaml', '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      bearer_token: "${PORTAL_TOKEN}"\n');
    expect(loadAgentConfig(file, { PORTAL_TOKEN: 'tok-123' }).checks[0]!.options).toMatchObject({ bearer_token: 'tok-123' });
  });

  it('refuses a secret given both ways', () => {
    const file = write(
      'c.yaml',
      '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      bearer_token: x\n      bearer_token_file: password.txt\n',
    );
    expect(problems(file)).toContain('checks[0].options.bearer_token_file: set either bearer_token or bearer_token_file, not both');
  });

  it('never echoes a secret value in a validation message', () => {
    const file = write(
      'd.yaml',
      '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      basic_auth: { username: u, password: 12345678 }\n',
    );
    const msg = problems(file);
    expect(msg).toContain('checks[0].options.basic_auth.password: expected string, got a value not shown (secret)');
    expect(msg).not.toContain('12345678');
  });
});

describe('secrets in the push section', () => {
  const push = (target: string): string => `${header}push:\n  targets:\n    - name: province\n      url: http://127.0.0.1:9090/api/v1/write\n${target}`;
  const save = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads push.targets[*].bearer_token_file relative to the config file', () => {
    const cfg = loadAgentConfig(save('p1.yaml', push('      bearer_token_file: password.txt\n')), {});
    expect(cfg.push!.targets[0]).toMatchObject({ name: 'province', bearer_token: SECRET });
    expect(cfg.push!.targets[0]).not.toHaveProperty('bearer_token_file');
  });

  it('substitutes ${ENV} in push.targets[*]', () => {
    const cfg = loadAgentConfig(save('p2.yaml', push('      bearer_token: "${PUSH_TOKEN}"\n')), { PUSH_TOKEN: 'push-tok' });
    expect(cfg.push!.targets[0]!.bearer_token).toBe('push-tok');
  });

  it('refuses ${ENV} elsewhere in push (paths and intervals reach logs)', () => {
    const msg = problems(save('p3.yaml', push('').replace('push:\n', 'push:\n  wal: { dir: "${WAL_DIR}" }\n')), { WAL_DIR: '/tmp' });
    expect(msg.split('\n')).toHaveLength(1);
    expect(msg).toContain('push.wal.dir: environment references (${...}) are allowed only under options and push.targets');
  });

  it('never echoes a push token in a validation message', () => {
    const msg = problems(save('p4.yaml', push('      bearer_token: 987654321\n')));
    expect(msg).toContain('push.targets[0].bearer_token: expected string, got a value not shown (secret)');
    expect(msg).not.toContain('987654321');
  });
});

describe('a secret written in the file itself', () => {
  const literal = '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      basic_auth: { username: u, password: hunter2-literal }\n';

  function warningsOf(file: string, env: NodeJS.ProcessEnv = {}): string[] {
    const out: string[] = [];
    loadAgentConfig(file, env, (w) => out.push(`${w.line}:${w.column}: ${w.path}: ${w.message}`));
    return out;
  }

  it('is accepted with a warning naming its line and field, never its value', () => {
    const file = write('lit.yaml', literal);
    const warnings = warningsOf(file);
    expect(warnings).toEqual([
      '8:34: checks[0].options.basic_auth.password: a secret written in the file: give it as password_file (a file readable by this service only) or ${ENV}',
    ]);
    expect(warnings.join()).not.toContain('hunter2');
  });

  it('is refused where the config says literal_secrets: refuse', () => {
    const file = join(dir, 'lit-refuse.yaml');
    writeFileSync(file, `${header}literal_secrets: refuse\nchecks:\n${literal}`);
    const msg = problems(file);
    expect(msg).toContain('checks[0].options.basic_auth.password: a secret written in the file: give it as password_file');
    expect(msg).toContain('(literal_secrets: refuse)');
    expect(msg).not.toContain('hunter2');
  });

  it("is no warning in a file the agent wrote from the province's profile (central:), and stays out of logs", () => {
    const file = join(dir, 'central.yaml');
    writeFileSync(file, `${header}central: { server: "https://127.0.0.1:9480", token_file: agent.token }\nchecks:\n${literal}`);
    expect(warningsOf(file)).toEqual([]);
    expect(redactText('login failed for hunter2-literal')).not.toContain('hunter2-literal');
  });

  it('a secret from a file or from the environment is no warning', () => {
    expect(
      warningsOf(
        write(
          'f.yaml',
          '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      basic_auth: { username: u, password_file: password.txt }\n',
        ),
      ),
    ).toEqual([]);
    expect(
      warningsOf(write('e.yaml', '  - id: p\n    kind: http\n    target: http://127.0.0.1/\n    options:\n      bearer_token: "${PORTAL_TOKEN}"\n'), {
        PORTAL_TOKEN: 't',
      }),
    ).toEqual([]);
  });
});
