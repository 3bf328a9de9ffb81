import { contentTypeOf, sniffSource, SNIFF_BYTES } from './container';
import { UploadApiError } from './ports';
import type { PartTransport, PartUrl, ResumeStore, SavedUpload, SourceFile, UploadApi } from './ports';

/**
 * The admin's resumable upload, framework-free: the S3 multipart flow driven from the browser.
 * Bytes go straight to the presigned part URLs (never through SvelteKit or the API); the API is
 * only asked to start, to list what the store already holds (resume) and to complete. Everything
 * with a side effect (the API, the part PUTs, persistence, time) is injected, so tests drive it
 * without a browser or a server (ports.ts says what it is given).
 */

// ---------------------------------------------------------------------------------------------
// What it reports
// ---------------------------------------------------------------------------------------------

export type UploadPhase =
  | 'idle'
  | 'starting'
  | 'uploading'
  | 'paused'
  | 'completing'
  /** Done: the store has the whole file and the media pipeline was started. */
  | 'processing'
  /** Refused: not an MP4/MOV (in the browser or by the server); `error` says why. */
  | 'rejected'
  /** Stopped by a failure that retries did not fix; `resume()` carries on. */
  | 'failed'
  | 'cancelled';

export type UploadProblem = 'not_video' | 'empty' | 'connection' | 'server' | 'wrong_file';

export interface UploadSnapshot {
  phase: UploadPhase;
  fileName: string | null;
  totalBytes: number;
  sentBytes: number;
  /** 0–100, one decimal. */
  percent: number;
  /** Smoothed (exponential moving average), bytes per second. */
  bytesPerSecond: number;
  /** From the smoothed speed; null until there is one. */
  secondsLeft: number | null;
  partCount: number;
  partsDone: number;
  /** Parts that failed once and are waiting to be sent again. */
  retrying: number;
  /** True when this run carried on an upload that had started before (after a reload or a pause). */
  resumed: boolean;
  problem: UploadProblem | null;
  /** The server's or the browser's message for `problem`. */
  error: string | null;
}

export interface UploaderOptions {
  videoId: string;
  api: UploadApi;
  transport: PartTransport;
  store: ResumeStore;
  /** Parts in flight at once. */
  concurrency?: number;
  /** Attempts per part before the upload stops as `failed` (the admin resumes it). */
  maxAttempts?: number;
  /** Wait before attempt `n + 1` (n ≥ 1). */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  onChange?: (snapshot: UploadSnapshot) => void;
}

const idle: UploadSnapshot = {
  phase: 'idle',
  fileName: null,
  totalBytes: 0,
  sentBytes: 0,
  percent: 0,
  bytesPerSecond: 0,
  secondsLeft: null,
  partCount: 0,
  partsDone: 0,
  retrying: 0,
  resumed: false,
  problem: null,
  error: null,
};

/** 1 s, 2 s, 4 s, … capped at 8 s, with jitter so parallel parts do not retry in lockstep. */
export const defaultBackoff = (attempt: number) =>
  Math.min(8000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);

export const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((done, fail) => {
    if (signal.aborted) return fail(signal.reason);
    const timer = setTimeout(done, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        fail(signal.reason);
      },
      { once: true },
    );
  });

/** Speed samples closer together than this are merged, so one quick part does not spike the figure. */
const SAMPLE_MS = 500;
/** Weight of the newest sample in the moving average. */
const SMOOTHING = 0.3;

/** True when the saved upload was made from this very file (same name, size and modification time). */
export const sameFile = (saved: SavedUpload, file: SourceFile) =>
  saved.fileName === file.name && saved.size === file.size && saved.lastModified === file.lastModified;

export class Uploader {
  private readonly options: Required<Omit<UploaderOptions, 'onChange'>> & Pick<UploaderOptions, 'onChange'>;
  private state: UploadSnapshot = { ...idle };
  private file: SourceFile | null = null;
  private uploadId: string | null = null;
  private partSize = 0;
  private controller: AbortController | null = null;
  /** ETags of every part the store holds, from its listing or from our PUTs. */
  private etags = new Map<number, string>();
  private doneBytes = 0;
  private inflight = new Map<number, number>();
  private sample: { at: number; sent: number } | null = null;
  private running: Promise<void> | null = null;

  constructor(options: UploaderOptions) {
    this.options = {
      concurrency: 4,
      maxAttempts: 5,
      backoffMs: defaultBackoff,
      sleep: abortableSleep,
      now: () => Date.now(),
      ...options,
    };
  }

  get snapshot(): UploadSnapshot {
    return this.state;
  }

  /** The interrupted upload this browser remembers for the video, if any. */
  get saved(): SavedUpload | undefined {
    return this.options.store.load(this.options.videoId);
  }

