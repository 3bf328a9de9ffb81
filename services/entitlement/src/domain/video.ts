import { z } from 'zod';

/**
 * What entitlement knows of a catalog title, projected from the catalog's events: enough to
 * price a rental, to let free previews through and to refuse unpublished or deleted titles.
 * `factsVersion` / `stateVersion` are the (event time, event id) of the last event applied to the
 * descriptive fields and to the publication state, so late or repeated deliveries change nothing.
 */
export const VideoFacts = z.object({
  videoId: z.string(),
  title: z.string(),
  priceJpy: z.number().int().nonnegative(),
  freePreview: z.boolean(),
  published: z.boolean(),
  deleted: z.boolean(),
  factsVersion: z.string(),
  stateVersion: z.string(),
});
export type VideoFacts = z.infer<typeof VideoFacts>;

export type CatalogChange =
  | { kind: 'facts'; title: string; priceJpy: number; freePreview: boolean; published?: boolean }
  | { kind: 'unpublished' }
  | { kind: 'deleted' };

/** Orders events by their time, then id: a fixed-width string, so plain comparison works. */
export const eventVersion = (time: string, id: string) => `${String(Date.parse(time)).padStart(15, '0')}#${id}`;

/**
 * Folds one catalog event into the facts; undefined when it changes nothing (older than what is
 * known, a redelivery, or anything after a deletion, which is final).
 */
export function applyCatalogChange(
  current: VideoFacts | undefined,
  videoId: string,
  change: CatalogChange,
  version: string,
): VideoFacts | undefined {
  if (current?.deleted) return undefined;
  const next: VideoFacts = current ?? {
    videoId,
    title: '',
    priceJpy: 0,
    freePreview: false,
    published: false,
    deleted: false,
    factsVersion: '',
    stateVersion: '',
  };
  let changed = false;
  const result = { ...next };
  if (change.kind === 'facts' && version > next.factsVersion) {
    Object.assign(result, {
      title: change.title,
      priceJpy: change.priceJpy,
      freePreview: change.freePreview,
      factsVersion: version,
    });
    changed = true;
  }
  const state = change.kind === 'facts' ? change.published : change.kind === 'unpublished' ? false : undefined;
  if (change.kind === 'deleted') {
    Object.assign(result, { deleted: true, published: false, stateVersion: version });
    changed = true;
  } else if (state !== undefined && version > next.stateVersion) {
    Object.assign(result, { published: state, stateVersion: version });
    changed = true;
  }
  return changed ? result : undefined;
}
