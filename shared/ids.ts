import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A time-ordered, URL-safe id (ULID layout, lower-case Crockford base32): 10 characters of
 * millisecond time, then 16 random ones. Sorting ids sorts by creation time, which the Table's
 * range keys rely on.
 */
export function newId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (const byte of bytes) random += CROCKFORD[byte % 32];
  return time + random;
}

/**
 * Ids that arrive from outside (paths, bodies, keys) are parsed with this schema: only the
 * characters an id can hold, so no id can carry a path separator, a dot-dot or a key delimiter.
 */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9a-z][0-9a-z_-]*$/, 'must be an id of lower-case letters, digits, "-" or "_"');

export type Id = z.infer<typeof Id>;
