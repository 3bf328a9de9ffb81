import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sentCommands } from '#test/support/aws-mock.js';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { VideoUploaded } from '#shared/events/catalog.js';
import { unauthorized } from '#shared/errors.js';
import { createLogger } from '#shared/log.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { parseMasterPlaylist } from '#services/media/src/domain/playlist.js';
import { createMediaLambda, mediaClients } from './media.js';
import type { MediaEnv } from './media.js';
import { mediaStore } from '#services/media/src/store.js';

/**
 * The media service's AWS composition with mocked SDK clients (aws-sdk-client-mock): S3 is an
 * in-memory bucket map, Step Functions answers StartExecution, DynamoDB is a sqliteTable. The
 * probe runs the real ffprobe against a presigned URL served from the same map over local HTTP.
 */
const UPLOADS = 'kinema-app-uploads-ap-northeast-1';
const MEDIA = 'kinema-app-media-ap-northeast-1';
const MACHINE = 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:kinema-media-pipeline';
const ROLE = 'arn:aws:iam::123456789012:role/kinema-ap-northeast-1-mediaconvert';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' };

const buckets = new Map<string, Map<string, { body: Buffer; contentType?: string }>>();
const bucket = (name: string) => {
  let found = buckets.get(name);
  if (!found) buckets.set(name, (found = new Map()));
  return found;
};
let s3Mock: AwsClientStub<S3Client>;
let sfnMock: AwsClientStub<SFNClient>;
/** The S3 commands sent so far, bodies shown by their size. */
const s3Sent = (): { command: string; input: Record<string, unknown> }[] =>
  sentCommands(s3Mock).map(({ command, input }) => ({
    command,
    input: { ...input, ...(Buffer.isBuffer(input.Body) ? { Body: `<${input.Body.length} bytes>` } : {}) },
  }));
const sfnSent = () => sentCommands(sfnMock);
const md5Etag = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

/** S3 as an in-memory bucket map behind aws-sdk-client-mock, answering with S3's own shapes and errors. */
function fakeS3(endpoint: string) {
  const client = mediaClients({ region: 'ap-northeast-1', endpoint, forcePathStyle: true, credentials }).s3;
  s3Mock = mockClient(client);
  type Input = { Bucket: string; Key: string; Prefix?: string; Body?: Buffer; ContentType?: string };
  const find = (input: Input) => bucket(input.Bucket).get(input.Key);
  s3Mock.on(PutObjectCommand).callsFake((input: Input) => {
    const body = input.Body as Buffer;
    bucket(input.Bucket).set(input.Key, { body, contentType: input.ContentType });
    return { ETag: md5Etag(body) };
  });
  s3Mock.on(HeadObjectCommand).callsFake((input: Input) => {
    const object = find(input);
    if (!object) throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return { ContentLength: object.body.length, ETag: md5Etag(object.body), ContentType: object.contentType };
  });
  s3Mock.on(GetObjectCommand).callsFake((input: Input) => {
    const object = find(input);
    if (!object) {
      throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    }
    return { Body: Readable.from([object.body]), ContentLength: object.body.length, ETag: md5Etag(object.body) };
  });
  s3Mock.on(ListObjectsV2Command).callsFake((input: Input) => {
    const contents = [...bucket(input.Bucket).entries()]
      .filter(([key]) => key.startsWith(input.Prefix ?? ''))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => ({ Key: key, Size: value.body.length, ETag: md5Etag(value.body) }));
    return { Contents: contents, KeyCount: contents.length, IsTruncated: false };
  });
  s3Mock.on(DeleteObjectCommand).callsFake((input: Input) => {
    bucket(input.Bucket).delete(input.Key);
    return {};
  });
  return client;
}

/** Step Functions: an execution's ARN is its state machine's with `:execution:` and the name. */
function fakeSfn() {
  const client = mediaClients({ region: 'ap-northeast-1', credentials }).sfn;
  sfnMock = mockClient(client);
  sfnMock.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
    executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
    startDate: new Date(now),
  }));
  return client;
}

