/**
 * The inventory over the JSON API (mounted at /api/v1): list and read centers (open, like the other
 * reads), import a file and remove a center (API writers only). Errors are `{ error }`; a refused file is
 * `{ error, problems }` with every problem as `file:line:column: field: message`.
 */
import express, { type Request, type Response, type Router } from 'express';
import { formatProblem } from '../../common/config-errors.js';
import type { FleetDeps } from './deps.js';
import { importCenters, planImport } from './import.js';
import { normalizeCode, provinceId, unknownProvinceMessage } from './inventory-schema.js';

/** The largest file POST /inventory/centers takes (the national list is 0.2 MB). */
export const MAX_INVENTORY_BYTES = 2 * 1024 * 1024;

/** Content types → the file name problems are reported under (its extension chooses the format). */
const FORMATS: Record<string, string> = {
  'text/csv': 'body.csv',
  'application/csv': 'body.csv',
  'application/yaml': 'body.yaml',
  'application/x-yaml': 'body.yaml',
  'text/yaml': 'body.yaml',
  'text/x-yaml': 'body.yaml',
};

const textBody = express.text({ type: Object.keys(FORMATS), limit: MAX_INVENTORY_BYTES, defaultCharset: 'utf-8' });

export function inventoryRoutes(r: Router, d: FleetDeps, writer: (req: Request, res: Response) => string | undefined): void {
  const fleet = () => d.store.fleet;

  r.get('/inventory/centers', (req, res) => {
    const p = req.query.province;
    if (p !== undefined && typeof p !== 'string') return void res.status(400).json({ error: 'province must be given once' });
    const province = p === undefined ? undefined : provinceId(p);
    if (p !== undefined && province === undefined) return void res.status(400).json({ error: unknownProvinceMessage(p) });
    res.json({ centers: fleet().centers(province) });
  });

  r.get('/inventory/centers/:code', (req, res) => {
    const center = fleet().center(normalizeCode(req.params.code));
    if (!center) return void res.status(404).json({ error: `unknown center ${req.params.code}` });
    res.json({ center });
  });

  r.post('/inventory/centers', (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const file = FORMATS[type];
    if (file === undefined) return void res.status(415).json({ error: `send the file as ${Object.keys(FORMATS).join(', ')}${type ? `, not ${type}` : ''}` });
    const p = req.query.province;
    if (p !== undefined && typeof p !== 'string') return void res.status(400).json({ error: 'province must be given once' });
    const dryRun = req.query.dry_run === 'true' || req.query.dry_run === '1';
    textBody(req, res, (err?: unknown) => {
      if (err) {
        const status = (err as { status?: number }).status ?? 400;
        const error = status === 413 ? `the file is larger than ${MAX_INVENTORY_BYTES / 1024 / 1024} MB` : 'the body could not be read as UTF-8 text';
        return void res.status(status === 413 ? 413 : 400).json({ error });
      }
      const text = typeof req.body === 'string' ? req.body : '';
      const plan = planImport(text, file, p);
      if (!plan.ok) {
        const n = plan.problems.length;
        return void res
          .status(400)
          .json({ error: `${n} problem${n === 1 ? '' : 's'} in the file: nothing imported`, problems: plan.problems.map(formatProblem) });
      }
      const counts = importCenters(fleet(), plan, d.now(), dryRun);
      if (!dryRun) d.log.info('inventory imported', { by, shape: plan.shape, centers: plan.centers.length, ...counts });
      res.json({ ...counts, centers: plan.centers.length, skipped: plan.skipped, dryRun });
    });
  });

  r.delete('/inventory/centers/:code', (req, res) => {
    const by = writer(req, res);
    if (by === undefined) return;
    const code = normalizeCode(req.params.code);
    const revoked = fleet()
      .agents({ center: code })
      .filter((a) => a.revokedAtMs === undefined).length;
    if (!fleet().removeCenter(code, d.now())) return void res.status(404).json({ error: `unknown center ${req.params.code}` });
    d.log.info('center removed', { by, center: code, revokedAgents: revoked });
    res.json({ code, removed: true, revokedAgents: revoked, removedBy: by });
  });
}
