import { z } from 'zod';
import type { EventEnvelope } from '#shared/events/define.js';
import type { Item, Table } from '#shared/ports/table.js';

/**
 * A video's subtitle languages on the media table, beside its media record:
 *   video#<id> / subtitle#<language>   one language: the revision published, and the one before
 *                                       (kept servable for players holding an older master)
 */
export const SubtitleRecord = z.object({
  videoId: z.string(),
  language: z.string(),
  /** The language's name in itself: the NAME of its HLS rendition. */
  name: z.string(),
  /** A digest of the canonical WebVTT: names its files, so a replacement never overwrites them. */
  revision: z.string(),
  previousRevision: z.string().nullable(),
  format: z.enum(['vtt', 'srt']),
  encoding: z.enum(['utf-8', 'utf-8-bom', 'shift_jis']),
  cueCount: z.number().int().positive(),
  /** The uploaded file's size. */
  bytes: z.number().int().positive(),
  updatedAt: z.iso.datetime(),
});
export type SubtitleRecord = z.infer<typeof SubtitleRecord>;

const PREFIX = 'subtitle#';
const key = (videoId: string, language: string) => ({ pk: `video#${videoId}`, sk: `${PREFIX}${language}` });

export type SubtitleStore = ReturnType<typeof subtitleStore>;

export function subtitleStore(table: Table) {
  return {
    async list(videoId: string): Promise<SubtitleRecord[]> {
      const page = await table.query({ partition: `video#${videoId}`, sort: { beginsWith: PREFIX }, limit: 200 });
      return page.items.map((item) => SubtitleRecord.parse(item));
    },

    async find(videoId: string, language: string): Promise<SubtitleRecord | undefined> {
      const item = await table.get(key(videoId, language));
      return item ? SubtitleRecord.parse(item) : undefined;
    },

    /** Writes the language's record and its event together (the outbox). */
    async save(record: SubtitleRecord, events: EventEnvelope[]): Promise<void> {
      const item: Item = { ...key(record.videoId, record.language), ...SubtitleRecord.parse(record) };
      await table.transact([{ put: item }], { events });
    },

    async remove(videoId: string, language: string, events: EventEnvelope[]): Promise<void> {
      await table.transact([{ delete: key(videoId, language) }], { events });
    },

    /** Forgets every language of a deleted video (no events: the video's deletion already told). */
    async removeAll(videoId: string): Promise<void> {
      for (const record of await this.list(videoId)) await table.delete(key(videoId, record.language));
    },
  };
}
