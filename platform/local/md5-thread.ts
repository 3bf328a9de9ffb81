import { Worker } from 'node:worker_threads';

/**
 * MD5 (S3's ETag of an object or a part) computed on one worker thread, fed chunk by chunk as the
 * bytes stream in: the request's thread only copies each chunk (one memcpy) and moves on to write
 * it, so hashing and the disk overlap instead of taking turns on one core. Each chunk goes over as
 * a transferred copy (batched, its memory handed back and reused); the caller waits (`update` returns a promise) while more than `MAX_QUEUED`
 * bytes of its stream are still unhashed, so a slow hasher slows the upload instead of filling
 * memory.
 */
export interface Md5Stream {
  /** Queues a chunk; resolves at once unless too much of this stream is still waiting to be hashed. */
  update(chunk: Uint8Array): Promise<void> | undefined;
  /** The 16-byte digest of everything queued. */
  digest(): Promise<Buffer>;
  /** Forgets the stream (the body failed): frees the worker's state. */
  discard(): void;
}

/** Bytes one stream may have queued on the worker before its writer waits. */
const MAX_QUEUED = 2 * 1024 ** 2;
/** Bytes gathered into one message to the worker. */
const BATCH = 256 * 1024;

// Plain JavaScript evaluated in the worker, so it runs the same under tsx, a bundle or plain node.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', ([op, id, bytes]) => {
  if (op === 'u') {
    let hash = hashes.get(id);
    if (!hash) hashes.set(id, (hash = createHash('md5')));
    hash.update(bytes);
    // The batch's memory goes back to be filled again: no allocation (nor garbage) per batch.
    parentPort.postMessage(['a', id, bytes], [bytes.buffer]);
  } else if (op === 'd') {
    const hash = hashes.get(id) ?? createHash('md5');
    hashes.delete(id);
    const digest = hash.digest();
    parentPort.postMessage(['d', id, digest]); // 16 bytes: copied, never a shared pool's memory
  } else if (op === 'x') {
    hashes.delete(id);
  }
});
`;

interface Pending {
  queued: number;
  /** Writers waiting for the queue to drain below MAX_QUEUED. */
  waiting: (() => void)[];
  done?: { resolve: (digest: Buffer) => void; reject: (error: Error) => void };
}

/** Batch buffers back from the worker, ready to be filled again. */
const spare: Uint8Array[] = [];
const MAX_SPARE = 16;

let worker: Worker | undefined;

function release(pending: Pending) {
  for (const resolve of pending.waiting.splice(0)) resolve();
}
let nextId = 1;
const streams = new Map<number, Pending>();

function failAll(error: Error) {
  worker = undefined;
  for (const pending of streams.values()) {
    pending.done?.reject(error);
    release(pending);
  }
  streams.clear();
}

function hasher(): Worker {
  if (worker) return worker;
  // No execArgv: the worker is plain JavaScript and needs none of the parent's loaders (tsx).
  const started = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
  started.on('message', ([op, id, value]: ['a' | 'd', number, Uint8Array]) => {
    if (op === 'a' && value.buffer.byteLength === BATCH && spare.length < MAX_SPARE) {
      spare.push(new Uint8Array(value.buffer as ArrayBuffer));
    }
    const pending = streams.get(id);
    if (!pending) return;
    if (op === 'a') {
      pending.queued -= value.byteLength;
      if (pending.queued <= MAX_QUEUED) release(pending);
    } else {
      streams.delete(id);
      idle();
      pending.done?.resolve(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  });
  started.on('error', (error) => failAll(error));
  started.on('exit', (code) => {
    if (worker === started) failAll(new Error(`the MD5 worker stopped (exit code ${code})`));
  });
  started.unref();
  worker = started;
  return started;
}

/** The worker holds the process open only while a stream is being hashed. */
function idle() {
  if (streams.size === 0) worker?.unref();
}

export function md5Stream(): Md5Stream {
  const thread = hasher();
  const id = nextId++;
  const pending: Pending = { queued: 0, waiting: [] };
  streams.set(id, pending);
  thread.ref();
  let finished = false;
  let batch: Uint8Array | undefined;
  let filled = 0;
  const flush = () => {
    if (!batch || filled === 0) return;
    const full = filled === batch.byteLength ? batch : batch.subarray(0, filled);
    pending.queued += full.byteLength;
    thread.postMessage(['u', id, full], [full.buffer as ArrayBuffer]);
    batch = undefined;
    filled = 0;
  };
  return {
    update(chunk) {
      if (finished) throw new Error('md5Stream: update after digest or discard');
      // Chunks are gathered into BATCH-byte copies: one message (and one answer) per batch.
      for (let offset = 0; offset < chunk.byteLength;) {
        batch ??= spare.pop() ?? new Uint8Array(Buffer.allocUnsafeSlow(BATCH).buffer, 0, BATCH);
        const take = Math.min(BATCH - filled, chunk.byteLength - offset);
        batch.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === BATCH) flush();
      }
      if (pending.queued <= MAX_QUEUED) return undefined;
      return new Promise<void>((resolve) => pending.waiting.push(resolve));
    },
    digest() {
      if (finished) return Promise.reject(new Error('md5Stream: digest after digest or discard'));
      finished = true;
      flush();
      if (!streams.has(id)) return Promise.reject(new Error('the MD5 worker stopped'));
      return new Promise<Buffer>((resolve, reject) => {
        pending.done = { resolve, reject };
        thread.postMessage(['d', id]);
      });
    },
    discard() {
      if (finished) return;
      finished = true;
      release(pending);
      if (!streams.delete(id)) return;
      thread.postMessage(['x', id]);
      idle();
    },
  };
}
