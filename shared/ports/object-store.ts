import type { Readable } from 'node:stream';
import { z } from 'zod';

/** S3-shaped object storage (S3 on AWS; the file system standalone, with HMAC-signed URLs). */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  contentType?: string;
  lastModified: string;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
}

export interface ObjectStore {
  /**
   * `cacheControl` is the object's Cache-Control for a CDN in front of the store (S3 keeps it as
   * metadata and CloudFront honours it); the local store ignores it: its media edge sets caching
   * by file type.
   */
  put(
    key: string,
    body: Buffer | Readable,
    options?: { contentType?: string; cacheControl?: string },
  ): Promise<ObjectInfo>;
  get(key: string, range?: { start: number; end?: number }): Promise<{ info: ObjectInfo; body: Readable } | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  presignPut(key: string, expiresInSeconds: number, contentType?: string): Promise<string>;

  createMultipart(key: string, contentType: string): Promise<{ uploadId: string }>;
  /**
   * A URL to PUT one part. With `contentLength`, the URL is good for a body of exactly that many
   * bytes (S3 signs the Content-Length header; the local store signs it into the URL), so a client
   * cannot store more than the upload planned: longer is refused (413) before a byte is kept.
   */
  presignPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options?: { contentLength?: number },
  ): Promise<string>;
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectInfo>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

/** S3's multipart limits, which both adapters keep. */
export const MULTIPART = {
  minPartSize: 5 * 1024 ** 2,
  maxPartSize: 5 * 1024 ** 3,
  maxParts: 10_000,
} as const;

/**
 * The keys both adapters accept, so a key that works standalone works on S3 and back: 1..1024
 * characters, '/'-separated segments of [A-Za-z0-9._-], no '.' or '..' segment. The local store
 * maps a key to a file path, which is why the rule is stricter than S3's own.
 */
export const ObjectKey = z
  .string()
  .min(1, 'an object key may not be empty')
  .max(1024, 'an object key may be at most 1024 characters')
  .regex(
    /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
    'an object key is "/"-separated segments of letters, digits, ".", "_" or "-"',
  )
  .refine((key) => key.split('/').every((segment) => segment !== '.' && segment !== '..'), {
    message: 'an object key may not have a "." or ".." segment',
  });

/** A part number S3 accepts. */
export const PartNumber = z.number().int().min(1).max(MULTIPART.maxParts);
/** One part's length: 1 byte (a last part may be small) up to S3's largest part. */
export const PartLength = z.number().int().min(1).max(MULTIPART.maxPartSize);

/**
 * The part list of a CompleteMultipartUpload, with S3's rules checked before any adapter acts:
 * at least one part, ascending part numbers, none listed twice.
 */
export const CompletedParts = z
  .array(z.object({ partNumber: PartNumber, etag: z.string().min(1).max(200) }))
  .min(1, 'list at least one part')
  .max(MULTIPART.maxParts)
  .superRefine((parts, context) => {
    for (let i = 1; i < parts.length; i++) {
      const previous = parts[i - 1]!.partNumber;
      const current = parts[i]!.partNumber;
      if (current === previous) {
        context.addIssue({ code: 'custom', message: `part ${current} is listed more than once` });
        return;
      }
      if (current < previous) {
        context.addIssue({
          code: 'custom',
          message: `parts must be listed in ascending order (part ${current} comes after part ${previous})`,
        });
        return;
      }
    }
  });
