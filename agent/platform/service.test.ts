import { describe, expect, it } from 'vitest';
import { serviceMain } from './service.js';

describe('centerwatch-agent service on Linux', () => {
  it('says that systemd runs the agent there and exits non-zero, for every action', async () => {
    for (const action of ['install', 'uninstall', 'start', 'stop', 'status', 'run'] as const) {
      let out = '';
      let err = '';
      const code = await serviceMain(
        action,
        'config/default.yaml',
        () => expect.unreachable('no agent is started'),
        { out: (t) => (out += t), err: (t) => (err += t) },
        'linux',
      );
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toContain('On Linux the agent runs under systemd');
      expect(err).toContain('deploy/systemd/centerwatch-agent.service');
    }
  });
});
