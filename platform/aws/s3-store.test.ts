import { NoSuchKey, NotFound, NoSuchUpload, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '#shared/errors.js';
import { s3Store } from './s3-store.js';
import { recordSdkCalls } from '#test/support/aws-sdk.js';
import type { SdkAnswer } from '#test/support/aws-sdk.js';

/**
 * Recorded-shape tests: `client.send` is replaced by a script that records each command's name
 * and input and answers what S3 would. Presigning never sends; it runs for real, offline.
 */
type Answer = SdkAnswer;

function harness(answers: Record<string, Answer | Answer[]> = {}, options: { publicEndpoint?: string } = {}) {
  const client = new S3Client({
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
  });
  const sent = recordSdkCalls(client, answers);
  const store = s3Store({ bucket: 'kinema-uploads', client, ...options });
  return { store, sent, client };
}

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
const fail = (error: Error) => () => {
  throw error;
};
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
const headAnswer = () => ({
  ContentLength: 11,
  ETag: '"etag"',
  ContentType: 'video/mp4',
  LastModified: new Date('2030-01-01T00:00:00Z'),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('objects', () => {
  it('puts a buffer with its content type, then reads its facts', async () => {
    const { store, sent } = harness({ HeadObjectCommand: headAnswer });
    const info = await store.put('videos/v1/poster.jpg', Buffer.from('hello world'), { contentType: 'image/jpeg' });
    expect(sent).toEqual([
      {
        command: 'PutObjectCommand',
        input: {
          Bucket: 'kinema-uploads',
          Key: 'videos/v1/poster.jpg',
          Body: Buffer.from('hello world'),
          ContentType: 'image/jpeg',
        },
      },
      { command: 'HeadObjectCommand', input: { Bucket: 'kinema-uploads', Key: 'videos/v1/poster.jpg' } },
    ]);
    expect(info).toEqual({
      key: 'videos/v1/poster.jpg',
      size: 11,
      etag: '"etag"',
      contentType: 'video/mp4',
      lastModified: '2030-01-01T00:00:00.000Z',
    });
  });

  it('puts a stream of unknown length as 8 MiB parts, one held at a time', async () => {
    const { store, sent } = harness({
      CreateMultipartUploadCommand: () => ({ UploadId: 'up-1' }),
      UploadPartCommand: (input) => ({ ETag: `"p${String(input.PartNumber)}"` }),
      HeadObjectCommand: headAnswer,
    });
    const MiB = 1024 ** 2;
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(MiB, i));
    await store.put('sources/v1/source', Readable.from(chunks), { contentType: 'video/mp4' });
    expect(sent.map((s) => s.command)).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'HeadObjectCommand',
    ]);
    const parts = sent.filter((s) => s.command === 'UploadPartCommand').map((s) => s.input);
    expect(parts.map((p) => [p.PartNumber, (p.Body as Buffer).length, p.UploadId])).toEqual([
      [1, 8 * MiB, 'up-1'],
      [2, 8 * MiB, 'up-1'],
      [3, 4 * MiB, 'up-1'],
    ]);
    expect(Buffer.concat(parts.map((p) => p.Body as Buffer)).equals(Buffer.concat(chunks))).toBe(true);
    expect(sent[4]?.input).toEqual({
      Bucket: 'kinema-uploads',
      Key: 'sources/v1/source',
      UploadId: 'up-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"p1"' },
          { PartNumber: 2, ETag: '"p2"' },
          { PartNumber: 3, ETag: '"p3"' },
        ],
      },
    });
    // A short stream is one PutObject.
    const small = harness({ HeadObjectCommand: headAnswer });
    await small.store.put('a/b', Readable.from([Buffer.from('tiny')]));
    expect(small.sent.map((s) => s.command)).toEqual(['PutObjectCommand', 'HeadObjectCommand']);
    expect(small.sent[0]?.input.Body).toEqual(Buffer.from('tiny'));
  });

  it('aborts the internal upload when a streamed put fails', async () => {
    const { store, sent } = harness({
      CreateMultipartUploadCommand: () => ({ UploadId: 'up-9' }),
      UploadPartCommand: [() => ({ ETag: '"p1"' }), fail(new Error('socket hang up'))],
    });
    const body = Readable.from(Array.from({ length: 12 }, () => Buffer.alloc(1024 ** 2)));
    expect(await codeOf(store.put('a/b', body))).toContain('socket hang up');
    expect(sent.at(-1)).toEqual({
      command: 'AbortMultipartUploadCommand',
      input: { Bucket: 'kinema-uploads', Key: 'a/b', UploadId: 'up-9' },
    });
  });

  it('gets with a Range, reporting the whole size, and maps a missing key to undefined', async () => {
    const { store, sent } = harness({
      GetObjectCommand: [
        () => ({
          Body: Readable.from([Buffer.from('world')]),
          ContentLength: 5,
          ContentRange: 'bytes 6-10/11',
          ETag: '"e"',
          ContentType: 'text/plain',
          LastModified: new Date('2030-01-01T00:00:00Z'),
        }),
        fail(new NoSuchKey({ message: 'missing', $metadata: { httpStatusCode: 404 } })),
        fail(s3Error('InvalidRange', 416)),
      ],
      HeadObjectCommand: fail(new NotFound({ message: 'missing', $metadata: { httpStatusCode: 404 } })),
    });
    const got = await store.get('a/b', { start: 6, end: 10 });
    expect(sent[0]).toEqual({
      command: 'GetObjectCommand',
      input: { Bucket: 'kinema-uploads', Key: 'a/b', Range: 'bytes=6-10' },
    });
    expect(got?.info).toMatchObject({ size: 11, etag: '"e"', contentType: 'text/plain' });
    expect(await text(got!.body)).toBe('world');
    expect(await store.get('a/b', { start: 3 })).toBeUndefined();
    expect(sent[1]?.input.Range).toBe('bytes=3-');
    expect(await codeOf(store.get('a/b', { start: 99 }))).toBe('invalid_input');
    expect(await store.head('a/b')).toBeUndefined();
  });

  it('lists every page and deletes', async () => {
    const item = (key: string) => ({ Key: key, Size: 1, ETag: '"x"', LastModified: new Date(0) });
    const { store, sent } = harness({
      ListObjectsV2Command: [
        () => ({ Contents: [item('v/1'), item('v/2')], IsTruncated: true, NextContinuationToken: 'page-2' }),
        () => ({ Contents: [item('v/3')], IsTruncated: false }),
      ],
    });
    expect((await store.list('v/')).map((o) => o.key)).toEqual(['v/1', 'v/2', 'v/3']);
    expect(sent.map((s) => s.input)).toEqual([
      { Bucket: 'kinema-uploads', Prefix: 'v/' },
      { Bucket: 'kinema-uploads', Prefix: 'v/', ContinuationToken: 'page-2' },
    ]);
    await store.delete('v/1');
    expect(sent.at(-1)).toEqual({ command: 'DeleteObjectCommand', input: { Bucket: 'kinema-uploads', Key: 'v/1' } });
  });

  it('refuses keys the local store would refuse, before calling S3', async () => {
    const { store, sent } = harness();
    for (const key of ['../x', '/abs', 'a/../b', 'a b', '']) {
      expect(await codeOf(store.put(key, Buffer.from('x'))), key).toBe('invalid_input');
      expect(await codeOf(store.presignPart(key, 'up', 1, 60)), key).toBe('invalid_input');
    }
    expect(sent).toEqual([]);
  });
});

