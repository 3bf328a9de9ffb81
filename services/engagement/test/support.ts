import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { SqliteTable } from '#platform/local/sqlite-table.js';
import { VideoDeleted, VideoPublished, VideoUnpublished } from '#shared/events/catalog.js';
import type { EventEnvelope } from '#shared/events/define.js';
import { deliver } from '#shared/events/subscribe.js';
import type { LiveFeed, Realtime } from '#shared/ports/realtime.js';
import type { Json } from '#shared/ports/table.js';
import { testAuth } from '#test/support/auth.js';
import { createEngagementApp } from '../src/http.js';
import type { EngagementDeps } from '../src/http.js';
import { engagementSubscriptions } from '../src/subscribers.js';
import type { WatchAccess } from '../src/watch-access.js';

export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

export const videoFacts = (videoId: string) => ({
  videoId,
  title: `Title ${videoId}`,
  description: '',
  cast: [],
  genres: [],
  priceJpy: 400,
  freePreview: false,
});

/** Records what would be pushed to viewers. */
export function recordingRealtime() {
  const published: { channel: string; message: Json }[] = [];
  const realtime: Realtime = {
    async publish(channel, message) {
      published.push({ channel, message });
    },
  };
  return { realtime, published };
}

/**
 * Entitlement's answers as a settable table: `grant(user, video, until?)` lets that viewer watch
 * that title (until a time), anything else is refused. Counts the calls, to see the cache work.
 */
export function grantsAccess(now: () => number) {
  const grants = new Map<string, number | null>();
  const calls: string[][] = [];
  const access: WatchAccess = {
    async decide(viewer, videoIds) {
      calls.push([...videoIds]);
      return Object.fromEntries(
        videoIds.map((videoId) => {
          const until = grants.get(`${viewer.userId}/${videoId}`);
          const canWatch = until !== undefined && (until === null || until > now());
          return [videoId, { canWatch, expiresAt: canWatch ? until : null }];
        }),
      );
    },
  };
  return {
    access,
    calls,
    grant: (userId: string, videoId: string, until: number | null = null) => grants.set(`${userId}/${videoId}`, until),
    revoke: (userId: string, videoId: string) => grants.delete(`${userId}/${videoId}`),
  };
}

/**
 * The engagement app on a throw-away SQLite file and a settable clock, with its subscribers
 * (catalog projection, live fan-out into a recording Realtime) delivered through the inbox.
 */
export async function engagementHarness(
  overrides: Partial<EngagementDeps> & { live?: LiveFeed; realtime?: Realtime } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-engagement-'));
  const clock = { at: T0, now: () => clock.at };
  const table: SqliteTable = sqliteTable({ file: join(dir, 'engagement.db'), now: clock.now });
  const auth = await testAuth(clock.now);
  const recording = recordingRealtime();
  const { realtime = recording.realtime, ...appOverrides } = overrides;
  const published = recording.published;
  const watch = grantsAccess(clock.now);
  const app = createEngagementApp({ table, verifier: auth.verifier, clock, access: watch.access, ...appOverrides });
  const subscriptions = engagementSubscriptions({ table, realtime });

  const deliverEvent = async (envelope: EventEnvelope) => {
    const subscription = subscriptions.find((found) => found.event.matches(envelope));
    if (!subscription) throw new Error(`no subscriber for ${envelope['detail-type']}`);
    return deliver(subscription, envelope, table, clock.at);
  };
  let tick = 0;
  const publish = (videoId: string) => deliverEvent(VideoPublished.create(videoFacts(videoId), clock.at + tick++));
  const unpublish = (videoId: string) => deliverEvent(VideoUnpublished.create({ videoId }, clock.at + tick++));
  const remove = (videoId: string) => deliverEvent(VideoDeleted.create({ videoId }, clock.at + tick++));

  const call = async (
    method: string,
    path: string,
    options: { as?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) =>
    app.request(path, {
      method,
      headers: {
        ...(options.as ? await auth.bearer(options.as) : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.raw === undefined ? {} : { body: options.raw }),
    });

  /** Delivers the pending outbox (LikeCountChanged) to the subscribers, as the dispatcher would. */
  const drainOutbox = async () => {
    const rows = table.outbox.pending(10_000);
    for (const row of rows) await deliverEvent(row.envelope);
    table.outbox.markRelayed(rows.map((row) => row.seq));
    return rows.map((row) => row.envelope);
  };

  return {
    app,
    table,
    clock,
    call,
    publish,
    unpublish,
    remove,
    deliverEvent,
    drainOutbox,
    published,
    watch,
    close() {
      table.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type EngagementHarness = Awaited<ReturnType<typeof engagementHarness>>;
