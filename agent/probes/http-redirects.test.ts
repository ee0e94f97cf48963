import { describe, expect, it } from 'vitest';
import { redirectStep } from './http-redirects.js';

const here = new URL('https://portal.example.vn/a/b?x=1');

describe('redirectStep', () => {
  it('stops on non-redirect statuses, 300, 304 and a missing Location', () => {
    for (const status of [200, 300, 304, 404]) expect(redirectStep(status, '/next', here, 'GET')).toEqual({ kind: 'final' });
    expect(redirectStep(302, undefined, here, 'GET')).toEqual({ kind: 'final' });
  });

  it('resolves relative locations and drops fragments', () => {
    const step = redirectStep(302, '../c#top', here, 'GET');
    expect(step.kind === 'follow' && step.url.href).toBe('https://portal.example.vn/c');
  });

  it.each([
    [301, 'POST', 'GET', false],
    [302, 'POST', 'GET', false],
    [302, 'PUT', 'PUT', true],
    [303, 'POST', 'GET', false],
    [303, 'HEAD', 'HEAD', true],
    [307, 'POST', 'POST', true],
    [308, 'PUT', 'PUT', true],
  ])('%i after %s → %s (body kept: %s)', (status, method, next, keepBody) => {
    expect(redirectStep(status, '/next', here, method)).toMatchObject({ kind: 'follow', method: next, keepBody });
  });

  it('refuses other schemes, credentials and garbage without quoting the Location', () => {
    expect(redirectStep(302, 'ftp://host/file?token=abc', here, 'GET')).toEqual({ kind: 'error', message: 'HTTP 302 redirects to unsupported scheme ftp' });
    expect(redirectStep(302, 'https://u:p@host/?token=abc', here, 'GET')).toEqual({ kind: 'error', message: 'HTTP 302 redirects to a URL with credentials' });
    expect(redirectStep(301, 'http://[bad', here, 'GET')).toEqual({ kind: 'error', message: 'HTTP 301 Location is not a URL' });
  });
});
