import { describe, expect, test } from 'vitest';
import { sniffSource } from './container';
import { UploadApiError } from './ports';
import type { PartTransport, ResumeStore, SavedUpload, SourceFile, UploadApi } from './ports';
import { Uploader } from './uploader';
import type { UploadSnapshot } from './uploader';

const PART = 16;
const ftyp = [0, 0, 0, 24, ...'ftypisom'].map((c) => (typeof c === 'number' ? c : c.charCodeAt(0)));

function videoFile(size = PART * 5 + 3, name = 'film.mp4', lastModified = 1000): SourceFile {
  const bytes = new Uint8Array(size);
  bytes.set(ftyp.slice(0, Math.min(size, ftyp.length)));
  for (let i = ftyp.length; i < size; i++) bytes[i] = i % 251;
  return Object.assign(new Blob([bytes]), { name, lastModified });
}

/** An in-memory object store behind a fake catalog API: records every call. */
function fakeBackend(options: { completeStatus?: number } = {}) {
  const uploads = new Map<string, { size: number; parts: Map<number, { etag: string; size: number }> }>();
  const calls: string[] = [];
  const puts: number[] = [];
  let next = 1;
  const urls = (uploadId: string, numbers: number[]) =>
    numbers.map((partNumber) => ({ partNumber, url: `store://${uploadId}/${partNumber}` }));
  const partCount = (size: number) => Math.ceil(size / PART);
  const api: UploadApi = {
    async start(size) {
      calls.push('start');
      const uploadId = `u${next++}`;
      uploads.set(uploadId, { size, parts: new Map() });
      const count = partCount(size);
      return {
        uploadId,
        partSize: PART,
        partCount: count,
        parts: urls(
          uploadId,
          Array.from({ length: count }, (_, i) => i + 1),
        ),
      };
    },
    async resume(uploadId) {
      calls.push('resume');
      const upload = uploads.get(uploadId);
      if (!upload) throw new UploadApiError(404, 'upload not found', 'not_found');
      const count = partCount(upload.size);
      const missing = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !upload.parts.has(n));
      return {
        uploadId,
        size: upload.size,
        partSize: PART,
        partCount: count,
        parts: [...upload.parts].map(([partNumber, part]) => ({ partNumber, ...part })),
        missing: urls(uploadId, missing),
      };
    },
    async complete(uploadId, parts) {
      calls.push(`complete:${parts.map((p) => `${p.partNumber}=${p.etag}`).join(',')}`);
      if (options.completeStatus) throw new UploadApiError(options.completeStatus, 'the file is not an MP4 or MOV');
      const upload = uploads.get(uploadId)!;
      expect(parts.length).toBe(partCount(upload.size));
      for (const part of parts) expect(upload.parts.get(part.partNumber)?.etag).toBe(part.etag);
      uploads.delete(uploadId);
    },
    async abort(uploadId) {
      calls.push('abort');
      uploads.delete(uploadId);
    },
  };
  let inFlight = 0;
  let maxInFlight = 0;
  /** Per part number: how many of its next attempts fail. */
  const failures = new Map<number, number>();
  let gate: Promise<void> | null = null;
  const transport: PartTransport = {
    async put(url, body, onProgress, signal) {
      const [, uploadId, number] = /^store:\/\/(\w+)\/(\d+)$/.exec(url)!;
      const partNumber = Number(number);
      puts.push(partNumber);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((done) => setTimeout(done, 1));
        if (gate) await Promise.race([gate, new Promise((_, fail) => signal.addEventListener('abort', fail))]);
        if (signal.aborted) throw signal.reason;
        const left = failures.get(partNumber) ?? 0;
        if (left > 0) {
          failures.set(partNumber, left - 1);
          throw new Error('the connection dropped');
        }
        const bytes = new Uint8Array(await body.arrayBuffer());
        onProgress(bytes.length);
        const etag = `"e${partNumber}-${bytes[bytes.length - 1]}"`;
        uploads.get(uploadId!)!.parts.set(partNumber, { etag, size: bytes.length });
        return etag;
      } finally {
        inFlight--;
      }
    },
  };
  return {
    api,
    transport,
    calls,
    puts,
    failures,
    uploads,
    maxInFlight: () => maxInFlight,
    hold: () => {
      let release!: () => void;
      gate = new Promise<void>((done) => (release = done));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

function memoryStore(): ResumeStore & { value: Map<string, SavedUpload> } {
  const value = new Map<string, SavedUpload>();
  return {
    value,
    load: (videoId) => value.get(videoId),
    save: (upload) => void value.set(upload.videoId, upload),
    clear: (videoId) => void value.delete(videoId),
  };
}

function uploader(backend: ReturnType<typeof fakeBackend>, store: ResumeStore, extra: { now?: () => number } = {}) {
  const snapshots: UploadSnapshot[] = [];
  const waits: number[] = [];
  const instance = new Uploader({
    videoId: 'v1',
    api: backend.api,
    transport: backend.transport,
    store,
    backoffMs: (attempt) => attempt * 100,
    sleep: async (ms) => void waits.push(ms),
    onChange: (snapshot) => snapshots.push(snapshot),
    ...extra,
  });
  return { instance, snapshots, waits };
}

describe('sniffSource', () => {
  const bytes = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
  test('knows MP4, MOV (qt brand or an old first box) and refuses text', () => {
    expect(sniffSource(new Uint8Array(ftyp))).toBe('mp4');
    expect(sniffSource(new Uint8Array([0, 0, 0, 20, ...bytes('ftypqt  ')]))).toBe('quicktime');
    expect(sniffSource(new Uint8Array([0, 0, 0, 8, ...bytes('wide'), 0, 0, 0, 0]))).toBe('quicktime');
    expect(sniffSource(bytes('hello, this is not a video'))).toBeUndefined();
    expect(sniffSource(bytes('ftyp'))).toBeUndefined();
  });
});

describe('Uploader', () => {
  test('sends every part at most 4 at a time, completes with the ETags in order, and forgets the upload', async () => {
    const backend = fakeBackend();
    const store = memoryStore();
    const file = videoFile(PART * 9 + 5);
    const { instance, snapshots } = uploader(backend, store);
    await instance.upload(file);
    expect(instance.snapshot.phase).toBe('processing');
    expect(instance.snapshot.percent).toBe(100);
    expect(backend.maxInFlight()).toBe(4);
    expect(backend.puts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(backend.calls[0]).toBe('start');
    expect(backend.calls[1]).toMatch(/^complete:1="e1-\d+",2=.*,10="e10-\d+"$/);
    expect(store.value.size).toBe(0);
    // Bytes sent only grow while nothing fails, and end at the file size.
    const sent = snapshots.map((s) => s.sentBytes);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(snapshots.at(-1)?.sentBytes).toBe(file.size);
  });

  test('refuses a text file renamed .mp4 before calling the API', async () => {
    const backend = fakeBackend();
    const text = Object.assign(new Blob(['just some words, definitely not a movie']), {
      name: 'notes.mp4',
      lastModified: 1,
    });
    const { instance } = uploader(backend, memoryStore());
    await instance.upload(text);
    expect(instance.snapshot).toMatchObject({ phase: 'rejected', problem: 'not_video' });
    expect(backend.calls).toEqual([]);
  });

  test('retries a failed part with growing back-off, then succeeds', async () => {
    const backend = fakeBackend();
    backend.failures.set(2, 2);
    const { instance, waits } = uploader(backend, memoryStore());
    await instance.upload(videoFile());
    expect(instance.snapshot.phase).toBe('processing');
    expect(waits).toEqual([100, 200]);
    expect(backend.puts.filter((n) => n === 2)).toHaveLength(3);
  });

  test('a part that keeps failing stops the upload; resume sends only the missing parts', async () => {
    const backend = fakeBackend();
    backend.failures.set(3, 5);
    const store = memoryStore();
    const { instance } = uploader(backend, store);
    await instance.upload(videoFile());
    expect(instance.snapshot).toMatchObject({ phase: 'failed', problem: 'connection' });
    expect(store.value.get('v1')?.uploadId).toBe('u1');
    const held = [...backend.uploads.get('u1')!.parts.keys()];
    expect(held).not.toContain(3);
    backend.puts.length = 0;
    await instance.resume();
    expect(instance.snapshot.phase).toBe('processing');
    expect(backend.puts.sort()).toEqual([1, 2, 3, 4, 5, 6].filter((n) => !held.includes(n)));
  });

  test('after a reload the same file carries on the remembered upload; another file starts over', async () => {
    const backend = fakeBackend();
    backend.failures.set(4, 5);
    const store = memoryStore();
    const file = videoFile();
    await uploader(backend, store).instance.upload(file);
    const held = [...backend.uploads.get('u1')!.parts.keys()];
    backend.puts.length = 0;

    // A new page: a new uploader, the same localStorage, the admin picks the same file again.
    const again = uploader(backend, store).instance;
    expect(again.saved).toMatchObject({ uploadId: 'u1', fileName: 'film.mp4', size: file.size, lastModified: 1000 });
    await again.upload(videoFile(), 'u1');
    expect(again.snapshot).toMatchObject({ phase: 'processing', resumed: true });
    expect(backend.calls.filter((c) => c === 'start')).toHaveLength(1);
    expect(backend.puts.sort()).toEqual([1, 2, 3, 4, 5, 6].filter((n) => !held.includes(n)));

    // A different file (other modification time) is a new upload.
    backend.failures.set(1, 5);
    await uploader(backend, store).instance.upload(videoFile(PART * 2, 'film.mp4', 1000));
    backend.puts.length = 0;
    const other = uploader(backend, store).instance;
    await other.upload(videoFile(PART * 2, 'film.mp4', 2000));
    expect(other.snapshot).toMatchObject({ phase: 'processing', resumed: false });
    expect(backend.puts.sort()).toEqual([1, 2]);
  });

  test('an upload the catalog no longer holds is started over', async () => {
    const backend = fakeBackend();
    const store = memoryStore();
    store.save({ videoId: 'v1', uploadId: 'gone', fileName: 'film.mp4', size: PART * 5 + 3, lastModified: 1000 });
    const { instance } = uploader(backend, store);
    await instance.upload(videoFile());
    expect(backend.calls.slice(0, 2)).toEqual(['resume', 'start']);
    expect(instance.snapshot).toMatchObject({ phase: 'processing', resumed: false });
  });

  test("the server's 415 ends the upload as rejected with its message", async () => {
    const backend = fakeBackend({ completeStatus: 415 });
    const store = memoryStore();
    const { instance } = uploader(backend, store);
    await instance.upload(videoFile());
    expect(instance.snapshot).toMatchObject({
      phase: 'rejected',
      problem: 'not_video',
      error: 'the file is not an MP4 or MOV',
    });
    expect(store.value.size).toBe(0);
  });

  test('pause drops the parts in flight; resume sends what the store lacks', async () => {
    const backend = fakeBackend();
    const store = memoryStore();
    const { instance } = uploader(backend, store);
    const release = backend.hold();
    const running = instance.upload(videoFile());
    await new Promise((done) => setTimeout(done, 20));
    expect(instance.snapshot.phase).toBe('uploading');
    instance.pause();
    await running;
    release();
    expect(instance.snapshot.phase).toBe('paused');
    expect(backend.uploads.get('u1')!.parts.size).toBe(0);
    backend.puts.length = 0;
    await instance.resume();
    expect(instance.snapshot.phase).toBe('processing');
    expect(backend.puts.sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('cancel aborts the upload on the server and forgets it', async () => {
    const backend = fakeBackend();
    const store = memoryStore();
    const { instance } = uploader(backend, store);
    const release = backend.hold();
    const running = instance.upload(videoFile());
    await new Promise((done) => setTimeout(done, 20));
    await instance.cancel();
    await running;
    release();
    expect(instance.snapshot.phase).toBe('cancelled');
    expect(backend.calls).toContain('abort');
    expect(backend.uploads.size).toBe(0);
    expect(store.value.size).toBe(0);
  });

  test('speed is smoothed over samples and time left follows from it', async () => {
    const backend = fakeBackend();
    let clock = 0;
    const { instance, snapshots } = uploader(backend, memoryStore(), { now: () => (clock += 250) });
    await instance.upload(videoFile(PART * 12));
    const speeds = snapshots.map((s) => s.bytesPerSecond).filter((v) => v > 0);
    expect(speeds.length).toBeGreaterThan(2);
    const withLeft = snapshots.find((s) => s.phase === 'uploading' && s.secondsLeft !== null && s.bytesPerSecond > 0)!;
    expect(withLeft.secondsLeft).toBeCloseTo((withLeft.totalBytes - withLeft.sentBytes) / withLeft.bytesPerSecond);
  });
});
