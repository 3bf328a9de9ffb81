import { createHash } from 'node:crypto';
import { SubtitlesChanged } from '#shared/events/media.js';
import { AppError, notFound } from '#shared/errors.js';
import type { ErrorCode } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { Table } from '#shared/ports/table.js';
import { mediaKeys } from './domain/media-video.js';
import {
  PLAYLIST_CACHE_CONTROL,
  WEBVTT_CACHE_CONTROL,
  parseMasterPlaylist,
  parseMediaPlaylist,
  withSubtitles,
} from './domain/playlist.js';
import { decodeSubtitleBytes } from './domain/subtitle-encoding.js';
import { SubtitleRejected } from './domain/subtitle-issues.js';
import type { SubtitleIssueCode } from './domain/subtitle-issues.js';
import { languageName } from './domain/subtitle-language.js';
import {
  SUBTITLE_PLAYLIST,
  subtitleFolder,
  subtitleMediaPlaylist,
  subtitleSegments,
} from './domain/subtitle-playlist.js';
import { parseSubtitles, toWebVtt } from './domain/subtitles.js';
import { mediaStore } from './store.js';
import { subtitleStore } from './subtitle-store.js';
import type { SubtitleRecord } from './subtitle-store.js';

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const VTT_TYPE = 'text/vtt; charset=utf-8';

const subtitleSourcePrefix = (videoId: string) => mediaKeys(videoId).subtitles;
const sourceKey = (videoId: string, language: string, revision: string) =>
  `${subtitleSourcePrefix(videoId)}${language}/${revision}.vtt`;
const folderKey = (videoId: string, language: string, revision: string) =>
  `${mediaKeys(videoId).hlsPrefix}${subtitleFolder(language, revision)}/`;

/** The status of a refused file: too big 413, not text 415, everything else 400. */
const STATUS_OF: Partial<Record<SubtitleIssueCode, ErrorCode>> = {
  too_large: 'payload_too_large',
  not_text: 'unsupported_media_type',
  unsupported_encoding: 'unsupported_media_type',
};

function refused(rejection: SubtitleRejected): AppError {
  const code = STATUS_OF[rejection.issues[0]?.code ?? 'empty'] ?? 'invalid_input';
  return new AppError(code, rejection.message, { issues: rejection.issues, total: rejection.total });
}

export interface SubtitlesDeps {
  table: Table;
  /** The media bucket. */
  media: ObjectStore;
  clock: Clock;
  logger: Logger;
}

/** What an admin sees of one language. */
export const subtitleView = (record: SubtitleRecord) => ({
  language: record.language,
  name: record.name,
  format: record.format,
  encoding: record.encoding,
  cueCount: record.cueCount,
  bytes: record.bytes,
  revision: record.revision,
  updatedAt: record.updatedAt,
});

/**
 * A video's subtitles: checked files in, HLS subtitle renditions out, with no re-transcode. Each
 * language's revision gets its own folder in the HLS tree (`sub_<lang>_<revision>/`); the master
 * is then rewritten in one object write (atomic on S3 and on the file store, which renames into
 * place). A player that still holds the previous master keeps working: the previous revision's
 * folder stays until the language is replaced again. Nothing is written before the file passed.
 */
