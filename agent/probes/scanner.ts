import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineProbe, failure, success, type Observation, type ProbeContext, type ProbeResult } from './types.js';
import { describeError, reasonFromError } from './errors.js';
import { bindAddress } from './binding.js';
import { familyOf } from './target.js';
import { withDeadline, type Deadline } from './deadline.js';
import { exchange } from './http-request.js';
import { esclVerdict, parseScannerStatus } from './escl.js';
import { matchSaneDevices, parseScanimageList, runScanimageList } from './scanner-sane.js';
import { wiaVerdict } from './scanner-wia.js';
import { localSchemeUnsupported, localScannerUnsupported, readImagingDevices } from '../platform/scanner.js';
import { METRIC } from '../../common/metrics.js';

/** A ScannerStatus document is a few KiB; more is not one. */
const MAX_STATUS_BYTES = 256 * 1024;

const options = z
  .object({
    /** `scanimage` to run for `sane:` targets (a path or a name on PATH). Default `scanimage`. */
    scanimage: z.string().min(1).default('scanimage'),
    /** PEM file of the CAs to trust for an `https://` eSCL target instead of Node's bundled ones. */
    ca_file: z.string().optional(),
    /** Accept any certificate of an `https://` eSCL target (scanners often ship self-signed ones). Default false. */
    insecure_skip_verify: z.boolean().default(false),
  })
  .strict();

type Options = z.output<typeof options>;

const SANE = 'sane:';
const WIA = 'wia:';
const ESCL = /^https?:\/\//i;

/** The eSCL status document of a base URL; undefined when the two do not make a URL. */
function statusUrl(base: string): URL | undefined {
  try {
    return new URL(`${base.replace(/\/+$/, '')}/ScannerStatus`);
  } catch {
    return undefined;
  }
}

/** `sane:<device name or pattern>` (Linux), `wia:<device name, id or pattern>` (Windows), or an http(s) eSCL base URL. */
function scannerTargetProblem(target: string): string | undefined {
  for (const scheme of [SANE, WIA]) {
    if (target.startsWith(scheme)) return target.length > scheme.length ? undefined : `${JSON.stringify(target)} names no device`;
  }
  if (ESCL.test(target)) return statusUrl(target) ? undefined : `${JSON.stringify(target)} is not a valid URL`;
  return `${JSON.stringify(target)} is neither sane:<device>, wia:<device> nor an http(s):// eSCL URL`;
}

export const scannerProbe = defineProbe({
  kind: 'scanner',
  targetHelp:
    'sane:<device name or regular expression> (via scanimage -L; Linux), wia:<device name, PnP id, vid:pid or regular expression> (Windows imaging devices), or the eSCL base URL http(s)://host:port/eSCL',
  targetRequired: true,
  targetProblem: scannerTargetProblem,
  options,
  metrics: {
    scannerStateInfo: { name: METRIC.scannerStateInfo, help: 'eSCL scanner state (pwg:State), 1 for the current one', type: 'gauge', labels: ['state'] },
  },
  unsupportedOn(platform, _opts, target) {
    if (target.startsWith(SANE)) return localSchemeUnsupported('sane', platform);
    if (target.startsWith(WIA)) return localSchemeUnsupported('wia', platform);
    return undefined;
  },
  async run(target, opts, ctx): Promise<ProbeResult> {
    const problem = scannerTargetProblem(target);
    if (problem) return failure('config', `target ${problem}`);
    // The runner asks unsupportedOn first; a direct caller of run gets the same answer here.
    for (const [scheme, prefix] of [['sane', SANE] as const, ['wia', WIA] as const]) {
      if (!target.startsWith(prefix)) continue;
      const unsupported = localScannerUnsupported(scheme);
      if (unsupported) return failure('not_supported', unsupported);
    }
    if (target.startsWith(SANE)) return runSane(target.slice(SANE.length), opts, ctx);
    if (target.startsWith(WIA)) return runWia(target.slice(WIA.length), ctx);
    return withDeadline(ctx.signal, (deadline) => runEscl(statusUrl(target)!, opts, ctx, deadline));
  },
});

async function runSane(pattern: string, opts: Options, ctx: ProbeContext): Promise<ProbeResult> {
  const run = await runScanimageList(opts.scanimage, ctx.signal);
  if (!run.ok) {
    if (ctx.signal.aborted) return failure('timeout', 'scanimage -L did not finish before the deadline');
    if ('error' in run) {
      const code = (run.error as { code?: unknown }).code;
      if (code === 'ENOENT') return failure('missing_binary', `${opts.scanimage} not found`);
      return failure(reasonFromError(run.error), `scanimage: ${describeError(run.error)}`);
    }
    return failure('protocol', `scanimage -L exited with ${run.exitCode ?? run.signal}`);
  }
  const names = parseScanimageList(run.stdout);
  const found = matchSaneDevices(names, pattern);
  if (found.length === 0) return failure('missing', `no SANE device matches (${names.length} listed)`);
  return success({ message: found.join(', ').slice(0, 200) });
}

async function runWia(pattern: string, ctx: ProbeContext): Promise<ProbeResult> {
  const listed = await readImagingDevices(ctx);
  if (!listed.ok) return failure(listed.reason, listed.message);
  return wiaVerdict(listed.value, pattern);
}

async function runEscl(url: URL, opts: Options, ctx: ProbeContext, deadline: Deadline): Promise<ProbeResult> {
  const bind = bindAddress(ctx.line, familyOf(url.hostname.replace(/^\[(.*)\]$/, '$1')));
  if (!bind.ok) return failure('unreachable', bind.message);
  let ca: Buffer | undefined;
  if (url.protocol === 'https:' && opts.ca_file) {
    try {
      // A CA file on a hung network mount must not hold the run past its deadline.
      ca = await deadline.race(readFile(opts.ca_file));
    } catch (err) {
      if (ctx.signal.aborted) throw err; // the deadline: a timeout, said by withDeadline
      return failure('config', `cannot read ca_file (${describeError(err)})`);
    }
  }
  let res;
  try {
    res = await exchange({
      url,
      method: 'GET',
      headers: { accept: 'text/xml, application/xml' },
      localAddress: bind.address,
      family: bind.address ? familyOf(bind.address) : undefined,
      ca,
      rejectUnauthorized: !opts.insecure_skip_verify,
      maxBodyBytes: MAX_STATUS_BYTES,
      keepBody: true,
      signal: ctx.signal,
    });
  } catch (err) {
    return failure(reasonFromError(err, ctx.signal), describeError(err, ctx.signal));
  }
  const phases = {
    resolve: res.phases.resolve,
    connect: res.phases.connect,
    first_byte: res.phases.first_byte,
    transfer: res.phases.transfer,
    ...(res.phases.tls === undefined ? {} : { tls: res.phases.tls }),
  };
  if (res.status !== 200) return failure('http_status', `ScannerStatus answered HTTP ${res.status}`, { phases });
  const status = res.truncated ? undefined : parseScannerStatus(res.body.toString('utf8'));
  if (!status) return failure('protocol', 'answer is not an eSCL ScannerStatus', { phases });
  const observations: Observation[] = [{ metric: 'scannerStateInfo', value: 1, labels: { state: status.state } }];
  const v = esclVerdict(status);
  // AdfState is device text: shown only when it looks like the keyword it should be.
  const adf = status.adfState && /^\w{1,64}$/.test(status.adfState) ? `, ${status.adfState}` : '';
  const message = `state ${status.state}${adf}`;
  if (!v.up) return failure(v.reason, message, { phases, observations });
  return success({ reason: v.reason, ...(v.degraded ? { degraded: true } : {}), message, phases, observations });
}
