import type { ProbeDefinition } from './types.js';
import { icmpProbe } from './icmp.js';
import { tcpProbe } from './tcp.js';
import { httpProbe } from './http.js';
import { dnsProbe } from './dns.js';
import { hostProbe } from './host.js';
import { postgresProbe } from './postgres.js';
import { mysqlProbe } from './mysql.js';
import { redisProbe } from './redis.js';
import { mssqlProbe } from './mssql.js';
import { oracleProbe } from './oracle.js';
import { mongodbProbe } from './mongodb.js';
import { usbProbe } from './usb.js';
import { scannerProbe } from './scanner.js';
import { printerProbe } from './printer.js';
import { upsProbe } from './ups.js';
import { ntpProbe } from './ntp.js';

/** Every probe kind the agent knows. The config schema and `ProbeKind` derive from this map. */
export const PROBES = {
  icmp: icmpProbe,
  tcp: tcpProbe,
  http: httpProbe,
  dns: dnsProbe,
  host: hostProbe,
  postgres: postgresProbe,
  mysql: mysqlProbe,
  redis: redisProbe,
  mssql: mssqlProbe,
  oracle: oracleProbe,
  mongodb: mongodbProbe,
  usb: usbProbe,
  scanner: scannerProbe,
  printer: printerProbe,
  ups: upsProbe,
  ntp: ntpProbe,
} as const satisfies Record<string, ProbeDefinition<any>>;

export type ProbeKind = keyof typeof PROBES;
export const PROBE_KINDS = Object.keys(PROBES) as ProbeKind[];