export function createSubtitles(deps: SubtitlesDeps) {
  const { media, clock, logger } = deps;
  const records = subtitleStore(deps.table);
  const videos = mediaStore(deps.table);
  const keys = mediaKeys;

  async function readText(key: string): Promise<string | undefined> {
    const object = await media.get(key);
    if (!object) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body)
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  }

  /** The video's segment durations, from its master's first variant: subtitle segments line up with them. */
  async function segmentDurations(videoId: string, master: string): Promise<number[]> {
    const first = parseMasterPlaylist(master).variants[0];
    if (!first) throw new Error(`the master of video ${videoId} has no variants`);
    const text = await readText(`${keys(videoId).hlsPrefix}${first.uri}`);
    if (text === undefined) throw new Error(`the ${first.uri} playlist of video ${videoId} is missing`);
    return parseMediaPlaylist(text).segments.map((segment) => segment.durationSeconds);
  }

  /** Writes one revision's segments, then its playlist (last: a playlist never names a missing segment). */
  async function publishRevision(record: SubtitleRecord, durations: number[]): Promise<void> {
    const folder = folderKey(record.videoId, record.language, record.revision);
    if (await media.head(`${folder}${SUBTITLE_PLAYLIST}`)) return;
    const source = await readText(sourceKey(record.videoId, record.language, record.revision));
    if (source === undefined)
      throw new Error(`the ${record.language} subtitles of ${record.videoId} lost their source`);
    const segments = subtitleSegments((await parseSubtitles(source)).cues, durations);
    for (const segment of segments) {
      await media.put(`${folder}${segment.name}`, Buffer.from(segment.text), {
        contentType: VTT_TYPE,
        cacheControl: WEBVTT_CACHE_CONTROL,
      });
    }
    await media.put(`${folder}${SUBTITLE_PLAYLIST}`, Buffer.from(subtitleMediaPlaylist(segments)), {
      contentType: PLAYLIST_TYPE,
      cacheControl: PLAYLIST_CACHE_CONTROL,
    });
  }

  const fingerprint = (list: SubtitleRecord[]) =>
    list
      .map((record) => `${record.language}:${record.revision}`)
      .sort()
      .join(',');

  /**
   * Makes the master list exactly the recorded languages (publishing any revision not yet in the
   * HLS tree). Writers race only on the master: each re-reads the records after its write and
   * writes again if they changed meanwhile, so the last write always reflects the last record.
   */
  async function refreshMaster(videoId: string): Promise<void> {
    const masterKey = keys(videoId).master;
    for (let attempt = 0; attempt < 5; attempt++) {
      const list = await records.list(videoId);
      const master = await readText(masterKey);
      if (master === undefined) return; // no ladder yet: the transcode's finalize will call this
      if (list.length > 0) {
        const durations = await segmentDurations(videoId, master);
        for (const record of list) await publishRevision(record, durations);
      }
      const next = withSubtitles(
        master,
        list.map((record) => ({
          language: record.language,
          name: record.name,
          uri: `${subtitleFolder(record.language, record.revision)}/${SUBTITLE_PLAYLIST}`,
        })),
      );
      if (next !== master) {
        await media.put(masterKey, Buffer.from(next), {
          contentType: PLAYLIST_TYPE,
          cacheControl: PLAYLIST_CACHE_CONTROL,
        });
      }
      if (fingerprint(await records.list(videoId)) === fingerprint(list)) return;
    }
    logger.warn('subtitle master refresh gave up after 5 concurrent changes', { videoId });
  }

  /** Deletes a language's files other than the revisions `keep` names (sources and HLS folders). */
  async function dropRevisions(videoId: string, language: string, keep: (string | null)[]): Promise<void> {
    const kept = new Set(keep.filter((revision): revision is string => revision !== null));
    const hlsPrefix = `${keys(videoId).hlsPrefix}sub_${language}_`;
    for (const object of await media.list(hlsPrefix)) {
      const revision = object.key.slice(hlsPrefix.length).split('/')[0] ?? '';
      if (!kept.has(revision)) await media.delete(object.key);
    }
    for (const object of await media.list(`${subtitleSourcePrefix(videoId)}${language}/`)) {
      const revision =
        object.key
          .split('/')
          .at(-1)
          ?.replace(/\.vtt$/, '') ?? '';
      if (!kept.has(revision)) await media.delete(object.key);
    }
  }

  const isReady = async (videoId: string) => (await videos.find(videoId))?.video.state === 'ready';

  return {
    refreshMaster,

    async list(videoId: string) {
      return (await records.list(videoId)).map(subtitleView);
    },

    /**
     * Adds or replaces one language. The file is decoded and checked first (any problem: an
     * AppError with every issue by line, nothing written); then its canonical WebVTT is stored, its
     * record and event committed, and, if the ladder is ready, the master rewritten.
     */
    async put(videoId: string, language: string, bytes: Uint8Array) {
      let parsed;
      let encoding;
      try {
        const decoded = decodeSubtitleBytes(bytes);
        encoding = decoded.encoding;
        parsed = await parseSubtitles(decoded.text);
      } catch (error) {
        if (error instanceof SubtitleRejected) throw refused(error);
        throw error;
      }
      const found = await videos.find(videoId);
      if (!found) throw notFound('video media (upload the video first)');
      const name = languageName(language);
      if (!name) throw new AppError('invalid_input', `no name is known for language ${language}`);
      const vtt = toWebVtt(parsed.cues);
      const revision = createHash('sha256').update(vtt).digest('hex').slice(0, 16);
      const previous = await records.find(videoId, language);
      await media.put(sourceKey(videoId, language, revision), Buffer.from(vtt), { contentType: VTT_TYPE });
      const record: SubtitleRecord = {
        videoId,
        language,
        name,
        revision,
        previousRevision:
          previous && previous.revision !== revision ? previous.revision : (previous?.previousRevision ?? null),
        format: parsed.format,
        encoding,
        cueCount: parsed.cues.length,
        bytes: bytes.length,
        updatedAt: new Date(clock.now()).toISOString(),
      };
      if (found.video.state === 'ready') {
        const master = await readText(keys(videoId).master);
        if (master !== undefined) await publishRevision(record, await segmentDurations(videoId, master));
      }
      await records.save(record, [SubtitlesChanged.create({ videoId, language, revision }, clock.now())]);
      if (found.video.state === 'ready') await refreshMaster(videoId);
      await dropRevisions(videoId, language, [record.revision, record.previousRevision]);
      return { ...subtitleView(record), replaced: previous !== undefined };
    },

    /**
     * Removes one language from the master. Its last revision's HLS folder stays, so a player that
     * fetched the master before keeps the track until the language is published again.
     */
    async remove(videoId: string, language: string): Promise<void> {
      const record = await records.find(videoId, language);
      if (!record) throw notFound(`${language} subtitles`);
      await records.remove(videoId, language, [
        SubtitlesChanged.create({ videoId, language, revision: null }, clock.now()),
      ]);
      if (await isReady(videoId)) await refreshMaster(videoId);
      await dropRevisions(videoId, language, [record.revision]);
      for (const object of await media.list(`${subtitleSourcePrefix(videoId)}${language}/`))
        await media.delete(object.key);
    },

    /** A deleted video's languages (its files go with the rest of its media). */
    removeAll: (videoId: string) => records.removeAll(videoId),
  };
}

export type Subtitles = ReturnType<typeof createSubtitles>;
