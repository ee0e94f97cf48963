/** Option schemas shared by several channels. */
import { z } from 'zod';

export const httpUrl = z.url({ protocol: /^https?$/ });

/** Extra request headers by name; never logged. */
export const headers = z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string()).optional();

/** `{ key: value }` when the value is set, `{}` otherwise: optional notifier options stay absent. */
export const ifSet = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  value === undefined || value === '' ? {} : ({ [key]: value } as { [P in K]: V });
