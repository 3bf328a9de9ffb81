import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '#shared/events/define.js';
import { subscribe } from '#shared/events/subscribe.js';
import { createLogger } from '#shared/log.js';
import { sqliteTable, type SqliteTable } from '#platform/local/sqlite-table.js';
import { eventBridgeHandler } from './event-consumer.js';

const Purchased = defineEvent('entitlement', 'ConsumerTestPurchased', z.object({ videoId: z.string() }));
const Other = defineEvent('entitlement', 'ConsumerTestOther', z.object({}));

/** What EventBridge hands a Lambda target: the envelope with account and region filled in. */
const eventBridgeEvent = (detail: unknown, id = 'b1f0e6c2-0000-4000-8000-000000000001', resources: string[] = []) => ({
  version: '0',
  id,
  'detail-type': 'ConsumerTestPurchased',
  source: 'kinema.entitlement',
  account: '123456789012',
  time: '2025-01-02T03:04:05Z',
  region: 'ap-northeast-1',
  resources,
  detail,
});

describe('eventBridgeHandler', () => {
  let inbox: SqliteTable;
  let logs: Record<string, unknown>[];
  const logger = createLogger({
    level: 'debug',
    write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
  });

  beforeEach(() => {
    inbox = sqliteTable({ file: ':memory:' });
    logs = [];
  });
  afterEach(() => inbox.close());

  it('delivers to every matching subscription once, dropping redeliveries', async () => {
    const seen: string[] = [];
    const handler = eventBridgeHandler({
      subscriptions: [
        subscribe('test.a', Purchased, async (detail) => void seen.push(`a:${detail.videoId}`)),
        subscribe('test.b', Purchased, async (detail) => void seen.push(`b:${detail.videoId}`)),
        subscribe('test.other', Other, async () => void seen.push('other')),
      ],
      inbox,
      now: Date.now,
      logger,
    });
    await handler(eventBridgeEvent({ videoId: 'v1' }));
    await handler(eventBridgeEvent({ videoId: 'v1' }));
    expect(seen).toEqual(['a:v1', 'b:v1']);
    expect(await inbox.get({ pk: 'inbox#test.a', sk: 'b1f0e6c2-0000-4000-8000-000000000001' })).toBeDefined();
    expect(logs.filter((entry) => entry.outcome === 'duplicate')).toHaveLength(2);
  });

  it('deduplicates by the producer id the outbox relay keeps in resources, not the bus id', async () => {
    const seen: string[] = [];
    const handler = eventBridgeHandler({
      subscriptions: [subscribe('test.a', Purchased, async (detail) => void seen.push(detail.videoId))],
      inbox,
      now: Date.now,
      logger,
    });
    // The relay retried: two bus events with new ids carry the same outbox event.
    await handler(eventBridgeEvent({ videoId: 'v1' }, 'bus-id-1', ['kinema:event:01outboxid']));
    await handler(eventBridgeEvent({ videoId: 'v1' }, 'bus-id-2', ['kinema:event:01outboxid']));
    expect(seen).toEqual(['v1']);
    expect(await inbox.get({ pk: 'inbox#test.a', sk: '01outboxid' })).toBeDefined();
  });

  it('logs and ignores an event no subscription wants', async () => {
    const handler = eventBridgeHandler({
      subscriptions: [subscribe('test.other', Other, async () => {})],
      inbox,
      now: Date.now,
      logger,
    });
    await handler(eventBridgeEvent({ videoId: 'v1' }));
    expect(logs).toMatchObject([
      { level: 'warn', msg: 'no subscription for event; ignored', detailType: 'ConsumerTestPurchased' },
    ]);
  });

  it('throws on a malformed event or a failing handler, and the retry completes only what failed', async () => {
    let fail = true;
    const handled: string[] = [];
    const handler = eventBridgeHandler({
      subscriptions: [
        subscribe('test.ok', Purchased, async () => void handled.push('ok')),
        subscribe('test.flaky', Purchased, async () => {
          if (fail) throw new Error('downstream unavailable');
          handled.push('flaky');
        }),
      ],
      inbox,
      now: Date.now,
      logger,
    });
    await expect(handler({ source: 'kinema.entitlement', detail: {} })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(handler(eventBridgeEvent({ videoId: 7 }))).rejects.toThrow();
    expect(handled).toEqual([]);
    await expect(handler(eventBridgeEvent({ videoId: 'v1' }))).rejects.toThrow('downstream unavailable');
    expect(handled).toEqual(['ok']);
    fail = false;
    await handler(eventBridgeEvent({ videoId: 'v1' }));
    expect(handled).toEqual(['ok', 'flaky']);
  });
});
