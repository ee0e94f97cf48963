import type { ProbeKind as CataloguedKind } from '../../common/catalogue.js';
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
import { routerProbe } from './router.js';

/**
 * Every probe kind the agent knows. The config schema and `ProbeKind` derive from this map; every kind
 * here has its entry in common/catalogue.ts (words, page section, runbook, urgency) and every entry
 * there a probe here: the two checks below fail to compile otherwise, naming what is missing.
 */
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
  router: routerProbe,
} as const satisfies Record<string, ProbeDefinition>;

export type ProbeKind = keyof typeof PROBES;
export const PROBE_KINDS = Object.keys(PROBES) as ProbeKind[];

/** Passes when `T` is `true`; otherwise the compiler prints `T`, which says what to add where. */
type Holds<T extends true> = T;
type Uncatalogued = Exclude<ProbeKind, CataloguedKind>;
type Unprobed = Exclude<CataloguedKind, ProbeKind>;
export type EveryProbeCatalogued = Holds<[Uncatalogued] extends [never] ? true : `add an entry to KIND_CATALOGUE in common/catalogue.ts for: ${Uncatalogued}`>;
export type EveryCatalogueKindProbed = Holds<[Unprobed] extends [never] ? true : `add a probe to PROBES in agent/probes/index.ts for: ${Unprobed}`>;
