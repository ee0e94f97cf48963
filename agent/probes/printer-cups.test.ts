import { describe, expect, it } from 'vitest';
import { TAG, type IppResponse, type IppValue } from './ipp-codec.js';
import { cupsQueueUri, cupsVerdict, parseCupsServer, parseCupsTarget } from './printer-cups.js';
import { printerProbe } from './printer.js';

describe('cups options', () => {
  it('defaults to the local cupsd and is strict to its own keys', () => {
    expect(printerProbe.options.parse({ protocol: 'cups' })).toEqual({ protocol: 'cups', server: '127.0.0.1:631', require_accepting: true });
    expect(printerProbe.options.parse({ protocol: 'cups', server: '[::1]:8631' })).toMatchObject({ server: '[::1]:8631' });
    expect(printerProbe.options.safeParse({ protocol: 'cups', community: 'public' }).success).toBe(false);
    expect(printerProbe.options.safeParse({ protocol: 'cups', server: 'http://x/' }).success).toBe(false);
    expect(printerProbe.options.safeParse({ protocol: 'cups', server: 'h:notaport' }).success).toBe(false);
  });
});

describe('parseCupsServer', () => {
  it('reads host[:port] with 631 by default, IPv6 in brackets', () => {
    expect(parseCupsServer('127.0.0.1')).toEqual({ host: '127.0.0.1', port: 631 });
    expect(parseCupsServer('print.local:8631')).toEqual({ host: 'print.local', port: 8631 });
    expect(parseCupsServer('[::1]:632')).toEqual({ host: '[::1]', port: 632 });
  });

  it('refuses paths, credentials and empty hosts', () => {
    expect(parseCupsServer('h/printers/q')).toBeUndefined();
    expect(parseCupsServer('u:p@h')).toBeUndefined();
    expect(parseCupsServer('')).toBeUndefined();
  });
});

describe('parseCupsTarget', () => {
  it('takes the server from the target when named, else from the option', () => {
    expect(parseCupsTarget('Quay_1', '127.0.0.1:631')).toEqual({ queue: 'Quay_1', server: { host: '127.0.0.1', port: 631 } });
    expect(parseCupsTarget('q1@127.0.0.2:6310', '127.0.0.1:631')).toEqual({ queue: 'q1', server: { host: '127.0.0.2', port: 6310 } });
  });

  it('refuses names cupsd would refuse', () => {
    for (const bad of ['', 'a b', 'a/b', 'a#b', 'q@', 'q@h/x', 'x'.repeat(128)]) expect(parseCupsTarget(bad, '127.0.0.1')).toBeUndefined();
  });

  it('makes the queue printer URI, escaping what a path must not hold', () => {
    expect(cupsQueueUri(parseCupsTarget('q1', '127.0.0.1:631')!)).toBe('ipp://127.0.0.1:631/printers/q1');
    expect(cupsQueueUri(parseCupsTarget('máy%in', '[::1]')!)).toBe('ipp://[::1]:631/printers/m%C3%A1y%25in');
  });
});

function response(attrs: Record<string, IppValue[]>, statusCode = 0): IppResponse {
  return { version: '1.1', statusCode, requestId: 1, groups: [{ tag: TAG.printer, attributes: new Map(Object.entries(attrs)) }] };
}

const opts = { require_accepting: true };

describe('cupsVerdict', () => {
  it('is up for an idle queue, with the jobs waiting', () => {
    const r = cupsVerdict(
      response({ 'printer-state': [3], 'printer-state-reasons': ['none'], 'printer-is-accepting-jobs': [true], 'queued-job-count': [2] }),
      'q1',
      opts,
    );
    expect(r).toMatchObject({ up: true, reason: 'ok', message: 'idle' });
    expect(r.observations).toEqual([{ metric: 'queued_jobs', value: 2 }]);
  });

  it('says a disabled queue is disabled, and a rejecting one rejects', () => {
    const paused = response({ 'printer-state': [5], 'printer-state-reasons': ['paused'], 'printer-is-accepting-jobs': [true] });
    expect(cupsVerdict(paused, 'q1', opts)).toMatchObject({ up: false, reason: 'offline', message: 'queue disabled (paused)' });
    const rejecting = response({ 'printer-state': [3], 'printer-state-reasons': ['none'], 'printer-is-accepting-jobs': [false] });
    expect(cupsVerdict(rejecting, 'q1', opts)).toMatchObject({ up: false, reason: 'offline', message: 'queue rejecting jobs' });
    expect(cupsVerdict(rejecting, 'q1', { require_accepting: false })).toMatchObject({ up: true, reason: 'ok' });
    const both = response({ 'printer-state': [5], 'printer-state-reasons': ['paused'], 'printer-is-accepting-jobs': [false] });
    expect(cupsVerdict(both, 'q1', opts)).toMatchObject({ up: false, message: 'queue disabled (paused), queue rejecting jobs' });
  });

  it("keeps the printer's own cause when a stopped queue gives one", () => {
    const jam = response({ 'printer-state': [5], 'printer-state-reasons': ['paused', 'media-jam-error'], 'printer-is-accepting-jobs': [true] });
    expect(cupsVerdict(jam, 'q1', opts)).toMatchObject({ up: false, reason: 'media_jam', message: 'stopped: media-jam-error' });
  });

  it('is missing for a queue cupsd does not have, protocol for other IPP errors', () => {
    expect(cupsVerdict(response({}, 0x0406), 'nope', opts)).toMatchObject({ up: false, reason: 'missing', message: 'no CUPS queue "nope"' });
    expect(cupsVerdict(response({}, 0x0500), 'q1', opts)).toMatchObject({ up: false, reason: 'protocol', message: 'IPP status 0x0500' });
  });

  it('reports how long the oldest job has waited, and is down once it passes stuck_after_seconds', () => {
    const printing = response({ 'printer-state': [4], 'printer-state-reasons': ['none'], 'printer-is-accepting-jobs': [true], 'queued-job-count': [1] });
    const r = cupsVerdict(printing, 'q1', opts, {}, 30);
    expect(r).toMatchObject({ up: true, reason: 'ok' });
    expect(r.observations).toContainEqual({ metric: 'oldest_job_age', value: 30 });
    expect(cupsVerdict(printing, 'q1', { ...opts, stuck_after_seconds: 60 }, {}, 30)).toMatchObject({ up: true });
    const stuck = cupsVerdict(printing, 'q1', { ...opts, stuck_after_seconds: 20 }, {}, 30);
    expect(stuck).toMatchObject({ up: false, reason: 'offline', message: 'oldest job waiting 30 s' });
    expect(stuck.observations).toContainEqual({ metric: 'queued_jobs', value: 1 });
  });
});
