import { z } from 'zod';
import { invalidInput } from '#shared/errors.js';
import { Id } from '#shared/ids.js';
import { ObjectKey } from '#shared/ports/object-store.js';

/** The input checks every part of the file store shares: keys, upload ids, content types, ETags. */

export const ContentType = z
  .string()
  .max(255)
  .regex(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+"-]+)*$/, 'not a valid content type');

export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(`${what}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  return result.data;
}

export const validKey = (key: string) =>
  parse(ObjectKey, key, `invalid object key ${JSON.stringify(key.slice(0, 80))}`);
export const validUploadId = (uploadId: string) => parse(Id, uploadId, 'invalid upload id');

export const quoted = (hex: string) => `"${hex}"`;
/** ETags arrive quoted, unquoted or weak-prefixed depending on the client; compare the bare value. */
export const bareEtag = (etag: string) =>
  etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();

export const isErrno = (error: unknown, ...codes: string[]) =>
  error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
