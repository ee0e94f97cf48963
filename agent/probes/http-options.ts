import { z } from 'zod';
import { assertionSchema, headerName } from './http-assertions.js';
import { oauth2Schema } from './http-oauth2.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Options of an `http` check. Secrets may be given as `<name>_file` or `${ENV}`; the loader resolves them. */
export const httpOptions = z
  .object({
    /** Request method. Default `GET`. */
    method: z.enum(HTTP_METHODS).default('GET'),
    /** Extra request headers (e.g. `Host` for a virtual host on an IP target). Default none. */
    headers: z.record(headerName, z.string().regex(/^[^\r\n\0]*$/, 'must not contain line breaks')).default({}),
    /** Request body, sent as given. Default none. */
    body: z.string().optional(),
    /** Status codes that count as up. Default any 2xx. Checked before `assertions`. */
    valid_status_codes: z.array(z.number().int().min(100).max(599)).min(1).optional(),
    /** Checks on the final response, all of which must hold. Default none. */
    assertions: z.array(assertionSchema).default([]),
    /** HTTP Basic credentials. */
    basic_auth: z
      .object({
        username: z.string().regex(/^[^:\r\n]*$/, 'must not contain ":" or line breaks'),
        /** Give `password_file` or `${ENV}` rather than the value itself. */
        password: z.string(),
      })
      .strict()
      .optional(),
    /** Sent as `Authorization: Bearer <token>`. Give `bearer_token_file` or `${ENV}`. */
    bearer_token: z
      .string()
      .min(1)
      .regex(/^[^\r\n]*$/, 'must not contain line breaks')
      .optional(),
    /** Fetch a bearer token with the client credentials grant; cached between runs, refetched once on 401. */
    oauth2: oauth2Schema.optional(),
    /** PEM file of the CAs to trust for https, instead of Node's bundled ones (a provincial private CA). */
    ca_file: z.string().optional(),
    /** Accept any certificate. Only when asked; the expiry is still reported. Default false. */
    insecure_skip_verify: z.boolean().default(false),
    /** TLS SNI and verification name; defaults to the URL's host. */
    server_name: z.string().optional(),
    /** Follow 301/302/303/307/308. When false a 3xx is the final status (list it in `valid_status_codes`). Default true. */
    follow_redirects: z.boolean().default(true),
    /** Redirects followed at most; one more is a `protocol` failure. Default 5. */
    max_redirects: z.number().int().min(0).max(20).default(5),
    /** Body bytes read at most (1 MiB by default); the rest is not downloaded and assertions see the first part. */
    max_body_bytes: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .strict()
  .superRefine((o, ctx) => {
    const auth = (['basic_auth', 'bearer_token', 'oauth2'] as const).filter((k) => o[k] !== undefined);
    if (auth.length > 1) ctx.addIssue({ code: 'custom', path: [auth[1]!], message: `set only one of basic_auth, bearer_token, oauth2 (also set: ${auth[0]})` });
    const authHeader = Object.keys(o.headers).find((h) => h.toLowerCase() === 'authorization');
    if (auth.length > 0 && authHeader) ctx.addIssue({ code: 'custom', path: ['headers', authHeader], message: `conflicts with ${auth[0]}` });
  });

export type HttpOptions = z.output<typeof httpOptions>;
