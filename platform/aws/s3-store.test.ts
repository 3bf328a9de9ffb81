import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  NoSuchKey,
  NotFound,
  NoSuchUpload,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '#shared/errors.js';
import { sentCommands } from '#test/support/aws-mock.js';
import { s3Store } from './s3-store.js';

/**
 * Recorded-shape tests with aws-sdk-client-mock: the client's `send` answers what S3 answers
 * (upload ids, MD5 ETags, sizes, S3's own error classes) and records each command's exact input.
 * Presigning never sends; it runs for real, offline.
 */
function harness(configure: (s3: AwsClientStub<S3Client>) => void = () => {}) {
  const client = new S3Client({
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
  });
  const s3 = mockClient(client);
  configure(s3);
  const store = s3Store({ bucket: 'kinema-uploads', client });
  return { store, s3, sent: () => sentCommands(s3) };
}

/** An upload id as S3 makes them (the example in S3's API reference). */
const UPLOAD_ID = 'VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA';
/** S3's ETag of a single-part object or of one part: the MD5 of its bytes, quoted. */
const md5Etag = (body: Buffer | Uint8Array) => `"${createHash('md5').update(body).digest('hex')}"`;
const HELLO_ETAG = md5Etag(Buffer.from('hello world'));

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
const headAnswer = {
  ContentLength: 11,
  ETag: HELLO_ETAG,
  ContentType: 'video/mp4',
  LastModified: new Date('2030-01-01T00:00:00Z'),
};

afterEach(() => {
  vi.useRealTimers();
});

