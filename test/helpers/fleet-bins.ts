/**
 * The real server bin's fleet, set up with its own commands for the agent's enrolment tests: Quảng Ngãi's
 * centers from the national list and one profile, `ward`, of tcp checks against a listener of the test.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startBin, type RunningBin } from './bins.js';
import { freePort, waitForHttp } from './prometheus.js';

/** The center the tests enrol into (Phường Sa Huỳnh). */
export const CENTER = '21478';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bin to its end (the server's fleet commands, the agent's enroll). */
export function runBin(bin: 'centerwatch-agent' | 'centerwatch-server', args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(`dist/${bin}.mjs`, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** A province server's fleet, set up with its own commands: Quảng Ngãi's centers and the profile `ward`. */
export interface Fleet {
  dir: string;
  serverYaml: string;
  serverPort: number;
  url: string;
  /** A fleet command of the server (`enroll-code …`, `agents revoke …`). */
  fleet(...args: string[]): Promise<Run>;
  /** A one-time code for CENTER. */
  newCode(...extra: string[]): Promise<string>;
  /** Stores a new revision of `ward`: tcp checks of the test's listener, pushing every second. */
  setProfile(checks: string[], extra?: string): Promise<void>;
  startServer(): Promise<RunningBin>;
}

export async function setUpFleet(dir: string, targetPort: number): Promise<Fleet> {
  const serverPort = await freePort();
  const serverYaml = join(dir, 'server.yaml');
  writeFileSync(serverYaml, `listen: 127.0.0.1:${serverPort}\ndata_dir: data\nfleet:\n  fetch_interval: 1s\n  vars: { target_port: "${targetPort}" }\n`);
  const fleet = (...args: string[]) => runBin('centerwatch-server', [...args, '--config', serverYaml]);
  const imported = await fleet('centers', 'import', '--province', '51');
  expect(imported.status, imported.stderr).toBe(0);
  let n = 0;
  const f: Fleet = {
    dir,
    serverYaml,
    serverPort,
    url: `http://127.0.0.1:${serverPort}`,
    fleet,
    async newCode(...extra) {
      const r = await fleet('enroll-code', '--center', CENTER, ...extra);
      expect(r.status, r.stderr).toBe(0);
      const c = /\b([0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2})\b/.exec(r.stdout)?.[1];
      expect(c, r.stdout).toBeDefined();
      return c!;
    },
    async setProfile(checks, extra = '') {
      const file = join(dir, `profile-${++n}.yaml`);
      writeFileSync(
        file,
        'agent:\n  listen: "127.0.0.1:0"\ndefaults: { interval: 1s, timeout: 500ms }\npush:\n  interval: 1s\n' +
          `checks:\n${checks.map((id) => `  - { id: ${id}, kind: tcp, target: "127.0.0.1:{{ vars.target_port }}" }\n`).join('')}${extra}`,
      );
      const r = await fleet('profiles', 'set', 'ward', file);
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    },
    async startServer() {
      const server = startBin('centerwatch-server', ['--config', serverYaml]);
      await waitForHttp(`http://127.0.0.1:${serverPort}/healthz`);
      return server;
    },
  };
  return f;
}

/** An agent's /metrics (its port from its 'agent started' line). */
export async function metricsOf(log: string): Promise<string> {
  const port = /"listen":"127\.0\.0\.1:(\d+)"[^}]*"msg":"agent started"/.exec(log)?.[1];
  if (!port) throw new Error('the agent has not started');
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The revision in an enrolled agent's file. */
export const revisionIn = (file: string): string | undefined => /^ {2}revision: ([0-9a-f]+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
