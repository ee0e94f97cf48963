import { describe, expect, it } from 'vitest';
import { httpOptions } from './http-options.js';

function problems(input: unknown): string[] {
  const r = httpOptions.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('http options', () => {
  it('fills the documented defaults', () => {
    expect(httpOptions.parse({})).toEqual({
      method: 'GET',
      headers: {},
      assertions: [],
      insecure_skip_verify: false,
      follow_redirects: true,
      max_redirects: 5,
      max_body_bytes: 1024 * 1024,
    });
  });

  it('allows one kind of credentials at a time', () => {
    expect(problems({ bearer_token: 't', basic_auth: { username: 'u', password: 'p' } })).toEqual([
      'bearer_token: set only one of basic_auth, bearer_token, oauth2 (also set: basic_auth)',
    ]);
    expect(problems({ bearer_token: 't', headers: { Authorization: 'Basic x' } })).toEqual(['headers.Authorization: conflicts with bearer_token']);
  });

  it('refuses header injection and bad basic usernames', () => {
    expect(problems({ headers: { 'X-A': 'a\r\nX-B: b' } })).toEqual(['headers.X-A: must not contain line breaks']);
    expect(problems({ basic_auth: { username: 'a:b', password: 'p' } })).toEqual(['basic_auth.username: must not contain ":" or line breaks']);
    expect(problems({ valid_status_codes: [99] })).toHaveLength(1);
    expect(problems({ method: 'TRACE' })).toHaveLength(1);
    expect(problems({ nope: 1 })).toHaveLength(1);
  });
});
