import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError, invalidInput } from '#shared/errors.js';
import { CompletedParts, MULTIPART, ObjectKey, PartNumber } from '#shared/ports/object-store.js';
import type { ObjectInfo, ObjectStore, UploadedPart } from '#shared/ports/object-store.js';

export interface S3StoreOptions {
  bucket: string;
  client: S3Client;
  /**
   * Origin presigned URLs should name instead of the client's endpoint (e.g. an S3-compatible
   * server the browser reaches by another host name). The URL is signed for that host.
   */
  publicEndpoint?: string;
}

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** Size of the parts `put` cuts an unknown-length stream into (one buffered at a time). */
const STREAM_PART_SIZE = 8 * 1024 ** 2;

/**
 * The SDK adds a CRC32 checksum of the (empty) body to presigned PUT/UploadPart URLs, which S3
 * would then hold the real bytes to; keep those out of the URL and out of the signature.
 */
const CHECKSUM_HEADERS = new Set(['x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm']);

const Expiry = z.number().int().min(1).max(MAX_PRESIGN_SECONDS);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(`${what}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  return result.data;
}
const validKey = (key: string) => parse(ObjectKey, key, `invalid object key ${JSON.stringify(key.slice(0, 80))}`);

const errorName = (error: unknown) =>
  error instanceof Error ? ((error as { Code?: string }).Code ?? error.name) : undefined;
const isMissing = (error: unknown) => {
  const name = errorName(error);
  return (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 404
  );
};

/** S3's multipart refusals, as the typed errors the services map to statuses. */
function mapS3Error(error: unknown, uploadId?: string): unknown {
  switch (errorName(error)) {
    case 'NoSuchUpload':
      return new AppError(
        'not_found',
        `${uploadId ? `upload ${uploadId}` : 'the upload'} does not exist (it was completed, aborted or never created)`,
      );
    case 'InvalidPart':
      return invalidInput('a listed part was never uploaded or its ETag does not match; upload it again');
    case 'InvalidPartOrder':
      return invalidInput('parts must be listed in ascending order, each once');
    case 'EntityTooSmall':
      return invalidInput(`every part but the last must be at least ${MULTIPART.minPartSize} bytes`);
    case 'InvalidRange':
      return invalidInput("the range is outside the object's bytes");
    default:
      return error;
  }
}

const iso = (date: Date | undefined) => (date ?? new Date(0)).toISOString();

/** Total size from `Content-Range: bytes a-b/total`, the object's size when a range was asked. */
const totalSize = (contentRange: string | undefined, contentLength: number | undefined) => {
  const total = contentRange ? /\/(\d+)$/.exec(contentRange)?.[1] : undefined;
  return total !== undefined ? Number(total) : (contentLength ?? 0);
};

/**
 * Reads a stream in blocks of `size` bytes (the last one shorter), holding one block at a time.
 */
async function* blocks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of stream) {
    let data: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    while (pendingBytes + data.length >= size) {
      const take = size - pendingBytes;
      pending.push(data.subarray(0, take));
      yield Buffer.concat(pending);
      data = data.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (data.length > 0) {
      pending.push(data);
      pendingBytes += data.length;
    }
  }
  if (pendingBytes > 0 || pending.length === 0) yield Buffer.concat(pending);
}

/**
 * The ObjectStore on S3. Presigned URLs are SigV4 query-signed by the SDK's presigner (offline);
 * multipart errors become typed errors (NoSuchUpload → not_found; InvalidPart, InvalidPartOrder,
 * EntityTooSmall → invalid_input); a missing object is `undefined`. `get` with a range reports the
 * whole object's size in `info.size`, as the local store does.
 */
export function s3Store(options: S3StoreOptions): ObjectStore {
  const { bucket: Bucket, client } = options;
  const publicEndpoint = options.publicEndpoint ? new URL(options.publicEndpoint) : undefined;

  const presign = async (
    command: GetObjectCommand | PutObjectCommand | UploadPartCommand,
    expiresInSeconds: number,
    signedHeaders: string[] = [],
  ): Promise<string> => {
    parse(Expiry, expiresInSeconds, `expiry must be 1..${MAX_PRESIGN_SECONDS} seconds`);
    if (publicEndpoint) {
      // Before the Host header is set and long before signing, so the signature names the public host.
      // The three commands' stacks differ only in their input/output types, which this step never reads.
      const stack = command.middlewareStack as unknown as {
        addRelativeTo(middleware: unknown, options: Record<string, unknown>): void;
      };
      stack.addRelativeTo(
        (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
          const request = args.request as { protocol: string; hostname: string; port?: number; path: string };
          request.protocol = publicEndpoint.protocol;
          request.hostname = publicEndpoint.hostname;
          request.port = publicEndpoint.port ? Number(publicEndpoint.port) : undefined;
          request.path = publicEndpoint.pathname.replace(/\/+$/, '') + request.path;
          return next(args);
        },
        { relation: 'before', toMiddleware: 'hostHeaderMiddleware', name: 'kinemaPublicEndpoint', override: true },
      );
    }
    return getSignedUrl(client, command as unknown as Parameters<typeof getSignedUrl>[1], {
      expiresIn: expiresInSeconds,
      ...(signedHeaders.length > 0 ? { signableHeaders: new Set(signedHeaders) } : {}),
      unhoistableHeaders: CHECKSUM_HEADERS,
      unsignableHeaders: CHECKSUM_HEADERS,
    });
  };

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: out.ETag ?? '',
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        lastModified: iso(out.LastModified),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };

  const completeMultipart = async (
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<ObjectInfo> => {
    validKey(key);
    const listed = parse(CompletedParts, parts, 'invalid part list');
    try {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: listed.map(({ partNumber, etag }) => ({
              PartNumber: partNumber,
              // S3 wants the quoted form its UploadPart answered.
              ETag: `"${etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1')}"`,
            })),
          },
        }),
      );
    } catch (error) {
      throw mapS3Error(error, uploadId);
    }
    const info = await head(key);
    if (!info) throw new AppError('internal', `object ${key} is missing right after its upload completed`);
    return info;
  };

  return {
    async put(key, body, putOptions = {}) {
      validKey(key);
      const ContentType = putOptions.contentType;
      const CacheControl = putOptions.cacheControl;
      if (Buffer.isBuffer(body)) {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType, CacheControl }));
      } else {
        // PutObject needs a length up front; a stream of unknown length goes up as a multipart
        // upload of fixed-size parts instead, one part in memory at a time.
        const source = blocks(body, STREAM_PART_SIZE);
        const first = await source.next();
        const firstBlock = first.done ? Buffer.alloc(0) : first.value;
        if (firstBlock.length < STREAM_PART_SIZE) {
          await client.send(new PutObjectCommand({ Bucket, Key: key, Body: firstBlock, ContentType, CacheControl }));
        } else {
          const { UploadId } = await client.send(
            new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType, CacheControl }),
          );
          if (!UploadId) throw new AppError('internal', 'S3 returned no upload id');
          try {
            const parts: { partNumber: number; etag: string }[] = [];
            let block: Buffer | undefined = firstBlock;
            while (block) {
              const partNumber = parts.length + 1;
              const out = await client.send(
                new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: partNumber, Body: block }),
              );
              parts.push({ partNumber, etag: out.ETag ?? '' });
              const next = await source.next();
              block = next.done || next.value.length === 0 ? undefined : next.value;
            }
            return await completeMultipart(key, UploadId, parts);
          } catch (error) {
            await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => undefined);
            throw error;
          }
        }
      }
      const info = await head(key);
      if (!info) throw new AppError('internal', `object ${key} is missing right after it was stored`);
      return info;
    },

    async get(key, range) {
      validKey(key);
      try {
        const out = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
          }),
        );
        const body = out.Body instanceof Readable ? out.Body : Readable.from([]);
        return {
          info: {
            key,
            size: totalSize(out.ContentRange, out.ContentLength),
            etag: out.ETag ?? '',
            ...(out.ContentType ? { contentType: out.ContentType } : {}),
            lastModified: iso(out.LastModified),
          },
          body,
        };
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw mapS3Error(error);
      }
    },

    async head(key) {
      validKey(key);
      return head(key);
    },

    async list(prefix) {
      const found: ObjectInfo[] = [];
      let ContinuationToken: string | undefined;
      do {
        const out = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }),
        );
        for (const item of out.Contents ?? []) {
          if (!item.Key) continue;
          found.push({
            key: item.Key,
            size: item.Size ?? 0,
            etag: item.ETag ?? '',
            lastModified: iso(item.LastModified),
          });
        }
        ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (ContinuationToken);
      return found;
    },

    async delete(key) {
      validKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async presignGet(key, expiresInSeconds) {
      validKey(key);
      return presign(new GetObjectCommand({ Bucket, Key: key }), expiresInSeconds);
    },

    async presignPut(key, expiresInSeconds, contentType) {
      validKey(key);
      return presign(
        new PutObjectCommand({ Bucket, Key: key, ...(contentType ? { ContentType: contentType } : {}) }),
        expiresInSeconds,
      );
    },

    async createMultipart(key, contentType) {
      validKey(key);
      const out = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }));
      if (!out.UploadId) throw new AppError('internal', 'S3 returned no upload id');
      return { uploadId: out.UploadId };
    },

    async presignPart(key, uploadId, partNumber, expiresInSeconds, options = {}) {
      validKey(key);
      parse(PartNumber, partNumber, `part number must be 1..${MULTIPART.maxParts}`);
      const { contentLength } = options;
      return presign(
        new UploadPartCommand({
          Bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          ...(contentLength !== undefined ? { ContentLength: contentLength } : {}),
        }),
        expiresInSeconds,
        // S3 then refuses any other body length (the signature covers the header).
        contentLength !== undefined ? ['content-length'] : [],
      );
    },

    async listParts(key, uploadId) {
      validKey(key);
      const parts: UploadedPart[] = [];
      let PartNumberMarker: string | undefined;
      try {
        do {
          const out = await client.send(
            new ListPartsCommand({
              Bucket,
              Key: key,
              UploadId: uploadId,
              ...(PartNumberMarker ? { PartNumberMarker } : {}),
            }),
          );
          for (const part of out.Parts ?? []) {
            if (part.PartNumber === undefined) continue;
            parts.push({ partNumber: part.PartNumber, etag: part.ETag ?? '', size: part.Size ?? 0 });
          }
          PartNumberMarker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
        } while (PartNumberMarker);
      } catch (error) {
        throw mapS3Error(error, uploadId);
      }
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    },

    completeMultipart,

    async abortMultipart(key, uploadId) {
      validKey(key);
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }));
      } catch (error) {
        throw mapS3Error(error, uploadId);
      }
    },
  };
}