/** Serves the fake buckets at /<bucket>/<key> with single byte ranges, as S3 answers a presigned GET. */
function objectServer(): Server {
  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, name, ...rest] = url.pathname.split('/');
    const object = bucket(name ?? '').get(decodeURIComponent(rest.join('/')));
    if (!object || !url.searchParams.has('X-Amz-Signature')) {
      response.writeHead(object ? 403 : 404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const size = object.body.length;
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      response.writeHead(206, {
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': end - start + 1,
        'accept-ranges': 'bytes',
      });
      response.end(object.body.subarray(start, end + 1));
      return;
    }
    response.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
    response.end(object.body);
  });
}

const verifier: TokenVerifier = {
  async verify(token) {
    if (token === 'admin') return { userId: 'u-admin', roles: ['admin'] };
    throw unauthorized();
  },
};

const dir = mkdtempSync(join(tmpdir(), 'kinema-media-lambda-'));
const { ffmpegPath, ffprobePath } = ffmpegBinaries(process.env.PATH);
let server: Server;
let endpoint: string;
let source: Buffer;

beforeAll(async () => {
  const file = join(dir, 'source.mp4');
  execFileSync(
    ffmpegPath,
    [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=2'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file],
    ],
    { stdio: 'pipe' },
  );
  source = readFileSync(file);
  server = objectServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

let table: SqliteTable;
let now: number;
let logs: Record<string, unknown>[];

function compose(env: Partial<MediaEnv> = {}) {
  return createMediaLambda({
    env: {
      UPLOADS_BUCKET: UPLOADS,
      MEDIA_BUCKET: MEDIA,
      MEDIA_PIPELINE_ARN: MACHINE,
      MEDIACONVERT_ROLE_ARN: ROLE,
      ...env,
    },
    table,
    verifier,
    clock: { now: () => now },
    logger: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
    s3: fakeS3(endpoint),
    sfn: fakeSfn(),
    ffprobePath,
    scratchDir: join(dir, 'bin'),
  });
}

beforeEach(() => {
  buckets.clear();
  logs = [];
  now = Date.parse('2026-01-01T00:00:00Z');
  table = sqliteTable({ file: ':memory:' });
  return () => table.close();
});

const events = () => table.outbox.pending(100).map((row) => row.envelope);

/** An API Gateway HTTP API (v2) event for the service's handler; a body goes base64-encoded. */
const apiEvent = (method: string, path: string, body?: Buffer) =>
  ({
    version: '2.0',
    routeKey: 'ANY /api/media/{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'api.example.com',
      authorization: 'Bearer admin',
      ...(body ? { 'content-type': 'application/x-subrip', 'content-length': String(body.length) } : {}),
    },
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 't' },
      domainName: 'api.example.com',
      requestId: 'r1',
      routeKey: 'ANY /api/media/{proxy+}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      accountId: '123456789012',
      apiId: 'api',
      domainPrefix: 'api',
    },
    ...(body ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  }) as never;
const record = async (videoId: string) => (await mediaStore(table).find(videoId))?.video;

/** What EventBridge hands the events function: the bus envelope with account and region. */
const uploadedEvent = (videoId: string) => ({
  ...VideoUploaded.create(
    { videoId, sourceKey: `sources/${videoId}/source`, size: source.length, contentType: 'video/mp4' },
    now,
  ),
  account: '123456789012',
  region: 'ap-northeast-1',
});

/** Delivers VideoUploaded to the events function: the run begins with a named execution. */
async function upload(lambda: ReturnType<typeof compose>, videoId: string, body = source) {
  bucket(UPLOADS).set(`sources/${videoId}/source`, { body, contentType: 'video/mp4' });
  const event = uploadedEvent(videoId);
  await lambda.onEvent(event);
  return event;
}

/** A STATUS_UPDATE as MediaConvert sends it to the default bus. */
const jobEvent = (status: string, userMetadata: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: `evt-${status}-${Math.random()}`,
  'detail-type': 'MediaConvert Job State Change',
  source: 'aws.mediaconvert',
  account: '123456789012',
  time: '2026-01-01T00:01:00Z',
  region: 'ap-northeast-1',
  resources: ['arn:aws:mediaconvert:ap-northeast-1:123456789012:jobs/1767225600000-abc123'],
  detail: {
    timestamp: 1767225660000,
    accountId: '123456789012',
    queue: 'arn:aws:mediaconvert:ap-northeast-1:123456789012:queues/Default',
    jobId: '1767225600000-abc123',
    status,
    userMetadata,
    ...extra,
  },
});