describe('multipart', () => {
  it('creates, lists every page of parts, completes and aborts with the exact inputs', async () => {
    const { store, sent } = harness({
      CreateMultipartUploadCommand: () => ({ UploadId: 'up-1' }),
      ListPartsCommand: [
        () => ({
          Parts: [
            { PartNumber: 2, ETag: '"b"', Size: 5 },
            { PartNumber: 1, ETag: '"a"', Size: 5 },
          ],
          IsTruncated: true,
          NextPartNumberMarker: '2',
        }),
        () => ({ Parts: [{ PartNumber: 3, ETag: '"c"', Size: 1 }], IsTruncated: false }),
      ],
      HeadObjectCommand: headAnswer,
    });
    expect(await store.createMultipart('sources/v1/source', 'video/mp4')).toEqual({ uploadId: 'up-1' });
    expect(await store.listParts('sources/v1/source', 'up-1')).toEqual([
      { partNumber: 1, etag: '"a"', size: 5 },
      { partNumber: 2, etag: '"b"', size: 5 },
      { partNumber: 3, etag: '"c"', size: 1 },
    ]);
    const info = await store.completeMultipart('sources/v1/source', 'up-1', [
      { partNumber: 1, etag: '"a"' },
      { partNumber: 2, etag: 'b' },
      { partNumber: 3, etag: 'W/"c"' },
    ]);
    expect(info.size).toBe(11);
    await store.abortMultipart('sources/v1/source', 'up-1');
    const base = { Bucket: 'kinema-uploads', Key: 'sources/v1/source' };
    expect(sent).toEqual([
      { command: 'CreateMultipartUploadCommand', input: { ...base, ContentType: 'video/mp4' } },
      { command: 'ListPartsCommand', input: { ...base, UploadId: 'up-1' } },
      { command: 'ListPartsCommand', input: { ...base, UploadId: 'up-1', PartNumberMarker: '2' } },
      {
        command: 'CompleteMultipartUploadCommand',
        input: {
          ...base,
          UploadId: 'up-1',
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: '"a"' },
              { PartNumber: 2, ETag: '"b"' },
              { PartNumber: 3, ETag: '"c"' },
            ],
          },
        },
      },
      { command: 'HeadObjectCommand', input: base },
      { command: 'AbortMultipartUploadCommand', input: { ...base, UploadId: 'up-1' } },
    ]);
  });

  it("maps S3's refusals to typed errors and checks the order before sending", async () => {
    const parts = [
      { partNumber: 1, etag: '"a"' },
      { partNumber: 2, etag: '"b"' },
    ];
    const noSuchUpload = new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } });
    const { store, sent } = harness({
      CompleteMultipartUploadCommand: [
        fail(noSuchUpload),
        fail(s3Error('InvalidPart', 400)),
        fail(s3Error('InvalidPartOrder', 400)),
        fail(s3Error('EntityTooSmall', 400)),
        fail(s3Error('InternalError', 500)),
      ],
      ListPartsCommand: fail(noSuchUpload),
      AbortMultipartUploadCommand: fail(noSuchUpload),
    });
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toBe('not_found');
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toBe('invalid_input');
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toBe('invalid_input');
    const tooSmall = await store.completeMultipart('k', 'up', parts).catch((e: unknown) => e);
    expect((tooSmall as AppError).message).toContain('at least 5242880 bytes');
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toContain('InternalError');
    expect(await codeOf(store.listParts('k', 'up'))).toBe('not_found');
    expect(await codeOf(store.abortMultipart('k', 'up'))).toBe('not_found');
    const before = sent.length;
    expect(await codeOf(store.completeMultipart('k', 'up', [parts[1]!, parts[0]!]))).toBe('invalid_input');
    expect(await codeOf(store.completeMultipart('k', 'up', [parts[0]!, parts[0]!]))).toBe('invalid_input');
    expect(await codeOf(store.completeMultipart('k', 'up', []))).toBe('invalid_input');
    expect(sent.length).toBe(before);
  });
});