  /**
   * Uploads `file`: checks it is an MP4/MOV, then carries on the remembered upload when it is the
   * same file and the store still has it (`currentUploadId`, the one the catalog holds, must match
   * when given), else starts a new one. Resolves when the run ends (done, paused, failed, …).
   */
  async upload(file: SourceFile, currentUploadId?: string | null): Promise<void> {
    if (this.isBusy()) throw new Error('an upload is already running');
    this.file = file;
    this.etags = new Map();
    this.uploadId = null;
    this.set({ ...idle, phase: 'starting', fileName: file.name, totalBytes: file.size });
    if (file.size === 0) return this.stop('rejected', 'empty', null);
    const kind = sniffSource(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer()));
    if (!kind) return this.stop('rejected', 'not_video', null);

    const saved = this.saved;
    const resumable =
      saved && sameFile(saved, file) && (currentUploadId === undefined || currentUploadId === saved.uploadId);
    if (resumable) {
      this.uploadId = saved.uploadId;
      const carried = await this.run(() => this.continueUpload(true), true);
      if (carried) return;
      // The store no longer has it (completed, replaced, swept): start over.
      this.options.store.clear(this.options.videoId);
      this.uploadId = null;
      this.etags = new Map();
      this.set({ ...idle, phase: 'starting', fileName: file.name, totalBytes: file.size });
    }
    await this.run(() => this.startUpload(contentTypeOf(kind)), false);
  }

  /** Stops sending; parts in flight are dropped (the store keeps every part that finished). */
  pause(): void {
    if (this.state.phase !== 'uploading' && this.state.phase !== 'starting') return;
    this.controller?.abort(new DOMException('paused', 'AbortError'));
    this.set({ phase: 'paused', bytesPerSecond: 0, secondsLeft: null, retrying: 0 });
  }

  /** Carries on after a pause or a failure: asks the store what it has and sends only the rest. */
  async resume(): Promise<void> {
    if (this.isBusy() || !this.file || !this.uploadId) return;
    if (this.state.phase !== 'paused' && this.state.phase !== 'failed') return;
    this.set({ problem: null, error: null });
    const carried = await this.run(() => this.continueUpload(false), true);
    if (!carried) {
      this.options.store.clear(this.options.videoId);
      this.uploadId = null;
      this.stop('failed', 'server', 'the server no longer has this upload; pick the file again to start over');
    }
  }

  /** Stops and tells the store to drop the parts; the video goes back to a state that can upload again. */
  async cancel(): Promise<void> {
    this.controller?.abort(new DOMException('cancelled', 'AbortError'));
    await this.running?.catch(() => undefined);
    const uploadId = this.uploadId ?? this.saved?.uploadId;
    this.options.store.clear(this.options.videoId);
    this.uploadId = null;
    this.set({ ...idle, phase: 'cancelled', fileName: this.file?.name ?? null });
    if (uploadId) await this.options.api.abort(uploadId).catch(() => undefined);
  }

  /** Forgets the remembered upload without touching the store (the admin chose another file). */
  forget(): void {
    this.options.store.clear(this.options.videoId);
  }

  private isBusy() {
    const phase = this.state.phase;
    return phase === 'starting' || phase === 'uploading' || phase === 'completing';
  }

  /** Runs one step with a fresh abort signal; returns false only when resuming found no upload to resume. */
  private async run(step: () => Promise<void>, resuming: boolean): Promise<boolean> {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    let result = true;
    const running = (async () => {
      try {
        await step();
      } catch (error) {
        if (signal.aborted) return; // paused or cancelled: the phase is already set
        if (error instanceof UploadApiError) {
          if (resuming && error.status === 404) {
            result = false;
            return;
          }
          if (error.status === 415) {
            // The server read the bytes and refused them; this upload is over.
            this.options.store.clear(this.options.videoId);
            this.uploadId = null;
            return this.stop('rejected', 'not_video', error.message);
          }
          return this.stop(
            'failed',
            error.status === 0 || error.status >= 500 ? 'connection' : 'server',
            error.message,
          );
        }
        return this.stop('failed', 'connection', error instanceof Error ? error.message : String(error));
      }
    })();
    this.running = running;
    await running;
    this.running = null;
    return result;
  }

  private async startUpload(contentType: string) {
    const file = this.file!;
    const started = await this.options.api.start(file.size, contentType);
    this.uploadId = started.uploadId;
    this.partSize = started.partSize;
    this.options.store.save({
      videoId: this.options.videoId,
      uploadId: started.uploadId,
      fileName: file.name,
      size: file.size,
      lastModified: file.lastModified,
    });
    this.doneBytes = 0;
    this.set({ partCount: started.partCount, partsDone: 0, resumed: false });
    await this.sendParts(started.parts);
  }

  private async continueUpload(afterReload: boolean) {
    const listing = await this.options.api.resume(this.uploadId!);
    if (listing.size !== this.file!.size) throw new UploadApiError(404, 'the remembered upload is for another file');
    this.partSize = listing.partSize;
    this.etags = new Map(listing.parts.map((part) => [part.partNumber, part.etag]));
    this.doneBytes = listing.parts.reduce((sum, part) => sum + part.size, 0);
    this.set({
      partCount: listing.partCount,
      partsDone: listing.parts.length,
      resumed: afterReload || this.state.resumed || listing.parts.length > 0,
    });
    await this.sendParts(listing.missing);
  }

  private async sendParts(parts: PartUrl[]) {
    const outer = this.controller!.signal;
    // The batch stops when the admin pauses or cancels, and also when one part gives up: then the
    // other parts stop too and the run ends as `failed`, to be resumed from what the store has.
    const batch = new AbortController();
    const stopBatch = () => batch.abort(outer.reason);
    outer.addEventListener('abort', stopBatch, { once: true });
    const signal = batch.signal;
    this.inflight.clear();
    this.sample = null;
    this.set({ phase: 'uploading', bytesPerSecond: 0, secondsLeft: null, retrying: 0 });
    this.progress();
    const queue = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    let failure: unknown;
    const worker = async () => {
      while (queue.length > 0 && !signal.aborted && failure === undefined) {
        const part = queue.shift()!;
        try {
          const etag = await this.sendPart(part, signal);
          this.etags.set(part.partNumber, etag);
          this.doneBytes += this.partLength(part.partNumber);
          this.set({ partsDone: this.etags.size });
        } catch (error) {
          if (!signal.aborted) {
            failure = error;
            batch.abort(error);
          }
        } finally {
          this.inflight.delete(part.partNumber);
          this.progress();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker));
    outer.removeEventListener('abort', stopBatch);
    if (failure !== undefined) throw failure;
    if (outer.aborted) throw outer.reason;
    await this.finish(outer);
  }

  private async sendPart(part: PartUrl, signal: AbortSignal): Promise<string> {
    const start = (part.partNumber - 1) * this.partSize;
    const body = this.file!.slice(start, start + this.partLength(part.partNumber));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.transport.put(
          part.url,
          body,
          (loaded) => {
            this.inflight.set(part.partNumber, loaded);
            this.progress();
          },
          signal,
        );
      } catch (error) {
        this.inflight.delete(part.partNumber);
        this.progress();
        if (signal.aborted || attempt >= this.options.maxAttempts) throw error;
        this.set({ retrying: this.state.retrying + 1 });
        try {
          await this.options.sleep(this.options.backoffMs(attempt), signal);
        } finally {
          this.set({ retrying: Math.max(0, this.state.retrying - 1) });
        }
      }
    }
  }

  private async finish(signal: AbortSignal) {
    this.set({ phase: 'completing', bytesPerSecond: 0, secondsLeft: 0 });
    const parts = [...this.etags.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, etag]) => ({ partNumber, etag }));
    await this.options.api.complete(this.uploadId!, parts);
    if (signal.aborted) return;
    this.options.store.clear(this.options.videoId);
    this.set({ phase: 'processing', sentBytes: this.state.totalBytes, percent: 100, secondsLeft: 0 });
  }

  private partLength(partNumber: number) {
    const size = this.file!.size;
    return Math.max(0, Math.min(this.partSize, size - (partNumber - 1) * this.partSize));
  }

  /** Bytes sent (parts done plus what is in flight), percent, and the smoothed speed and time left. */
  private progress() {
    let sent = this.doneBytes;
    for (const loaded of this.inflight.values()) sent += loaded;
    const total = this.state.totalBytes;
    sent = Math.min(sent, total);
    const now = this.options.now();
    let { bytesPerSecond } = this.state;
    if (!this.sample) this.sample = { at: now, sent };
    else if (now - this.sample.at >= SAMPLE_MS) {
      const instant = Math.max(0, ((sent - this.sample.sent) * 1000) / (now - this.sample.at));
      bytesPerSecond = bytesPerSecond === 0 ? instant : SMOOTHING * instant + (1 - SMOOTHING) * bytesPerSecond;
      this.sample = { at: now, sent };
    }
    const secondsLeft = bytesPerSecond > 0 ? (total - sent) / bytesPerSecond : null;
    this.set({
      sentBytes: sent,
      percent: total > 0 ? Math.floor((sent / total) * 1000) / 10 : 0,
      bytesPerSecond,
      secondsLeft,
    });
  }

  private stop(phase: UploadPhase, problem: UploadProblem, error: string | null) {
    this.set({ phase, problem, error, bytesPerSecond: 0, secondsLeft: null, retrying: 0 });
  }

  private set(change: Partial<UploadSnapshot>) {
    this.state = { ...this.state, ...change };
    this.options.onChange?.(this.state);
  }
}
