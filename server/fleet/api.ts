/**
 * The fleet's JSON API for IT staff (mounted at /api/v1): enrolment codes, revocation, profiles. Writes
 * need an `engine.api_tokens` bearer token, as every API write does; reads sit behind the IT login when
 * one is configured. Every bad request is a 4xx with a one-line reason.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { ApiWriter } from '../api.js';
import { setProfile } from './profiles.js';
import type { FleetDeps } from './deps.js';
import { createCode } from './codes.js';
import { inventoryRoutes } from './api-inventory.js';

const codeBody = z
  .object({
    center: z.string().min(1).max(64),
    uses: z.number().int().min(1).max(1000).default(1),
    /** A duration such as `72h`. */
    expires: z.string().max(16).optional(),
    profile: z.string().max(63).optional(),
  })
  .strict();

export function fleetApiRouter(d: FleetDeps, writer: ApiWriter): Router {
  const r = express.Router();
  const fleet = d.store.fleet;
  inventoryRoutes(r, d, writer);

  r.post('/enroll-codes', express.json({ limit: '4kb' }), (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const parsed = codeBody.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json({ error: parsed.error.issues[0]!.message });
    const b = parsed.data;
    const r = createCode(fleet, d.cfg.fleet, { ...b, by }, d.now());
    if (!r.ok) return void res.status(r.problem === 'unknown' ? 404 : 400).json({ error: r.error });
    d.log.info('enrolment code created', { code_id: r.id, center: r.center.code, uses: r.uses, by });
    res
      .status(201)
      .set('cache-control', 'no-store')
      .json({ id: r.id, code: r.code, center: r.center.code, uses: r.uses, expiresAt: new Date(r.expiresAtMs).toISOString() });
  });

  r.post('/agents/:center/:name/revoke', (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const id = `${req.params.center}/${req.params.name}`;
    if (!fleet.agent(id)) return void res.status(404).json({ error: `unknown agent ${id}` });
    if (!fleet.revokeAgent(id, d.now())) return void res.status(409).json({ error: `${id} is revoked already` });
    d.tokens.revoked(id);
    d.log.info('agent revoked', { agent: id, by });
    res.json({ id, revokedBy: by });
  });

  r.get('/profiles', (_req, res) => {
    res.json({ profiles: fleet.profiles().map(({ body: _b, ...p }) => p) });
  });

  r.get('/profiles/:name', (req, res) => {
    const p = fleet.profile(req.params.name);
    if (!p) return void res.status(404).json({ error: 'unknown profile' });
    res.json(p);
  });

  r.put('/profiles/:name', express.text({ type: () => true, limit: '256kb' }), (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(req.params.name))
      return void res.status(400).json({ error: 'a profile name is lower-case letters, digits, ".", "_" or "-"' });
    if (typeof req.body !== 'string' || req.body.trim() === '') return void res.status(400).json({ error: 'the body is the profile YAML' });
    const result = setProfile(d, req.params.name, req.body, by);
    if (!result.ok)
      return void res.status(422).json({
        error: `profile ${req.params.name} refused, nothing changed: it does not load for ${result.failing} of ${result.agents} agents`,
        problems: result.problems.slice(0, 200),
      });
    d.log.info('profile stored', { profile: req.params.name, revision: result.revision, agents: result.agents, by });
    res.json({ name: req.params.name, revision: result.revision, agents: result.agents, warnings: result.warnings });
  });

  return r;
}