describe('objects', () => {
  it('puts a buffer with its content type, then reads its facts', async () => {
    const { store, s3, sent } = harness((s3) => {
      s3.on(PutObjectCommand).resolves({ ETag: HELLO_ETAG });
      s3.on(HeadObjectCommand).resolves(headAnswer);
    });
    const info = await store.put('videos/v1/poster.jpg', Buffer.from('hello world'), { contentType: 'image/jpeg' });
    expect(s3).toHaveReceivedCommandOnce(PutObjectCommand);
    expect(sent()).toEqual([
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
      etag: HELLO_ETAG,
      contentType: 'video/mp4',
      lastModified: '2030-01-01T00:00:00.000Z',
    });
  });

  it('puts a stream of unknown length as 8 MiB parts, one held at a time', async () => {
    const { store, s3, sent } = harness((s3) => {
      s3.on(CreateMultipartUploadCommand).resolves({
        Bucket: 'kinema-uploads',
        Key: 'sources/v1/source',
        UploadId: UPLOAD_ID,
      });
      s3.on(UploadPartCommand).callsFake((input: { Body: Buffer }) => ({ ETag: md5Etag(input.Body) }));
      s3.on(HeadObjectCommand).resolves(headAnswer);
    });
    const MiB = 1024 ** 2;
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(MiB, i));
    await store.put('sources/v1/source', Readable.from(chunks), { contentType: 'video/mp4' });
    expect(s3).toHaveReceivedCommandTimes(UploadPartCommand, 3);
    expect(sent().map((s) => s.command)).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'HeadObjectCommand',
    ]);
    const parts = s3.commandCalls(UploadPartCommand).map((call) => call.args[0].input);
    expect(parts.map((p) => [p.PartNumber, (p.Body as Buffer).length, p.UploadId])).toEqual([
      [1, 8 * MiB, UPLOAD_ID],
      [2, 8 * MiB, UPLOAD_ID],
      [3, 4 * MiB, UPLOAD_ID],
    ]);
    const bodies = parts.map((p) => p.Body as Buffer);
    expect(Buffer.concat(bodies).equals(Buffer.concat(chunks))).toBe(true);
    // Completion names each part by the ETag S3 gave for its bytes.
    expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      Bucket: 'kinema-uploads',
      Key: 'sources/v1/source',
      UploadId: UPLOAD_ID,
      MultipartUpload: { Parts: bodies.map((body, i) => ({ PartNumber: i + 1, ETag: md5Etag(body) })) },
    });
    // A short stream is one PutObject.
    const small = harness((s3) => {
      s3.on(PutObjectCommand).resolves({ ETag: md5Etag(Buffer.from('tiny')) });
      s3.on(HeadObjectCommand).resolves(headAnswer);
    });
    await small.store.put('a/b', Readable.from([Buffer.from('tiny')]));
    expect(small.sent().map((s) => s.command)).toEqual(['PutObjectCommand', 'HeadObjectCommand']);
    expect(small.s3).toHaveReceivedCommandWith(PutObjectCommand, { Body: Buffer.from('tiny') });
  });

  it('aborts the internal upload when a streamed put fails', async () => {
    const { store, s3 } = harness((s3) => {
      s3.on(CreateMultipartUploadCommand).resolves({ UploadId: UPLOAD_ID });
      s3.on(UploadPartCommand)
        .callsFakeOnce((input: { Body: Buffer }) => ({ ETag: md5Etag(input.Body) }))
        .rejects(new Error('socket hang up'));
      s3.on(AbortMultipartUploadCommand).resolves({});
    });
    const body = Readable.from(Array.from({ length: 12 }, () => Buffer.alloc(1024 ** 2)));
    expect(await codeOf(store.put('a/b', body))).toContain('socket hang up');
    expect(s3).toHaveReceivedLastCommandWith(AbortMultipartUploadCommand, {
      Bucket: 'kinema-uploads',
      Key: 'a/b',
      UploadId: UPLOAD_ID,
    });
    expect(s3).not.toHaveReceivedCommand(CompleteMultipartUploadCommand);
    expect(sentCommands(s3).at(-1)?.command).toBe('AbortMultipartUploadCommand');
  });

  it('gets with a Range, reporting the whole size, and maps a missing key to undefined', async () => {
    const { store, s3, sent } = harness((s3) => {
      s3.on(GetObjectCommand)
        .callsFakeOnce(() => ({
          // In Node the SDK hands the body out as a stream.
          Body: Readable.from([Buffer.from('world')]),
          ContentLength: 5,
          ContentRange: 'bytes 6-10/11',
          ETag: HELLO_ETAG,
          ContentType: 'text/plain',
          LastModified: new Date('2030-01-01T00:00:00Z'),
        }))
        .rejectsOnce(
          new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
        )
        .rejectsOnce(s3Error('InvalidRange', 416));
      s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    });
    const got = await store.get('a/b', { start: 6, end: 10 });
    expect(sent()[0]).toEqual({
      command: 'GetObjectCommand',
      input: { Bucket: 'kinema-uploads', Key: 'a/b', Range: 'bytes=6-10' },
    });
    expect(got?.info).toMatchObject({ size: 11, etag: HELLO_ETAG, contentType: 'text/plain' });
    expect(await text(got!.body)).toBe('world');
    expect(await store.get('a/b', { start: 3 })).toBeUndefined();
    expect(s3).toHaveReceivedNthCommandWith(GetObjectCommand, 2, { Range: 'bytes=3-' });
    expect(await codeOf(store.get('a/b', { start: 99 }))).toBe('invalid_input');
    expect(await store.head('a/b')).toBeUndefined();
  });

  it('lists every page and deletes', async () => {
    const item = (key: string) => ({ Key: key, Size: 1, ETag: md5Etag(Buffer.from(key)), LastModified: new Date(0) });
    // S3's continuation tokens are opaque strings of its own making.
    const token = '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=';
    const { store, s3, sent } = harness((s3) => {
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          Contents: [item('v/1'), item('v/2')],
          IsTruncated: true,
          KeyCount: 2,
          NextContinuationToken: token,
        })
        .resolvesOnce({ Contents: [item('v/3')], IsTruncated: false, KeyCount: 1 });
      s3.on(DeleteObjectCommand).resolves({});
    });
    expect((await store.list('v/')).map((o) => o.key)).toEqual(['v/1', 'v/2', 'v/3']);
    expect(sent().map((s) => s.input)).toEqual([
      { Bucket: 'kinema-uploads', Prefix: 'v/' },
      { Bucket: 'kinema-uploads', Prefix: 'v/', ContinuationToken: token },
    ]);
    await store.delete('v/1');
    expect(s3).toHaveReceivedLastCommandWith(DeleteObjectCommand, { Bucket: 'kinema-uploads', Key: 'v/1' });
  });

  it('refuses keys the local store would refuse, before calling S3', async () => {
    const { store, s3 } = harness();
    for (const key of ['../x', '/abs', 'a/../b', 'a b', '']) {
      expect(await codeOf(store.put(key, Buffer.from('x'))), key).toBe('invalid_input');
      expect(await codeOf(store.presignPart(key, 'up', 1, 60)), key).toBe('invalid_input');
    }
    expect(s3).not.toHaveReceivedAnyCommand();
  });
});

