import { describe, expect, it } from 'vitest';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { SubscriptionEnded, SubscriptionStarted } from '#shared/events/entitlement.js';
import type { IdentityDirectory } from '#shared/ports/identity-directory.js';
import { fulfil } from '../src/fulfilment.js';
import { entitlementStore } from '../src/store.js';
import { entitlementSubscriptions } from '../src/subscribers.js';

/** On AWS the plan claim lives in Auth0; the subscribers keep it equal to what the store says. */
describe('plan claim subscribers', () => {
  const now = Date.UTC(2030, 0, 10);
  const clock = { now: () => now };

  it('writes the plan the store holds after each subscription event, whatever the event says', async () => {
    const table = sqliteTable({ file: ':memory:', now: clock.now });
    const calls: [string, string][] = [];
    const directory: IdentityDirectory = { setPlan: async (userId, plan) => void calls.push([userId, plan]) };
    const subscriptions = entitlementSubscriptions({ table, clock, directory });
    const onStarted = subscriptions.find((s) => s.name === 'entitlement.plan-claim-SubscriptionStarted')!;
    const onEnded = subscriptions.find((s) => s.name === 'entitlement.plan-claim-SubscriptionEnded')!;

    const periodEnd = now + 30 * 24 * 3600 * 1000;
    const store = entitlementStore(table, { now: clock.now });
    await fulfil(
      store,
      {
        kind: 'subscription',
        eventId: 'evt_1',
        at: now,
        subscriptionId: 'sub_1',
        userId: 'u1',
        state: 'active',
        periodEnd,
      },
      now,
    );
    const detail = { userId: 'u1', subscriptionId: 'sub_1', periodEnd: new Date(periodEnd).toISOString() };
    await onStarted.handle(SubscriptionStarted.create(detail, now));
    // A late "ended" for a subscription the store still holds active: the store's answer wins.
    await onEnded.handle(SubscriptionEnded.create({ userId: 'u1', subscriptionId: 'sub_1' }, now));
    await onEnded.handle(SubscriptionEnded.create({ userId: 'u2', subscriptionId: 'sub_2' }, now));
    expect(calls).toEqual([
      ['u1', 'unlimited'],
      ['u1', 'unlimited'],
      ['u2', 'none'],
    ]);
    table.close();
  });

  it('does nothing without a directory (standalone: the issuer reads the store)', async () => {
    const table = sqliteTable({ file: ':memory:', now: clock.now });
    const [onStarted] = entitlementSubscriptions({ table, clock }).filter((s) =>
      s.name.startsWith('entitlement.plan-claim'),
    );
    await expect(
      onStarted!.handle(
        SubscriptionStarted.create({ userId: 'u1', subscriptionId: 's', periodEnd: new Date(now).toISOString() }, now),
      ),
    ).resolves.toBeUndefined();
    table.close();
  });
});
