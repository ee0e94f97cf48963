import { isIP } from 'node:net';

/** A service name the Easy Connect syntax carries as it is (no spaces, slashes, parentheses or `?`). */
export const SERVICE_NAME = /^[A-Za-z0-9_.$#-]{1,128}$/;

/** The Easy Connect string for a host, port and service: `[tcps://]host:port/service`. */
export function easyConnect(host: string, port: number, service: string, tcps: boolean): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return `${tcps ? 'tcps://' : ''}${h}:${port}/${service}`;
}

/**
 * oracledb's connect timeouts are whole seconds: the deadline rounded up, at least 1. They are a
 * backstop; the probe itself cuts the sockets at the exact deadline.
 */
export function timeoutSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Rows and first value of a result, counting rows fetched in batches (pure bookkeeping). */
export class RowCounter {
  rowCount = 0;
  firstValue: unknown = undefined;
  add(rows: readonly unknown[][]): void {
    if (this.rowCount === 0 && rows.length > 0) this.firstValue = rows[0]![0];
    this.rowCount += rows.length;
  }
}
