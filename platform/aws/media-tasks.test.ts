import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectStore } from '#shared/ports/object-store.js';
import { executablePath, ffprobeUrl, promoteStills, readJobStateChange } from './media-tasks.js';

const dir = mkdtempSync(join(tmpdir(), 'kinema-media-tasks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Just enough ObjectStore over a Map for the stills: list, get, put, delete. */
function memoryStore(objects: Map<string, Buffer>): ObjectStore {
  const info = (key: string): ObjectInfo => ({
    key,
    size: objects.get(key)?.length ?? 0,
    etag: '"e"',
    lastModified: new Date(0).toISOString(),
  });
  const unused = () => Promise.reject(new Error('not used here'));
  return {
    put: async (key, body) => {
      objects.set(key, Buffer.isBuffer(body) ? body : Buffer.alloc(0));
      return info(key);
    },
    get: async (key) => {
      const body = objects.get(key);
      return body ? { info: info(key), body: Readable.from([body]) } : undefined;
    },
    head: async (key) => (objects.has(key) ? info(key) : undefined),
    list: async (prefix) => [...objects.keys()].filter((key) => key.startsWith(prefix)).map(info),
    delete: async (key) => void objects.delete(key),
    presignGet: unused,
    presignPut: unused,
    createMultipart: unused,
    presignPart: unused,
    listParts: unused,
    completeMultipart: unused,
    abortMultipart: unused,
  };
}

const keys = {
  root: 'media/videos/v1/',
  poster: 'media/videos/v1/poster.jpg',
  thumbnail: (index: number) => `media/videos/v1/thumbnails/0${index + 1}.jpg`,
  thumbnails: 4,
};

describe('promoteStills', () => {
  it('uses the only capture of a very short video, and does nothing without captures', async () => {
    const objects = new Map([
      ['media/videos/v1/captures/still_poster.0000000.jpg', Buffer.from('p0')],
      ['media/videos/v1/captures/still_thumb.0000000.jpg', Buffer.from('t0')],
      ['media/videos/v1/captures/still_thumb.0000001.jpg', Buffer.from('t1')],
    ]);
    const store = memoryStore(objects);
    expect(await promoteStills(store, keys)).toEqual({
      posterKey: keys.poster,
      thumbnailKeys: ['media/videos/v1/thumbnails/01.jpg'],
    });
    expect(objects.get(keys.poster)?.toString()).toBe('p0');
    expect(objects.get('media/videos/v1/thumbnails/01.jpg')?.toString()).toBe('t1');
    expect([...objects.keys()].filter((key) => key.includes('/captures/'))).toEqual([]);
    expect(await promoteStills(store, keys)).toEqual({ thumbnailKeys: [] });
    expect(objects.get(keys.poster)?.toString()).toBe('p0');
  });
});

describe('readJobStateChange', () => {
  const event = (status: string, detail: Record<string, unknown> = {}) => ({
    source: 'aws.mediaconvert',
    'detail-type': 'MediaConvert Job State Change',
    detail: { jobId: 'j1', status, userMetadata: { videoId: 'v1', run: '2' }, ...detail },
  });

  it('reads progress, completion and errors of Kinema jobs', () => {
    expect(readJobStateChange(event('STATUS_UPDATE', { jobProgress: { jobPercentComplete: 37 } }))).toEqual({
      kind: 'progress',
      jobId: 'j1',
      videoId: 'v1',
      run: 2,
      percent: 37,
    });
    expect(readJobStateChange(event('COMPLETE'))).toMatchObject({ kind: 'progress', percent: 100 });
    expect(readJobStateChange(event('ERROR', { errorCode: 1030, errorMessage: 'Video codec not supported' }))).toEqual({
      kind: 'error',
      jobId: 'j1',
      videoId: 'v1',
      run: 2,
      message: 'Video codec not supported',
    });
  });

  it('ignores updates without a percentage, other statuses and foreign jobs; refuses other events', () => {
    expect(readJobStateChange(event('STATUS_UPDATE', { jobProgress: { currentPhase: 'PROBING' } }))).toMatchObject({
      kind: 'ignored',
    });
    expect(readJobStateChange(event('PROGRESSING'))).toMatchObject({ kind: 'ignored', reason: 'status PROGRESSING' });
    expect(readJobStateChange(event('COMPLETE', { userMetadata: { team: 'ads' } }))).toMatchObject({
      kind: 'ignored',
      reason: 'not a Kinema media job',
    });
    expect(() => readJobStateChange({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} })).toThrow();
    expect(() => readJobStateChange(event('STATUS_UPDATE', { jobProgress: { jobPercentComplete: 'half' } }))).toThrow();
  });
});

describe('executablePath', () => {
  it('keeps an executable binary, and makes an executable copy of one that lost its mode', () => {
    const binary = join(dir, 'tool');
    writeFileSync(binary, '#!/bin/sh\necho ok\n');
    chmodSync(binary, 0o755);
    expect(executablePath(binary, join(dir, 'scratch'))).toBe(binary);
    chmodSync(binary, 0o644);
    const copy = executablePath(binary, join(dir, 'scratch'));
    expect(copy).toBe(join(dir, 'scratch', 'tool'));
    expect(statSync(copy).mode & 0o111).toBe(0o111);
    expect(executablePath(binary, join(dir, 'scratch'))).toBe(copy);
  });
});

describe('ffprobeUrl', () => {
  it('reports the exit code and stderr with the URL replaced by the label', async () => {
    const fake = join(dir, 'fake-ffprobe');
    writeFileSync(fake, '#!/bin/sh\nfor last; do :; done\necho "$last: Server returned 403 Forbidden" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const url = 'https://bucket.s3.amazonaws.com/sources/v1/source?X-Amz-Signature=secret';
    const run = await ffprobeUrl(url, { ffprobePath: fake, label: 'sources/v1/source' });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'sources/v1/source: Server returned 403 Forbidden\n' });
  });

  it('kills a run that outlives its timeout (code null)', async () => {
    const slow = join(dir, 'slow-ffprobe');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 5\n');
    chmodSync(slow, 0o755);
    const run = await ffprobeUrl('http://127.0.0.1:9/x', { ffprobePath: slow, timeoutMs: 100 });
    expect(run.code).toBeNull();
  });
});
