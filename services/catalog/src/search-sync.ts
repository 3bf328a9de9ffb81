import { z } from 'zod';
import { SEARCH_SYNC_TRIGGERS } from '#shared/events/catalog.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { subscribe } from '#shared/events/subscribe.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Subscription } from '#shared/ports/bus.js';
import type { Clock } from '#shared/ports/clock.js';
import type { SearchDocument, SearchIndex } from '#shared/ports/search-index.js';
import type { Table } from '#shared/ports/table.js';
import type { Workflow } from '#shared/ports/workflow.js';
import { searchDocument } from './domain/search.js';
import { catalogStore } from './store.js';

/** The workflow's name (workflows/search-sync.asl.json). */
export const SEARCH_SYNC = 'search-sync';

/** The workflow's input: the catalog event's EventBridge envelope (as a rule target receives it). */
const SyncInput = z.object({
  id: z.string(),
  'detail-type': z.string(),
  detail: z.object({ videoId: z.string().min(1) }),
});

/** What the DeadLetter state sends (SQS SendMessage's parameters). */
const DeadLetterInput = z.object({
  MessageBody: z.object({ event: SyncInput.partial().passthrough(), error: z.unknown() }),
});

const DEAD_LETTERS = 'search#dead-letter';

export interface SearchSyncDeps {
  table: Table;
  index: SearchIndex;
  clock: Clock;
  logger?: Logger;
}

/**
 * Keeps the search index equal to the catalog's published videos. Each event only says WHICH
 * video changed: the task reads the video now and indexes it if it is published, removes it
 * otherwise. So the outcome never depends on event order, and a retry or a redelivery is harmless.
 */
export function searchSync(deps: SearchSyncDeps) {
  const store = catalogStore(deps.table);
  const logger = deps.logger ?? silentLogger;

  async function syncVideo(videoId: string) {
    const video = await store.find(videoId);
    const document = video ? searchDocument(video) : undefined;
    if (document) await deps.index.upsert([document]);
    else await deps.index.delete([videoId]);
    return { videoId, action: document ? 'indexed' : 'removed' } as const;
  }

  return {
    syncVideo,

    /** The workflow's Task states, by state name (the Lambda exports on AWS, local functions standalone). */
    tasks: {
      SyncVideo: async (input: unknown) => syncVideo(SyncInput.parse(input).detail.videoId),
      /** Standalone stand-in for the SQS dead-letter queue: the failed event and its error, kept. */
      DeadLetter: async (input: unknown) => {
        const { event, error } = DeadLetterInput.parse(input).MessageBody;
        const at = deps.clock.now();
        await deps.table.put({
          pk: DEAD_LETTERS,
          sk: `${new Date(at).toISOString()}#${event.id ?? 'unknown'}`,
          event: JSON.parse(JSON.stringify(event)) as never,
          error: JSON.parse(JSON.stringify(error ?? null)) as never,
        });
        logger.error('search sync gave up; event dead-lettered', { eventId: event.id, error });
        return { deadLettered: true };
      },
    },

    /** The events the dead-letter task kept, oldest first. */
    async deadLetters() {
      const page = await deps.table.query({ partition: DEAD_LETTERS, limit: 100 });
      return page.items.map((item) => ({ event: item.event, error: item.error }));
    },

    /** Rebuilds the whole index from the catalog's published videos (at start); returns the count. */
    async rebuild(): Promise<number> {
      const documents: SearchDocument[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ publishedOnly: true, limit: 100, ...(cursor ? { cursor } : {}) });
        for (const video of page.items) {
          const document = searchDocument(video);
          if (document) documents.push(document);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      await deps.index.replaceAll(documents);
      return documents.length;
    },
  };
}

/**
 * Standalone, the catalog events start the workflow from the outbox dispatcher (on AWS an
 * EventBridge rule starts the state machine). The event id names the execution: a redelivered
 * event starts nothing new.
 */
export function searchSyncSubscriptions(workflow: Workflow): Subscription[] {
  return SEARCH_SYNC_TRIGGERS.map((event) =>
    subscribe(`catalog.search-sync-${event.type}`, event, async (_detail, envelope: EventEnvelope) => {
      await workflow.start(SEARCH_SYNC, envelope, envelope.id);
    }),
  );
}
