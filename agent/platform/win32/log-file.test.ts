import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLogFile, serviceLogPath } from './log-file.js';

describe('the service log file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw log file '));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends lines, rotates before a line would pass the cap, and keeps `keep` files in all', () => {
    const path = join(dir, 'logs', 'agent.log');
    const log = openLogFile(path, { maxBytes: 20, keep: 3 });
    for (let i = 0; i < 7; i++) log.write(`line ${i} 1234567\n`); // 15 bytes each: one line per file
    log.close();
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['agent.log', 'agent.log.1', 'agent.log.2']);
    expect(readFileSync(path, 'utf8')).toBe('line 6 1234567\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('line 5 1234567\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('line 4 1234567\n');
    // Reopened, it goes on from the size on disk.
    const again = openLogFile(path, { maxBytes: 20, keep: 3 });
    again.write('x\n');
    again.close();
    expect(readFileSync(path, 'utf8')).toBe('line 6 1234567\nx\n');
  });

  it('lives under %ProgramData%\\centerwatch\\logs', () => {
    expect(serviceLogPath({ ProgramData: 'D:\\PD' })).toBe('D:\\PD\\centerwatch\\logs\\agent.log');
  });
});
