import type { ProbeContext, Session } from '../../probes/types.js';
import { PowerShellSession, type PowerShellOptions } from './powershell.js';

/*
 * The agent's one PowerShell, shared by every check that reads the OS through it. Each check holds
 * a lease in its own session slot (ctx.session); the agent closes every session when it stops or
 * reloads, and the shell is closed with the last lease. So there is one shell per agent, started
 * by the first check that needs it, and none left behind on stop.
 */

let shared: PowerShellSession | undefined;
let leases = 0;
let options: PowerShellOptions = {};

/** A check's hold on the shared shell. */
export class PowerShellLease implements Session {
  private released = false;
  constructor(readonly shell: PowerShellSession) {}

  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (--leases > 0 || shared !== this.shell) return;
    shared = undefined;
    await this.shell.close();
  }
}

/** Takes a lease on the shared shell, creating the session (not yet the process) when none is held. */
export function leasePowerShell(): PowerShellLease {
  shared ??= new PowerShellSession(options);
  leases++;
  return new PowerShellLease(shared);
}

/** The shared shell for this check's run. */
export function sharedPowerShell(ctx: Pick<ProbeContext, 'session'>): PowerShellSession {
  return ctx.session(() => leasePowerShell()).shell;
}

/** Sets how the next shared shell is started (tests point it at a fake); the current one is kept. */
export function configureSharedPowerShell(o: PowerShellOptions): void {
  options = o;
}

/** How many leases are held (for tests of the lifecycle). */
export function sharedPowerShellLeases(): number {
  return leases;
}
