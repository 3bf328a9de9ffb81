import { describe, expect, it } from 'vitest';
import { decideAccess } from '../src/domain/access.js';
import type { AccessFacts } from '../src/domain/access.js';
import {
  isRentalWatchable,
  lastRentalEnd,
  newRental,
  refundRental,
  RENTAL_WINDOW_MS,
  rentalAccessUntil,
  rentalReminderAt,
} from '../src/domain/rental.js';
import {
  applySubscriptionFact,
  canResume,
  planAccessUntil,
  subscriptionCovers,
  subscriptionStatus,
} from '../src/domain/subscription.js';
import type { Subscription } from '../src/domain/subscription.js';
import { applyCatalogChange, eventVersion } from '../src/domain/video.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const HOUR = 3600_000;
const SECOND = 1000;
const rental = (purchasedAt: number, videoId = 'v1', paymentId = `pi_${purchasedAt}`) =>
  newRental({ rentalId: `r${purchasedAt}`, videoId, paymentId, purchasedAt, amountJpy: 400 });

describe('rental', () => {
  it('lasts exactly 48 hours from purchase; the reminder is 5 hours before the end', () => {
    const r = rental(T0);
    expect(RENTAL_WINDOW_MS).toBe(48 * HOUR);
    expect(Date.parse(r.expiresAt)).toBe(T0 + 48 * HOUR);
    expect(rentalReminderAt(Date.parse(r.expiresAt))).toBe(T0 + 43 * HOUR);
  });

  it('is watchable from the purchase instant to one millisecond before +48 h, and never after', () => {
    const r = rental(T0);
    expect(isRentalWatchable(r, T0 - 1)).toBe(false);
    expect(isRentalWatchable(r, T0)).toBe(true);
    expect(isRentalWatchable(r, T0 + 48 * HOUR - SECOND)).toBe(true);
    expect(isRentalWatchable(r, T0 + 48 * HOUR - 1)).toBe(true);
    expect(isRentalWatchable(r, T0 + 48 * HOUR)).toBe(false);
    expect(isRentalWatchable(r, T0 + 48 * HOUR + SECOND)).toBe(false);
  });

  it('a repeat purchase starts a new 48 h window from the new purchase', () => {
    const first = rental(T0);
    const second = rental(T0 + 30 * HOUR);
    expect(rentalAccessUntil([first, second], 'v1', T0 + 31 * HOUR)).toBe(T0 + 78 * HOUR);
    expect(rentalAccessUntil([first, second], 'v1', T0 + 60 * HOUR)).toBe(T0 + 78 * HOUR);
    expect(rentalAccessUntil([first, second], 'v1', T0 + 78 * HOUR)).toBeUndefined();
    expect(rentalAccessUntil([first, second], 'other', T0 + 31 * HOUR)).toBeUndefined();
  });

  it('a refund ends the rental at once and is idempotent', () => {
    const refunded = refundRental(rental(T0), T0 + HOUR);
    expect(isRentalWatchable(refunded, T0 + HOUR)).toBe(false);
    expect(refunded.refundedAt).toBe(new Date(T0 + HOUR).toISOString());
    expect(refundRental(refunded, T0 + 2 * HOUR)).toBe(refunded);
    expect(lastRentalEnd([refunded], 'v1', T0 + 2 * HOUR)).toBe(T0 + HOUR);
    expect(lastRentalEnd([rental(T0)], 'v1', T0 + 49 * HOUR)).toBe(T0 + 48 * HOUR);
    expect(lastRentalEnd([rental(T0)], 'v1', T0 + 47 * HOUR)).toBeUndefined();
  });
});