describe('presigned URLs', () => {
  it('signs the planned Content-Length into a part URL, so S3 refuses any other body length', async () => {
    const { store } = harness();
    const url = new URL(await store.presignPart('sources/v1/source', 'up-1', 3, 900, { contentLength: 8 * 1024 ** 2 }));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect(url.searchParams.get('partNumber')).toBe('3');
  });

  it('presigns an UploadPart URL carrying the part, the upload and the expiry, without a body checksum', async () => {
    const { store, sent } = harness();
    const url = new URL(await store.presignPart('sources/v1/source', 'up-1', 7, 900));
    expect(url.origin).toBe('https://kinema-uploads.s3.ap-northeast-1.amazonaws.com');
    expect(url.pathname).toBe('/sources/v1/source');
    expect(url.searchParams.get('partNumber')).toBe('7');
    expect(url.searchParams.get('uploadId')).toBe('up-1');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // The SDK's CRC32 of an empty body would make S3 refuse the real bytes.
    expect([...url.searchParams.keys()].filter((k) => k.startsWith('x-amz-checksum'))).toEqual([]);
    expect(url.searchParams.get('x-amz-sdk-checksum-algorithm')).toBeNull();
    expect(sent).toEqual([]); // presigning is offline

    const put = new URL(await store.presignPut('posters/v1.jpg', 60, 'image/jpeg'));
    expect(put.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(put.searchParams.get('x-amz-checksum-crc32')).toBeNull();
    const get = new URL(await store.presignGet('posters/v1.jpg', 300));
    expect(get.searchParams.get('x-id')).toBe('GetObject');
    expect(await codeOf(store.presignGet('posters/v1.jpg', 8 * 24 * 3600))).toBe('invalid_input');
    expect(await codeOf(store.presignPart('a', 'up', 10_001, 60))).toBe('invalid_input');
  });

  it('signs for the public endpoint when one is given', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const internal = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
    });
    const viaPublic = s3Store({ bucket: 'b', client: internal, publicEndpoint: 'http://localhost:9000' });
    const signedForPublic = s3Store({
      bucket: 'b',
      client: new S3Client({
        region: 'us-east-1',
        endpoint: 'http://localhost:9000',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
      }),
    });
    const url = await viaPublic.presignPart('k/v', 'up', 1, 60);
    expect(url.startsWith('http://localhost:9000/b/k/v?')).toBe(true);
    // Same signature as a client configured with that endpoint: the Host it names was signed.
    expect(url).toBe(await signedForPublic.presignPart('k/v', 'up', 1, 60));
    expect(await s3Store({ bucket: 'b', client: internal }).presignPart('k/v', 'up', 1, 60)).toMatch(
      /^http:\/\/minio:9000\/b\/k\/v\?/,
    );
  });
});
