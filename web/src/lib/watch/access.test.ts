import { describe, expect, test } from 'vitest';
import { anonymousAccess, checkoutOutcome, offersPurchase, secondsUntil, withoutCheckout } from './access';

describe('access helpers', () => {
  test('seconds until an end, never below zero', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(secondsUntil('2026-01-03T00:00:00Z', now)).toBe(48 * 3600);
    expect(secondsUntil('2026-01-01T05:59:59Z', now)).toBe(5 * 3600 + 59 * 60 + 59);
    expect(secondsUntil('2025-12-31T23:59:59Z', now)).toBe(0);
  });

  test('only a viewer who would need to buy is offered Rent and Subscribe', () => {
    expect(offersPurchase({ canWatch: false, reason: 'not_entitled' })).toBe(true);
    expect(offersPurchase({ canWatch: false, reason: 'signin_required' })).toBe(true);
    expect(offersPurchase({ canWatch: false, reason: 'not_published' })).toBe(false);
    expect(offersPurchase({ canWatch: true, reason: 'rental' })).toBe(false);
  });

  test('an anonymous visitor is told what to do first: sign in to buy, or make a free account', () => {
    expect(anonymousAccess({ canWatch: false, reason: 'not_entitled', expiresAt: null })).toEqual({
      canWatch: false,
      reason: 'signin_required',
      expiresAt: null,
    });
    // Never a Play button that then says "sign in": free titles need a (free) account to play.
    expect(anonymousAccess({ canWatch: true, reason: 'free_preview', expiresAt: null })).toEqual({
      canWatch: false,
      reason: 'free_account_required',
      expiresAt: null,
    });
    expect(offersPurchase({ canWatch: false, reason: 'free_account_required' })).toBe(false);
    const gone = { canWatch: false, reason: 'not_published' as const, expiresAt: null };
    expect(anonymousAccess(gone)).toBe(gone);
  });

  test('checkout outcomes are a closed list; the return path drops only the outcome', () => {
    expect(checkoutOutcome('success')).toBe('success');
    expect(checkoutOutcome('<script>')).toBeNull();
    expect(checkoutOutcome(null)).toBeNull();
    expect(withoutCheckout(new URL('http://x/videos/a?checkout=cancel&t=1'))).toBe('/videos/a?t=1');
    expect(withoutCheckout(new URL('http://x/account?checkout=success'))).toBe('/account');
  });
});