describe('subscription', () => {
  const who = { subscriptionId: 'sub_1', userId: 'u1' };
  const fold = (facts: Parameters<typeof applySubscriptionFact>[2][]) =>
    facts.reduce<Subscription | undefined>(
      (current, fact) => applySubscriptionFact(current, who, fact).next,
      undefined,
    );

  it('resumes a cancelled plan only while its paid period lasts and it has not ended', () => {
    const end = T0 + 720 * HOUR;
    const active = fold([{ at: T0, state: 'active', periodEnd: end }])!;
    expect(canResume(active, T0 + HOUR)).toBe(false);
    const cancelled = fold([
      { at: T0, state: 'active', periodEnd: end },
      { at: T0 + HOUR, cancelAtPeriodEnd: true },
    ])!;
    expect(canResume(cancelled, T0 + 2 * HOUR)).toBe(true);
    expect(canResume(cancelled, end)).toBe(false);
    const resumed = applySubscriptionFact(cancelled, who, { at: T0 + 2 * HOUR, cancelAtPeriodEnd: false });
    expect(resumed.next.cancelAtPeriodEnd).toBe(false);
    expect(subscriptionStatus(resumed.next, T0 + 3 * HOUR)).toBe('active');
    const ended = applySubscriptionFact(cancelled, who, { at: T0 + 2 * HOUR, state: 'ended' }).next;
    expect(canResume(ended, T0 + 3 * HOUR)).toBe(false);
  });

  it('starts with the first paid period and covers until the period ends', () => {
    const change = applySubscriptionFact(undefined, who, { at: T0, state: 'active', periodEnd: T0 + 720 * HOUR });
    expect(change).toMatchObject({ started: true, renewed: false, cancelled: false, ended: false, changed: true });
    expect(subscriptionCovers(change.next, T0 + 720 * HOUR - 1)).toBe(true);
    expect(subscriptionCovers(change.next, T0 + 720 * HOUR)).toBe(false);
    expect(subscriptionStatus(change.next, T0 + 720 * HOUR)).toBe('ended');
  });

  it('a checkout that only names the owner creates nothing', () => {
    expect(applySubscriptionFact(undefined, who, { at: T0 }).changed).toBe(false);
  });

  it('a cancelled plan keeps access until the paid period ends, then no access', () => {
    const sub = fold([
      { at: T0, state: 'active', periodEnd: T0 + 100 * HOUR },
      { at: T0 + HOUR, cancelAtPeriodEnd: true },
    ])!;
    expect(subscriptionStatus(sub, T0 + 2 * HOUR)).toBe('cancelled');
    expect(planAccessUntil([sub], T0 + 99 * HOUR)).toBe(T0 + 100 * HOUR);
    expect(planAccessUntil([sub], T0 + 100 * HOUR)).toBeUndefined();
  });

  it('renewals extend the period; a late, older invoice never shortens it', () => {
    const renewed = applySubscriptionFact(fold([{ at: T0, state: 'active', periodEnd: T0 + 100 * HOUR }]), who, {
      at: T0 + 100 * HOUR,
      state: 'active',
      periodEnd: T0 + 200 * HOUR,
    });
    expect(renewed).toMatchObject({ renewed: true, started: false });
    const late = applySubscriptionFact(renewed.next, who, { at: T0, state: 'active', periodEnd: T0 + 100 * HOUR });
    expect(late.changed).toBe(false);
    expect(late.next.periodEnd).toBe(new Date(T0 + 200 * HOUR).toISOString());
  });

  it('state follows the newest provider event, whatever the delivery order', () => {
    const inOrder = fold([
      { at: T0, state: 'active', periodEnd: T0 + 100 * HOUR },
      { at: T0 + 10, state: 'past_due' },
      { at: T0 + 20, state: 'active' },
    ])!;
    const shuffled = fold([
      { at: T0 + 20, state: 'active' },
      { at: T0, state: 'active', periodEnd: T0 + 100 * HOUR },
      { at: T0 + 10, state: 'past_due' },
    ])!;
    expect(inOrder.state).toBe('active');
    expect(shuffled.state).toBe('active');
    expect(shuffled.periodEnd).toBe(inOrder.periodEnd);
    // An older "not cancelled" update after a newer cancel does not undo the cancel.
    const cancelled = fold([
      { at: T0, state: 'active', periodEnd: T0 + 100 * HOUR },
      { at: T0 + 50, cancelAtPeriodEnd: true },
      { at: T0 + 40, state: 'active', cancelAtPeriodEnd: false },
    ])!;
    expect(cancelled.cancelAtPeriodEnd).toBe(true);
  });

  it('ended is final: no access, and a late "active" does not revive it', () => {
    const ended = applySubscriptionFact(fold([{ at: T0, state: 'active', periodEnd: T0 + 100 * HOUR }]), who, {
      at: T0 + 5,
      state: 'ended',
    });
    expect(ended).toMatchObject({ ended: true, changed: true });
    expect(subscriptionCovers(ended.next, T0 + HOUR)).toBe(false);
    const late = applySubscriptionFact(ended.next, who, { at: T0 + 1000, state: 'active', periodEnd: T0 + 900 * HOUR });
    expect(late.changed).toBe(false);
    // Deleted first, then its older invoice: still ended.
    const first = applySubscriptionFact(undefined, who, { at: T0 + 5, state: 'ended' });
    expect(applySubscriptionFact(first.next, who, { at: T0, state: 'active', periodEnd: T0 + HOUR }).changed).toBe(
      false,
    );
  });
});

