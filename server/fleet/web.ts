/**
 * The fleet view's routes: `GET /fleet` (the page), `GET /api/v1/agents` (every agent, filtered) and
 * `GET /api/v1/agents/:center/:name` (one). They show machine names, host names and versions, so they
 * are for IT staff: with `web.login` configured, the login in front of every GET guards them; without
 * it they answer only clients on this machine (loopback, read from the socket, never from a header),
 * and nobody at all behind a TLS proxy (`fleet.behind_tls_proxy`), where every client comes from the
 * proxy's loopback address.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Lang } from '../notifiers/event.js';
import type { FleetDeps } from './deps.js';
import { FLEET_CONTENT_SECURITY_POLICY, renderFleet } from './page.js';
import {
  countStates,
  filterRows,
  fleetInputs,
  fleetRows,
  isFleetState,
  rowOf,
  FLEET_STATES,
  type FleetFilter,
  type FleetRow,
  type FleetState,
} from './view.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a socket's remote address is this machine: 127.0.0.0/8 or ::1 (IPv4-mapped IPv6 forms too). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  return family !== undefined && LOOPBACK.check(address, family);
}

/** Why a request is refused, or undefined when it may see the fleet. */
export function refusal(d: Pick<FleetDeps, 'cfg'>, remoteAddress: string | undefined): string | undefined {
  if (d.cfg.web.login) return undefined;
  if (d.cfg.fleet.behind_tls_proxy)
    return 'the fleet view is for IT staff: behind a TLS proxy every client looks local, so it stays closed until web.login is configured';
  if (!isLoopback(remoteAddress)) return 'the fleet view is for IT staff: without web.login it answers only on this machine; configure web.login to open it';
  return undefined;
}

const langOf = (req: Request): Lang => (req.query.lang === 'en' ? 'en' : 'vi');

/** Query values as a flat list: repeated keys and comma-separated values both, empty ones left out. */
function values(v: unknown): string[] {
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  return list.flatMap((x) => (typeof x === 'string' ? x.split(',') : [])).flatMap((x) => (x.trim() ? [x.trim()] : []));
}

function filterOf(req: Request): { filter: FleetFilter } | { error: string } {
  const states = values(req.query.state);
  const unknown = states.filter((s) => !isFleetState(s));
  if (unknown.length > 0) return { error: `unknown state ${unknown.map((s) => JSON.stringify(s)).join(', ')}: one of ${FLEET_STATES.join(', ')}` };
  const province = values(req.query.province)[0];
  const center = values(req.query.center)[0];
  return {
    filter: {
      ...(province ? { province } : {}),
      ...(center ? { center } : {}),
      ...(states.length > 0 ? { states: [...new Set(states)] as FleetState[] } : {}),
    },
  };
}

export function fleetWebRouter(d: FleetDeps): Router {
  const r = express.Router();
  const guard = (json: boolean) => (req: Request, res: Response, next: NextFunction) => {
    const why = refusal(d, req.socket.remoteAddress);
    if (why === undefined) return next();
    res.status(403).set('cache-control', 'no-store');
    if (json) res.json({ error: why });
    else res.type('text/plain').send(`${why}\n`);
  };
  /** Every agent's row, and the rows and counts within the province and center of the filter. */
  const select = (filter: FleetFilter) => {
    const all = fleetRows(d.store.fleet.agents(), fleetInputs(d));
    const scope = filterRows(all, { ...(filter.province ? { province: filter.province } : {}), ...(filter.center ? { center: filter.center } : {}) });
    return { all, scope, shown: filterRows(scope, filter), counts: countStates(scope) };
  };

  r.get('/fleet', guard(false), (req, res) => {
    const f = filterOf(req);
    if ('error' in f) return void res.status(400).type('text/plain').send(`${f.error}\n`);
    const { all, shown, counts } = select(f.filter);
    const inventory = d.store.fleet.centers();
    const centers = new Map<string, string | undefined>(
      inventory.filter((c) => !f.filter.province || c.province === f.filter.province).map((c) => [c.code, c.name]),
    );
    for (const row of all) if ((!f.filter.province || row.province === f.filter.province) && !centers.has(row.center)) centers.set(row.center, row.centerName);
    const provinces = new Set([...all.map((x) => x.province), ...inventory.map((c) => c.province)]);
    res
      .type('html')
      .set('cache-control', 'no-store')
      // Stricter than the server's policy for its other pages: this one runs no script.
      .set('content-security-policy', FLEET_CONTENT_SECURITY_POLICY)
      .send(
        renderFleet(
          { rows: shown, counts, filter: f.filter, provinces: [...provinces], centers: [...centers].map(([code, name]) => ({ code, name })), nowMs: d.now() },
          langOf(req),
        ),
      );
  });

  r.get('/api/v1/agents', guard(true), (req, res) => {
    const f = filterOf(req);
    if ('error' in f) return void res.status(400).json({ error: f.error });
    const { shown, counts } = select(f.filter);
    const body: { agents: FleetRow[]; counts: Record<FleetState, number> } = { agents: shown, counts };
    res.set('cache-control', 'no-store').json(body);
  });

  r.get('/api/v1/agents/:center/:name', guard(true), (req, res) => {
    const agent = d.store.fleet.agent(`${String(req.params.center)}/${String(req.params.name)}`);
    if (!agent) return void res.status(404).set('cache-control', 'no-store').json({ error: 'unknown agent' });
    res.set('cache-control', 'no-store').json(rowOf(agent, fleetInputs(d)));
  });

  return r;
}