describe('multipart', () => {
  it('creates, lists every page of parts, completes and aborts with the exact inputs', async () => {
    const [a, b, c] = ['part one', 'part two', 'three'].map((bytes) => md5Etag(Buffer.from(bytes))) as [
      string,
      string,
      string,
    ];
    const { store, sent } = harness((s3) => {
      s3.on(CreateMultipartUploadCommand).resolves({
        Bucket: 'kinema-uploads',
        Key: 'sources/v1/source',
        UploadId: UPLOAD_ID,
      });
      s3.on(ListPartsCommand)
        .resolvesOnce({
          Parts: [
            { PartNumber: 2, ETag: b, Size: 5 },
            { PartNumber: 1, ETag: a, Size: 5 },
          ],
          IsTruncated: true,
          NextPartNumberMarker: '2',
        })
        .resolvesOnce({ Parts: [{ PartNumber: 3, ETag: c, Size: 1 }], IsTruncated: false });
      // A multipart object's ETag: the MD5 of the parts' MD5s, then "-<parts>".
      s3.on(CompleteMultipartUploadCommand).resolves({
        Location: 'https://kinema-uploads.s3.ap-northeast-1.amazonaws.com/sources/v1/source',
        Bucket: 'kinema-uploads',
        Key: 'sources/v1/source',
        ETag: '"3858f62230ac3c915f300c664312c11f-3"',
      });
      s3.on(HeadObjectCommand).resolves(headAnswer);
      s3.on(AbortMultipartUploadCommand).resolves({});
    });
    expect(await store.createMultipart('sources/v1/source', 'video/mp4')).toEqual({ uploadId: UPLOAD_ID });
    expect(await store.listParts('sources/v1/source', UPLOAD_ID)).toEqual([
      { partNumber: 1, etag: a, size: 5 },
      { partNumber: 2, etag: b, size: 5 },
      { partNumber: 3, etag: c, size: 1 },
    ]);
    const info = await store.completeMultipart('sources/v1/source', UPLOAD_ID, [
      { partNumber: 1, etag: a },
      { partNumber: 2, etag: b.slice(1, -1) },
      { partNumber: 3, etag: `W/${c}` },
    ]);
    expect(info.size).toBe(11);
    await store.abortMultipart('sources/v1/source', UPLOAD_ID);
    const base = { Bucket: 'kinema-uploads', Key: 'sources/v1/source' };
    expect(sent()).toEqual([
      { command: 'CreateMultipartUploadCommand', input: { ...base, ContentType: 'video/mp4' } },
      { command: 'ListPartsCommand', input: { ...base, UploadId: UPLOAD_ID } },
      { command: 'ListPartsCommand', input: { ...base, UploadId: UPLOAD_ID, PartNumberMarker: '2' } },
      {
        command: 'CompleteMultipartUploadCommand',
        input: {
          ...base,
          UploadId: UPLOAD_ID,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: a },
              { PartNumber: 2, ETag: b },
              { PartNumber: 3, ETag: c },
            ],
          },
        },
      },
      { command: 'HeadObjectCommand', input: base },
      { command: 'AbortMultipartUploadCommand', input: { ...base, UploadId: UPLOAD_ID } },
    ]);
  });

  it("maps S3's refusals to typed errors and checks the order before sending", async () => {
    const parts = [
      { partNumber: 1, etag: '"a"' },
      { partNumber: 2, etag: '"b"' },
    ];
    const noSuchUpload = new NoSuchUpload({
      message: 'The specified upload does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    const { store, s3 } = harness((s3) => {
      s3.on(CompleteMultipartUploadCommand)
        .rejectsOnce(noSuchUpload)
        .rejectsOnce(s3Error('InvalidPart', 400))
        .rejectsOnce(s3Error('InvalidPartOrder', 400))
        .rejectsOnce(s3Error('EntityTooSmall', 400))
        .rejectsOnce(s3Error('InternalError', 500));
      s3.on(ListPartsCommand).rejects(noSuchUpload);
      s3.on(AbortMultipartUploadCommand).rejects(noSuchUpload);
    });
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toBe('not_found');
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toBe('invalid_input');
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toBe('invalid_input');
    const tooSmall = await store.completeMultipart('k', 'up', parts).catch((e: unknown) => e);
    expect((tooSmall as AppError).message).toContain('at least 5242880 bytes');
    expect(await codeOf(store.completeMultipart('k', 'up', parts))).toContain('InternalError');
    expect(await codeOf(store.listParts('k', 'up'))).toBe('not_found');
    expect(await codeOf(store.abortMultipart('k', 'up'))).toBe('not_found');
    const before = s3.calls().length;
    expect(await codeOf(store.completeMultipart('k', 'up', [parts[1]!, parts[0]!]))).toBe('invalid_input');
    expect(await codeOf(store.completeMultipart('k', 'up', [parts[0]!, parts[0]!]))).toBe('invalid_input');
    expect(await codeOf(store.completeMultipart('k', 'up', []))).toBe('invalid_input');
    expect(s3.calls()).toHaveLength(before);
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
    const { store, s3 } = harness();
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
    expect(s3).not.toHaveReceivedAnyCommand(); // presigning is offline

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