describe('catalog facts projection', () => {
  const facts = { kind: 'facts' as const, title: 'A', priceJpy: 400, freePreview: false };
  const v = (ms: number, id = 'e') => eventVersion(new Date(ms).toISOString(), id);

  it('applies each event once and in time order, whatever the delivery order', () => {
    const created = applyCatalogChange(undefined, 'v1', { ...facts, published: false }, v(1))!;
    const published = applyCatalogChange(created, 'v1', { ...facts, title: 'B', published: true }, v(3))!;
    expect(published).toMatchObject({ title: 'B', published: true });
    expect(applyCatalogChange(published, 'v1', { ...facts, published: true }, v(3))).toBeUndefined();
    // A late update (older than the publish) changes nothing.
    expect(applyCatalogChange(published, 'v1', { ...facts, title: 'old' }, v(2))).toBeUndefined();
    // A late unpublish older than the publish is ignored; a newer one applies.
    expect(applyCatalogChange(published, 'v1', { kind: 'unpublished' }, v(2))).toBeUndefined();
    expect(applyCatalogChange(published, 'v1', { kind: 'unpublished' }, v(4))).toMatchObject({ published: false });
    // An update does not touch the publication state.
    expect(applyCatalogChange(published, 'v1', { ...facts, title: 'C' }, v(5))).toMatchObject({
      title: 'C',
      published: true,
    });
  });

  it('a deletion is final', () => {
    const published = applyCatalogChange(undefined, 'v1', { ...facts, published: true }, v(1))!;
    const deleted = applyCatalogChange(published, 'v1', { kind: 'deleted' }, v(2))!;
    expect(deleted).toMatchObject({ deleted: true, published: false });
    expect(applyCatalogChange(deleted, 'v1', { ...facts, published: true }, v(9))).toBeUndefined();
  });
});

describe('decideAccess', () => {
  const published = { published: true, deleted: false, freePreview: false };
  const viewer = { roles: ['viewer' as const] };
  const base: AccessFacts = {
    principal: viewer,
    video: published,
    subscriptions: [],
    rentals: [],
    now: T0,
    videoId: 'v1',
  };
  const plan = applySubscriptionFact(
    undefined,
    { subscriptionId: 's', userId: 'u' },
    {
      at: T0 - HOUR,
      state: 'active',
      periodEnd: T0 + 10 * HOUR,
    },
  ).next;

  it('admins always; unknown, deleted and unpublished titles are refused to everyone else', () => {
    expect(decideAccess({ ...base, principal: { roles: ['admin'] }, video: undefined })).toEqual({
      canWatch: true,
      reason: 'admin',
      expiresAt: null,
    });
    expect(decideAccess({ ...base, video: undefined }).reason).toBe('not_found');
    expect(decideAccess({ ...base, video: { ...published, deleted: true } }).reason).toBe('not_found');
    expect(decideAccess({ ...base, video: { ...published, published: false }, subscriptions: [plan] })).toEqual({
      canWatch: false,
      reason: 'not_published',
      expiresAt: null,
    });
  });

  it('free previews need nothing, even anonymous', () => {
    expect(decideAccess({ ...base, principal: undefined, video: { ...published, freePreview: true } })).toEqual({
      canWatch: true,
      reason: 'free_preview',
      expiresAt: null,
    });
  });

  it('a plan covers every title until its period ends; a rental its title until +48 h', () => {
    expect(decideAccess({ ...base, subscriptions: [plan] })).toEqual({
      canWatch: true,
      reason: 'subscription',
      expiresAt: T0 + 10 * HOUR,
    });
    expect(decideAccess({ ...base, rentals: [rental(T0 - HOUR)] })).toEqual({
      canWatch: true,
      reason: 'rental',
      expiresAt: T0 + 47 * HOUR,
    });
    expect(decideAccess({ ...base, rentals: [rental(T0 - 48 * HOUR - SECOND)] })).toEqual({
      canWatch: false,
      reason: 'not_entitled',
      expiresAt: null,
    });
    // Both: the longer one is reported.
    expect(decideAccess({ ...base, subscriptions: [plan], rentals: [rental(T0 - HOUR)] }).reason).toBe('rental');
    expect(decideAccess({ ...base, principal: undefined })).toMatchObject({ canWatch: false, reason: 'not_entitled' });
  });
});
