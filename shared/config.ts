import { z } from 'zod';
import { invalidInput } from './errors.js';

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('0')
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

/**
 * Configuration of the standalone runtime, parsed from the environment by the composition root
 * (`runtime/standalone/main.ts`) and nowhere else. Adapters and services receive plain values.
 */
export const StandaloneConfig = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Where every file of the standalone runtime lives: SQLite databases, objects, keys, mail. */
  KINEMA_DATA: z.string().min(1).default('./.data'),
  /** The origin people type in a browser; links, cookies and the OIDC issuer are built on it. */
  KINEMA_PUBLIC_URL: z.url().optional(),
  /** Enables POST /api/_dev/clock for admins, so timers and windows can be tested in seconds. */
  KINEMA_DEV_CLOCK: flag,
  KINEMA_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Largest upload an admin may declare, in bytes (default 50 GiB). */
  KINEMA_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(50 * 1024 ** 3),
  /** Largest JSON body any API accepts, in bytes. */
  KINEMA_MAX_JSON_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  /** SMTP URL for real mail; without it mail lands in the outbox folder. */
  KINEMA_SMTP_URL: z.string().optional(),
  /** Sign-ups one client address may start per hour (a LAN or test rig behind one address: raise it). */
  KINEMA_SIGNUPS_PER_HOUR: z.coerce.number().int().positive().max(100_000).default(10),
});

export type StandaloneConfig = z.infer<typeof StandaloneConfig>;

/** Parses configuration or throws one readable error naming every bad variable. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw invalidInput(`bad configuration: ${problems.join('; ')}`, problems);
  }
  return result.data;
}
