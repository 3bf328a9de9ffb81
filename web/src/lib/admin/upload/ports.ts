/**
 * What the uploader is given: the catalog's upload routes, the part transport, the place an
 * interrupted upload is remembered, and the file. Browser implementations sit beside this file
 * (proxied-api.ts, xhr-transport.ts, resume-store.ts); tests hand in their own.
 */

export interface PartUrl {
  partNumber: number;
  url: string;
}

export interface StartedUpload {
  uploadId: string;
  partSize: number;
  partCount: number;
  parts: PartUrl[];
}

export interface ResumedUpload {
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
  /** What the store already holds. */
  parts: { partNumber: number; etag: string; size: number }[];
  /** Fresh URLs for the parts still to send. */
  missing: PartUrl[];
}

/** The catalog's upload routes (through the web's proxy in the browser). Failures throw UploadApiError. */
export interface UploadApi {
  start(size: number, contentType: string): Promise<StartedUpload>;
  resume(uploadId: string): Promise<ResumedUpload>;
  complete(uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;
  abort(uploadId: string): Promise<void>;
}

export class UploadApiError extends Error {
  override name = 'UploadApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code = 'internal',
  ) {
    super(message);
  }
}

/** Sends one part's bytes to its URL and resolves with the store's ETag; rejects on any failure. */
export interface PartTransport {
  put(url: string, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<string>;
}

/** What survives a reload: enough to recognise the same file and to ask the store what it has. */
export interface SavedUpload {
  videoId: string;
  uploadId: string;
  fileName: string;
  size: number;
  lastModified: number;
}

export interface ResumeStore {
  load(videoId: string): SavedUpload | undefined;
  save(upload: SavedUpload): void;
  clear(videoId: string): void;
}

/** The parts of a File the uploader uses (a File fits; so does a Blob with these fields). */
export interface SourceFile {
  name: string;
  size: number;
  lastModified: number;
  slice(start?: number, end?: number): Blob;
}