/** fMP4 init segments: what `codecsFromInit` reads (avcC profile/compat/level; mp4a for AAC). */
const videoInit = (level: number) =>
  Buffer.concat([
    Buffer.alloc(16),
    Buffer.from('avcC', 'latin1'),
    Buffer.from([1, 0x64, 0x00, level]),
    Buffer.alloc(8),
  ]);
const audioInit = () => Buffer.concat([Buffer.alloc(16), Buffer.from('mp4a', 'latin1'), Buffer.alloc(8)]);

const mediaPlaylist = (name: string) =>
  [
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:6',
    '#EXT-X-VERSION:6',
    '#EXT-X-MEDIA-SEQUENCE:1',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="index_${name}_init.mp4"`,
    '#EXTINF:6.00000,',
    `index_${name}_00001.mp4`,
    '#EXTINF:2.00000,',
    `index_${name}_00002.mp4`,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');

/** What MediaConvert's job (HLS CMAF group + the Stills group) leaves in the media bucket. */
function writeMediaConvertOutputs(
  videoId: string,
  rungs = [
    { name: '416x234', level: 0x15, bytes: [150_000, 40_000] },
    { name: '640x360', level: 0x1e, bytes: [300_000, 90_000] },
  ],
) {
  const media = bucket(MEDIA);
  const hls = `media/videos/${videoId}/hls/`;
  const put = (key: string, body: Buffer) => media.set(key, { body });
  for (const rung of rungs) {
    put(`${hls}index_${rung.name}.m3u8`, Buffer.from(mediaPlaylist(rung.name)));
    put(`${hls}index_${rung.name}_init.mp4`, videoInit(rung.level));
    rung.bytes.forEach((size, index) => put(`${hls}index_${rung.name}_0000${index + 1}.mp4`, Buffer.alloc(size)));
  }
  put(`${hls}index_audio.m3u8`, Buffer.from(mediaPlaylist('audio')));
  put(`${hls}index_audio_init.mp4`, audioInit());
  put(`${hls}index_audio_00001.mp4`, Buffer.alloc(96_000));
  put(`${hls}index_audio_00002.mp4`, Buffer.alloc(32_000));
  put(`${hls}index.m3u8`, Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nindex_416x234.m3u8\n'));
  const captures = `media/videos/${videoId}/captures/`;
  for (let n = 0; n < 2; n++) put(`${captures}still_poster.000000${n}.jpg`, Buffer.from(`poster ${n}`));
  for (let n = 0; n < 5; n++) put(`${captures}still_thumb.000000${n}.jpg`, Buffer.from(`thumb ${n}`));
  // The Storyboard group: one frame capture per interval, from the first frame.
  for (let n = 0; n < 3; n++) put(`${hls}storyboard/frame.000000${n}.jpg`, Buffer.from(`frame ${n}`));
}

describe('media Lambda on AWS (stubbed S3 and Step Functions, sqliteTable for DynamoDB)', () => {
  it('runs a video from upload to ready: start, probe + MediaConvert job, progress, finalize, publish', async () => {
    const lambda = compose();

    // VideoUploaded → StartExecution, named after the run so a redelivery is the same execution.
    const uploaded = await upload(lambda, 'v1');
    await lambda.onEvent(uploaded); // a redelivery: the inbox drops it
    expect(sfnSent()).toEqual([
      {
        command: 'StartExecutionCommand',
        input: {
          stateMachineArn: MACHINE,
          name: 'v1-r1',
          input: JSON.stringify({ videoId: 'v1', sourceKey: 'sources/v1/source', run: 1 }),
        },
      },
    ]);
    expect(await record('v1')).toMatchObject({
      state: 'processing',
      executionId: 'arn:aws:states:ap-northeast-1:123456789012:execution:kinema-media-pipeline:v1-r1',
    });

    // Probe: the real ffprobe reads the source through a presigned URL; the job is MediaConvert's.
    bucket(MEDIA).set('media/videos/v1/hls/master.m3u8', { body: Buffer.from('an older ladder') });
    const probed = await lambda.probe({ videoId: 'v1', sourceKey: 'sources/v1/source', run: 1 });
    expect(probed).toMatchObject({ accepted: true, rungs: 2 });
    const job = (probed as { job: { Role: string; Settings: Record<string, unknown>; UserMetadata: object } }).job;
    expect(job.Role).toBe(ROLE);
    expect(job.UserMetadata).toEqual({ videoId: 'v1', run: '1' });
    const settings = JSON.stringify(job.Settings);
    expect(settings).toContain(`"FileInput":"s3://${UPLOADS}/sources/v1/source"`);
    expect(settings).toContain(`"Destination":"s3://${MEDIA}/media/videos/v1/hls/index"`);
    expect(settings).toContain(`"Destination":"s3://${MEDIA}/media/videos/v1/captures/still"`);
    expect(settings).toContain(`"Destination":"s3://${MEDIA}/media/videos/v1/hls/storyboard/frame"`);
    expect(settings).toContain('"FramerateNumerator":30,"FramerateDenominator":1');
    expect(settings).toContain('"AudioGroupId":"program_audio"');
    expect(bucket(MEDIA).has('media/videos/v1/hls/master.m3u8')).toBe(false); // the older ladder is gone
    expect((await record('v1'))?.plan).toMatchObject({ hasAudio: true, frameRate: 30 });

    // MediaConvert STATUS_UPDATE → progress (monotonic, so repeats and stale reports change nothing).
    const metadata = { videoId: 'v1', run: '1' };
    const update = (percent: number) =>
      jobEvent('STATUS_UPDATE', metadata, { jobProgress: { jobPercentComplete: percent } });
    expect(await lambda.onMediaConvert(update(40))).toEqual({ recorded: true });
    expect(await lambda.onMediaConvert(update(40))).toEqual({ recorded: false });
    expect(await lambda.onMediaConvert(update(25))).toEqual({ recorded: false });
    expect(
      await lambda.onMediaConvert(
        jobEvent('STATUS_UPDATE', { videoId: 'v1', run: '0' }, { jobProgress: { jobPercentComplete: 90 } }),
      ),
    ).toEqual({ recorded: false });
    expect(await lambda.onMediaConvert(jobEvent('COMPLETE', metadata))).toEqual({ recorded: true });
    expect((await record('v1'))?.progress).toBe(99);
    expect(
      events()
        .filter((event) => event['detail-type'] === 'VideoProcessing')
        .map((event) => (event.detail as { progress: number }).progress),
    ).toEqual([0, 40, 99]);

    // Finalize: stills moved into place, master written with the audio group MediaConvert's CMAF needs.
    writeMediaConvertOutputs('v1');
    const finalized = await lambda.finalize({ videoId: 'v1', run: 1 });
    expect(finalized.posterKey).toBe('media/videos/v1/poster.jpg');
    expect(bucket(MEDIA).get('media/videos/v1/poster.jpg')?.body.toString()).toBe('poster 1');
    expect(finalized.thumbnailKeys).toEqual([1, 2, 3, 4].map((n) => `media/videos/v1/thumbnails/0${n}.jpg`));
    expect(bucket(MEDIA).get('media/videos/v1/thumbnails/01.jpg')?.body.toString()).toBe('thumb 1');
    expect([...bucket(MEDIA).keys()].some((key) => key.includes('/captures/'))).toBe(false);
    // The storyboard's track names MediaConvert's frames (no sprite sheets on AWS).
    expect(finalized.storyboardKey).toBe('media/videos/v1/hls/storyboard/thumbnails.vtt');
    const track = bucket(MEDIA).get('media/videos/v1/hls/storyboard/thumbnails.vtt');
    expect(track?.contentType).toBe('text/vtt');
    const cues = track!.body.toString().trim().split('\n\n').slice(1);
    expect(cues.length).toBeGreaterThan(0);
    expect(cues.length).toBeLessThanOrEqual(3);
    expect(cues[0]).toMatch(/^00:00:00\.000 --> 00:00:0\d\.000\nframe\.0000000\.jpg#xywh=0,0,\d+,\d+$/);
    const master = bucket(MEDIA).get('media/videos/v1/hls/master.m3u8');
    expect(master?.contentType).toBe('application/vnd.apple.mpegurl');
    const parsed = parseMasterPlaylist(master!.body.toString());
    expect(parsed.tags).toContain(
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Main",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="index_audio.m3u8"',
    );
    // Audio: 128 000 bytes over 8 s = 128 kb/s average, peak 96 000 B / 6 s = 128 kb/s.
    expect(parsed.variants.map((variant) => [variant.uri, variant.attributes])).toEqual([
      [
        'index_416x234.m3u8',
        {
          BANDWIDTH: String(200_000 + 128_000),
          'AVERAGE-BANDWIDTH': String(190_000 + 128_000),
          CODECS: 'avc1.640015,mp4a.40.2',
          RESOLUTION: '416x234',
          'FRAME-RATE': '30.000',
          AUDIO: 'audio',
        },
      ],
      [
        'index_640x360.m3u8',
        {
          BANDWIDTH: String(400_000 + 128_000),
          'AVERAGE-BANDWIDTH': String(390_000 + 128_000),
          CODECS: 'avc1.64001e,mp4a.40.2',
          RESOLUTION: '640x360',
          'FRAME-RATE': '30.000',
          AUDIO: 'audio',
        },
      ],
    ]);

    // A retried finalize (the captures are gone by then) finds the stills where it left them.
    expect((await lambda.finalize({ videoId: 'v1', run: 1 })).posterKey).toBe('media/videos/v1/poster.jpg');

    // Publish: the record and VideoReady commit together through the outbox.
    expect(await lambda.publish({ kind: 'ready', videoId: 'v1', run: 1, result: finalized })).toEqual({
      published: true,
      state: 'ready',
    });
    expect(await record('v1')).toMatchObject({ state: 'ready', progress: 100 });
    const ready = events().find((event) => event['detail-type'] === 'VideoReady');
    expect(ready?.detail).toMatchObject({
      videoId: 'v1',
      posterKey: 'media/videos/v1/poster.jpg',
      renditions: [{ name: '416x234', codecs: 'avc1.640015,mp4a.40.2' }, { name: '640x360' }],
    });
  });

  it('reads the recorded S3 commands: presigned GET only for the source, listing and copies on the media bucket', async () => {
    const lambda = compose();
    await upload(lambda, 'v2');
    s3Mock.resetHistory();
    await lambda.probe({ videoId: 'v2', sourceKey: 'sources/v2/source', run: 1 });
    // Presigning sends nothing: the source is read by ffprobe over HTTP, not through the SDK.
    expect(s3Sent().filter((entry) => entry.input.Bucket === UPLOADS)).toEqual([]);
    expect(s3Sent()).toEqual([
      { command: 'DeleteObjectCommand', input: { Bucket: MEDIA, Key: 'media/videos/v2/hls/master.m3u8' } },
      { command: 'ListObjectsV2Command', input: { Bucket: MEDIA, Prefix: 'media/videos/v2/' } },
    ]);
    writeMediaConvertOutputs('v2');
    s3Mock.resetHistory();
    await lambda.finalize({ videoId: 'v2', run: 1 });
    const commands = s3Sent().map((entry) => `${entry.command} ${String(entry.input.Key ?? entry.input.Prefix)}`);
    expect(commands.slice(0, 4)).toEqual([
      'ListObjectsV2Command media/videos/v2/captures/',
      'GetObjectCommand media/videos/v2/captures/still_poster.0000001.jpg',
      'PutObjectCommand media/videos/v2/poster.jpg',
      'HeadObjectCommand media/videos/v2/poster.jpg',
    ]);
    expect(s3Sent().find((entry) => entry.command === 'PutObjectCommand')?.input).toEqual({
      Bucket: MEDIA,
      Key: 'media/videos/v2/poster.jpg',
      Body: '<8 bytes>',
      ContentType: 'image/jpeg',
    });
    expect(commands).toContain('DeleteObjectCommand media/videos/v2/captures/still_thumb.0000004.jpg');
    // The master is written last; the subtitle refresh reads it back and, with no subtitles, leaves it.
    const master = commands.lastIndexOf('PutObjectCommand media/videos/v2/hls/master.m3u8');
    expect(commands.slice(master + 1).every((command) => !command.startsWith('PutObjectCommand'))).toBe(true);
    expect(commands.slice(master + 1)).toContain('GetObjectCommand media/videos/v2/hls/master.m3u8');
  });

  it('publishes subtitles on S3 without a transcode: source, segments, playlist, then the master', async () => {
    const lambda = compose();
    await upload(lambda, 'v7');
    await lambda.probe({ videoId: 'v7', sourceKey: 'sources/v7/source', run: 1 });
    writeMediaConvertOutputs('v7');
    const finalized = await lambda.finalize({ videoId: 'v7', run: 1 });
    await lambda.publish({ kind: 'ready', videoId: 'v7', run: 1, result: finalized });
    s3Mock.resetHistory();

    // A Shift_JIS SRT through API Gateway (binary bodies arrive base64-encoded).
    const srt = '1\r\n00:00:01,000 --> 00:00:03,000\r\n\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\r\n';
    const response = (await lambda.handler(
      apiEvent('PUT', '/api/media/videos/v7/subtitles/ja', Buffer.from(srt, 'latin1')),
    )) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(201);
    const { revision } = JSON.parse(response.body) as { revision: string };
    const folder = `media/videos/v7/hls/sub_ja_${revision}/`;
    expect(
      s3Sent()
        .filter((entry) => entry.command === 'PutObjectCommand')
        .map((entry) => entry.input),
    ).toEqual([
      {
        Bucket: MEDIA,
        Key: `media/videos/v7/subtitles/ja/${revision}.vtt`,
        Body: '<54 bytes>',
        ContentType: 'text/vtt; charset=utf-8',
      },
      ...[
        [`${folder}seg_00000.vtt`, '<98 bytes>'],
        [`${folder}seg_00001.vtt`, '<51 bytes>'],
      ].map(([Key, Body]) => ({
        Bucket: MEDIA,
        Key,
        Body,
        ContentType: 'text/vtt; charset=utf-8',
        CacheControl: 'max-age=60',
      })),
      {
        Bucket: MEDIA,
        Key: `${folder}index.m3u8`,
        Body: expect.any(String),
        ContentType: 'application/vnd.apple.mpegurl',
        CacheControl: 'max-age=10',
      },
      {
        Bucket: MEDIA,
        Key: 'media/videos/v7/hls/master.m3u8',
        Body: expect.any(String),
        ContentType: 'application/vnd.apple.mpegurl',
        // Rewritten in place: CloudFront keeps it seconds, not the day of an object without a header.
        CacheControl: 'max-age=10',
      },
    ]);
    expect(bucket(MEDIA).get(`${folder}seg_00000.vtt`)?.body.toString()).toContain('こんにちは');
    const master = parseMasterPlaylist(bucket(MEDIA).get('media/videos/v7/hls/master.m3u8')!.body.toString());
    expect(master.tags).toContain(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="日本語",LANGUAGE="ja",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="sub_ja_${revision}/index.m3u8"`,
    );
    expect(master.tags.some((tag) => tag.startsWith('#EXT-X-MEDIA:TYPE=AUDIO'))).toBe(true); // the audio group stays
    expect(master.variants.map((variant) => variant.attributes.SUBTITLES)).toEqual(['subs', 'subs']);
    expect(events().at(-1)).toMatchObject({
      'detail-type': 'SubtitlesChanged',
      detail: { videoId: 'v7', language: 'ja', revision },
    });
  });

  it('lists and keeps only the per-title ladder: a rung costing barely more than the one below is dropped', async () => {
    const lambda = compose();
    await upload(lambda, 'v9');
    await lambda.probe({ videoId: 'v9', sourceKey: 'sources/v9/source', run: 1 });
    // At QVBR the 360p rung costs 5 % more than the 234p one: its extra pixels show nothing more.
    writeMediaConvertOutputs('v9', [
      { name: '416x234', level: 0x15, bytes: [150_000, 40_000] },
      { name: '640x360', level: 0x1e, bytes: [157_500, 42_000] },
    ]);
    const finalized = await lambda.finalize({ videoId: 'v9', run: 1 });
    expect(finalized.renditions.map((rendition) => rendition.name)).toEqual(['416x234']);
    const master = parseMasterPlaylist(bucket(MEDIA).get('media/videos/v9/hls/master.m3u8')!.body.toString());
    expect(master.variants.map((variant) => variant.uri)).toEqual(['index_416x234.m3u8']);
    const left = [...bucket(MEDIA).keys()].filter((key) => key.startsWith('media/videos/v9/hls/'));
    expect(left.filter((key) => key.includes('640x360'))).toEqual([]);
    expect(left).toContain('media/videos/v9/hls/index_416x234_00002.mp4');
    // A retried finalize finds the dropped rung gone and the same ladder in the master.
    expect((await lambda.finalize({ videoId: 'v9', run: 1 })).renditions).toEqual(finalized.renditions);
  });

  it('fails a file ffprobe cannot read with a reason that does not leak the presigned URL', async () => {
    const lambda = compose();
    await upload(lambda, 'v3', Buffer.from('this is not a video at all'));
    const probed = (await lambda.probe({ videoId: 'v3', sourceKey: 'sources/v3/source', run: 1 })) as {
      accepted: boolean;
      reason: string;
    };
    expect(probed.accepted).toBe(false);
    expect(probed.reason).toMatch(/not a video Kinema can read|could not be read/);
    expect(probed.reason).not.toMatch(/X-Amz|127\.0\.0\.1/);
    await lambda.publish({
      kind: 'failed',
      videoId: 'v3',
      run: 1,
      error: { Error: 'MediaRejected', Cause: probed.reason },
    });
    expect(await record('v3')).toMatchObject({ state: 'failed', error: probed.reason });
    expect(events().find((event) => event['detail-type'] === 'VideoFailed')?.detail).toEqual({
      videoId: 'v3',
      reason: probed.reason,
    });
  });

  it('publishes a MediaConvert failure (the .sync task error) as a readable reason', async () => {
    const lambda = compose();
    await upload(lambda, 'v4');
    const cause = JSON.stringify({ Job: { Id: 'j' }, ErrorMessage: 'Unsupported codec in input' });
    await lambda.publish({
      kind: 'failed',
      videoId: 'v4',
      run: 1,
      error: { Error: 'MediaConvert.AWSMediaConvertException', Cause: cause },
    });
    expect((await record('v4'))?.error).toBe('the transcoder failed: Unsupported codec in input');
  });

  it('ignores MediaConvert events of jobs that are not Kinema media jobs, and refuses what is not one', async () => {
    const lambda = compose();
    expect(
      await lambda.onMediaConvert(jobEvent('STATUS_UPDATE', {}, { jobProgress: { jobPercentComplete: 5 } })),
    ).toEqual({
      recorded: false,
    });
    expect(
      await lambda.onMediaConvert(
        jobEvent('ERROR', { videoId: 'v9', run: '1' }, { errorCode: 1010, errorMessage: 'bad input' }),
      ),
    ).toEqual({
      recorded: false,
    });
    expect(logs.some((entry) => entry.msg === 'MediaConvert job failed' && entry.message === 'bad input')).toBe(true);
    await expect(lambda.onMediaConvert({ source: 'kinema.catalog', detail: {} })).rejects.toThrow(/MediaConvert/);
  });

  it('answers the HTTP API through API Gateway events, and a task function cannot start executions', async () => {
    const lambda = compose({ MEDIA_PIPELINE_ARN: undefined });
    await expect(
      lambda.service.pipeline.runs.startForUpload({
        videoId: 'v5',
        sourceKey: 'sources/v5/source',
        uploadEventId: 'e',
      }),
    ).rejects.toThrow(/MEDIA_PIPELINE_ARN/);
    const response = (await lambda.handler({
      version: '2.0',
      routeKey: 'ANY /api/media/{proxy+}',
      rawPath: '/api/media/videos/v5',
      rawQueryString: '',
      headers: { host: 'api.example.com', authorization: 'Bearer admin' },
      requestContext: {
        http: {
          method: 'GET',
          path: '/api/media/videos/v5',
          protocol: 'HTTP/1.1',
          sourceIp: '1.2.3.4',
          userAgent: 't',
        },
        domainName: 'api.example.com',
        requestId: 'r1',
        routeKey: 'ANY /api/media/{proxy+}',
        stage: '$default',
        time: '',
        timeEpoch: 0,
        accountId: '123456789012',
        apiId: 'api',
        domainPrefix: 'api',
      },
      isBase64Encoded: false,
    } as never)) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ state: 'waiting', progress: 0 });
  });
});
