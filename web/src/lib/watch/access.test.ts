import { describe, expect, test } from 'vitest';
import { checkoutOutcome, formatMoment, offersPurchase, timeLeft, withoutCheckout } from './access';

describe('access helpers', () => {
  test('time left counts whole hours and the minutes beyond, never below zero', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(timeLeft('2026-01-03T00:00:00Z', now)).toEqual({ hours: 48, minutes: 0, ms: 48 * 3600_000 });
    expect(timeLeft('2026-01-01T05:59:59Z', now)).toMatchObject({ hours: 5, minutes: 59 });
    expect(timeLeft('2025-12-31T23:59:59Z', now)).toEqual({ hours: 0, minutes: 0, ms: 0 });
  });

  test('only a viewer who would need to buy is offered Rent and Subscribe', () => {
    expect(offersPurchase({ canWatch: false, reason: 'not_entitled' })).toBe(true);
    expect(offersPurchase({ canWatch: false, reason: 'signin_required' })).toBe(true);
    expect(offersPurchase({ canWatch: false, reason: 'not_published' })).toBe(false);
    expect(offersPurchase({ canWatch: true, reason: 'rental' })).toBe(false);
  });

  test('an exact moment carries its zone: Japan on the server, the viewer’s own in the browser', () => {
    const iso = '2026-12-01T21:33:00Z';
    expect(formatMoment('ja', iso, 'Asia/Tokyo')).toMatch(/2026年12月2日.*06:33.*JST/);
    expect(formatMoment('en', iso, 'Europe/London')).toMatch(/1 Dec 2026.*21:33.*GMT/);
  });

  test('checkout outcomes are a closed list; the return path drops only the outcome', () => {
    expect(checkoutOutcome('success')).toBe('success');
    expect(checkoutOutcome('<script>')).toBeNull();
    expect(checkoutOutcome(null)).toBeNull();
    expect(withoutCheckout(new URL('http://x/videos/a?checkout=cancel&t=1'))).toBe('/videos/a?t=1');
    expect(withoutCheckout(new URL('http://x/account?checkout=success'))).toBe('/account');
  });
});
