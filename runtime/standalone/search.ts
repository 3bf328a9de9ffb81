import { searchSync, searchSyncSubscriptions, SEARCH_SYNC } from '#services/catalog/src/search-sync.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import { miniSearchIndex } from '#platform/local/search-minisearch.js';
import { localWorkflow } from '#platform/local/workflow.js';
import { searchSyncDefinition } from '#workflows/index.js';

/**
 * Search standalone: the embedded index, the search-sync ASL run by the local runner (its
 * SyncVideo and DeadLetter states mapped to the catalog's tasks) and the subscriptions that start
 * it. The caller passes `index` to the catalog app, registers `subscriptions` (inbox: the catalog
 * table), awaits `rebuild()` once at start and `close()` at shutdown.
 */
export function localSearch(options: { table: Table; clock: Clock; logger?: Logger }) {
  const logger = options.logger ?? silentLogger;
  const index = miniSearchIndex();
  const sync = searchSync({ table: options.table, index, clock: options.clock, logger });
  const workflow = localWorkflow({
    definitions: { [SEARCH_SYNC]: searchSyncDefinition },
    handlers: { [SEARCH_SYNC]: sync.tasks },
    logger: logger.child({ part: 'search-sync' }),
  });
  return {
    index,
    sync,
    workflow,
    subscriptions: searchSyncSubscriptions(workflow),
    /** Fills the index from the catalog; logs and returns how long it took. */
    async rebuild() {
      const started = performance.now();
      const count = await sync.rebuild();
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger.info('search index rebuilt from the catalog', { videos: count, ms });
      return { videos: count, ms };
    },
    close: () => workflow.close(),
  };
}
