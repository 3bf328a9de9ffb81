import { conflict } from '#shared/errors.js';
import { ConditionFailedError } from '#shared/errors.js';
import type { Item, Table } from '#shared/ports/table.js';
import type { ListEntry } from './domain/my-list.js';
import { listItem, listKey, listPartition, MAX_LIST_ITEMS } from './domain/my-list.js';
import type { ContinueItem, Progress, ProgressReport } from './domain/progress.js';
import { PROGRESS_PREFIX, progressItem, progressKey, userPartition, watchingPartition } from './domain/progress.js';

const progressOf = (item: Item): Progress => ({
  videoId: String(item.videoId),
  positionSeconds: Number(item.positionSeconds),
  durationSeconds: Number(item.durationSeconds),
  updatedAt: String(item.updatedAt),
  finished: item.finished === true,
});

/**
 * A viewer's own records on the Table port (layouts in domain/progress.ts and domain/my-list.ts):
 * positions and "my list". Plain puts and deletes, no transactions and no events: nothing else
 * reacts to them, so they run the same on SQLite, DynamoDB and dynalite.
 */
export function viewerStore(table: Table) {
  return {
    /** Keeps the position (the last write wins). */
    async saveProgress(userId: string, videoId: string, report: ProgressReport, at: number): Promise<Progress> {
      const item = progressItem(userId, videoId, report, at);
      await table.put(item);
      return progressOf(item);
    },

    /** Several positions at once, all or none: one transaction (one fsync on SQLite). */
    async saveProgresses(
      entries: readonly { userId: string; videoId: string; report: ProgressReport; at: number }[],
    ): Promise<void> {
      const items = entries.map(({ userId, videoId, report, at }) => progressItem(userId, videoId, report, at));
      if (items.length === 1) await table.put(items[0]!);
      else if (items.length > 1) await table.transact(items.map((item) => ({ put: item })));
    },

    async progress(userId: string, videoId: string): Promise<Progress | undefined> {
      const item = await table.get(progressKey(userId, videoId));
      return item ? progressOf(item) : undefined;
    },

    /** Positions for the given titles (finished ones included), for "watched?" questions. */
    async progressFor(userId: string, videoIds: readonly string[]): Promise<Record<string, Progress>> {
      const found = await Promise.all(videoIds.map((videoId) => table.get(progressKey(userId, videoId))));
      return Object.fromEntries(found.flatMap((item) => (item ? [[String(item.videoId), progressOf(item)]] : [])));
    },

    /** Unfinished titles, most recently watched first: one query on the sparse index. */
    async unfinished(userId: string, limit: number): Promise<ContinueItem[]> {
      const page = await table.query({ partition: watchingPartition(userId), index: 'gsi1', descending: true, limit });
      return page.items.map((item) => {
        const { videoId, positionSeconds, durationSeconds, updatedAt } = progressOf(item);
        return { videoId, positionSeconds, durationSeconds, updatedAt };
      });
    },

    /** Every title the viewer has a position for (finished or not), bounded. */
    async watchedIds(userId: string, max = 1000): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await table.query({
          partition: userPartition(userId),
          sort: { beginsWith: PROGRESS_PREFIX },
          limit: Math.min(1000, max - ids.length),
          cursor,
        });
        ids.push(...page.items.map((item) => String(item.videoId)));
        cursor = page.cursor;
      } while (cursor && ids.length < max);
      return ids;
    },

    async list(userId: string, max = MAX_LIST_ITEMS): Promise<ListEntry[]> {
      const entries: ListEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await table.query({
          partition: listPartition(userId),
          index: 'gsi2',
          descending: true,
          limit: Math.min(1000, max - entries.length),
          cursor,
        });
        entries.push(...page.items.map((item) => ({ videoId: String(item.videoId), addedAt: String(item.addedAt) })));
        cursor = page.cursor;
      } while (cursor && entries.length < max);
      return entries;
    },

    async inList(userId: string, videoId: string): Promise<boolean> {
      return (await table.get(listKey(userId, videoId))) !== undefined;
    },

    /** Idempotent: a title already in the list keeps its place. Refuses a full list (409). */
    async addToList(userId: string, videoId: string, at: number): Promise<void> {
      if (await this.inList(userId, videoId)) return;
      if ((await this.list(userId, MAX_LIST_ITEMS)).length >= MAX_LIST_ITEMS) {
        throw conflict(`my list holds at most ${MAX_LIST_ITEMS} titles; remove one first`);
      }
      try {
        await table.put(listItem(userId, videoId, at), [{ kind: 'notExists' }]);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error; // added meanwhile: the same outcome
      }
    },

    async removeFromList(userId: string, videoId: string): Promise<void> {
      await table.delete(listKey(userId, videoId));
    },
  };
}

export type ViewerStore = ReturnType<typeof viewerStore>;
