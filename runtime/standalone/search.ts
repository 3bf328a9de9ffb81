import { searchSync, searchSyncSubscriptions, SEARCH_SYNC } from '#services/catalog/src/search-sync.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { SearchIndex } from '#shared/ports/search-index.js';
import type { Table } from '#shared/ports/table.js';
import { miniSearchIndex } from '#platform/local/search-minisearch.js';
import { localWorkflow } from '#platform/local/workflow.js';
import { searchSyncDefinition } from '#workflows/index.js';

/**
 * Search standalone: the embedded index, rebuilt from the catalog as soon as it is made, the
 * search-sync ASL run by the local runner (its SyncVideo and DeadLetter states mapped to the
 * catalog's tasks) and the subscriptions that start it. Until the rebuild is done, every call on
 * `index` waits for it, so an event handled meanwhile lands on top of the rebuilt index.
 * The caller passes `index` to the catalog app, registers `subscriptions` (inbox: the catalog
 * table) and calls `close()` at shutdown.
 */
export function localSearch(options: { table: Table; clock: Clock; logger?: Logger }) {
  const logger = options.logger ?? silentLogger;
  const engine = miniSearchIndex();
  const sync = searchSync({ table: options.table, index: engine, clock: options.clock, logger });
  const started = performance.now();
  const rebuilt = sync.rebuild().then(
    (videos) => {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger.info('search index rebuilt from the catalog', { videos, ms });
      return { videos, ms };
    },
    (error: unknown) => {
      logger.error('search index rebuild failed; events will fill it', { err: error });
      return { videos: 0, ms: NaN };
    },
  );
  const index: SearchIndex = {
    upsert: async (documents) => rebuilt.then(() => engine.upsert(documents)),
    delete: async (ids) => rebuilt.then(() => engine.delete(ids)),
    replaceAll: async (documents) => rebuilt.then(() => engine.replaceAll(documents)),
    search: async (query) => rebuilt.then(() => engine.search(query)),
  };
  // The workflow's tasks write through the gated index too.
  const tasks = searchSync({ table: options.table, index, clock: options.clock, logger }).tasks;
  const workflow = localWorkflow({
    definitions: { [SEARCH_SYNC]: searchSyncDefinition },
    handlers: { [SEARCH_SYNC]: tasks },
    logger: logger.child({ part: 'search-sync' }),
  });
  return {
    index,
    tasks,
    deadLetters: () => sync.deadLetters(),
    workflow,
    subscriptions: searchSyncSubscriptions(workflow),
    /** The start-up rebuild: how many videos and how long it took. */
    rebuilt,
    close: () => workflow.close(),
  };
}
