import type { Readable } from 'node:stream';
import type { EventEnvelope } from '#shared/events/define.js';
import { ConditionFailedError } from '#shared/errors.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import { mediaKeys } from './domain/media-video.js';
import type { MediaVideo } from './domain/media-video.js';
import type { MediaStore } from './store.js';

/** A task of an execution that a newer run replaced, or whose video was deleted, stops here. */
export class Superseded extends Error {
  constructor(videoId: string, run: number) {
    super(`run ${run} of video ${videoId} was superseded`);
    this.name = 'Superseded';
  }
}

/** Whether `video` is the live record of this run (not replaced by a newer run, not finished). */
export const isCurrent = (video: MediaVideo | undefined, run: number): video is MediaVideo =>
  video !== undefined && video.run === run && (video.state === 'waiting' || video.state === 'processing');

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * The pipeline's access to a video's record and its media objects, shared by the runs (the
 * service's side) and the workflow's tasks.
 */
export function videoRecords(deps: { store: MediaStore; media: ObjectStore; clock: Clock }) {
  const { store, media, clock } = deps;
  const iso = () => new Date(clock.now()).toISOString();

  /** Read-modify-write with optimistic concurrency, retried when another writer got there first. */
  async function update(
    videoId: string,
    change: (video: MediaVideo | undefined) => { next: MediaVideo; events?: EventEnvelope[] } | undefined,
  ): Promise<MediaVideo | undefined> {
    for (let attempt = 0; ; attempt++) {
      const stored = await store.find(videoId);
      const outcome = change(stored?.video);
      if (!outcome) return undefined;
      try {
        await store.save(stored, outcome.next, outcome.events ?? []);
        return outcome.next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || attempt >= 5) throw error;
      }
    }
  }

  /** Loads the current run's record or stops the task: a stale execution must not touch anything. */
  async function current(videoId: string, run: number): Promise<MediaVideo> {
    const video = (await store.find(videoId))?.video;
    if (!isCurrent(video, run)) throw new Superseded(videoId, run);
    return video;
  }

  /** Deletes the video's media; `keep` spares the objects under one prefix (a re-transcode keeps the subtitle sources). */
  async function removeMedia(videoId: string, options: { keep?: string } = {}): Promise<void> {
    const keys = mediaKeys(videoId);
    // The master goes first: from then on no player is offered a ladder that is being taken apart.
    await media.delete(keys.master);
    for (const object of await media.list(keys.root)) {
      if (options.keep === undefined || !object.key.startsWith(options.keep)) await media.delete(object.key);
    }
  }

  async function readObject(key: string): Promise<Buffer> {
    const object = await media.get(key);
    if (!object) throw new Error(`${key} is missing`);
    return readAll(object.body);
  }

  return { store, media, iso, update, current, removeMedia, readObject };
}

export type VideoRecords = ReturnType<typeof videoRecords>;
