import { describe, expect, test } from 'vitest';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatMoment,
  formatPrice,
  formatSpeed,
  formatTimeLeft,
} from './format';

describe('format', () => {
  test('durations read like a clock; unknown or negative is null', () => {
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(485)).toBe('8:05');
    expect(formatDuration(6727)).toBe('1:52:07');
    expect(formatDuration(null)).toBeNull();
    expect(formatDuration(-1)).toBeNull();
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBeNull();
  });

  test('time left in words: hours and minutes, minutes alone under an hour, never negative', () => {
    expect(formatTimeLeft('en', 2 * 3600 + 5 * 60 + 59)).toBe('2 h 5 min left');
    expect(formatTimeLeft('en', 59 * 60)).toBe('59 min left');
    expect(formatTimeLeft('en', -30)).toBe('0 min left');
    expect(formatTimeLeft('ja', 2 * 3600 + 5 * 60)).toBe('あと 2 時間 5 分');
  });

  test('prices in yen and counts per language', () => {
    expect(formatPrice('en', 1500)).toBe('¥1,500');
    expect(formatPrice('ja', 500)).toMatch(/^[¥￥]500$/);
    expect(formatCount('en', 12345)).toBe('12,345');
  });

  test('sizes in decimal units, speeds in MB/s', () => {
    expect(formatBytes('en', 999)).toBe('999 B');
    expect(formatBytes('en', 1_500)).toBe('2 KB');
    expect(formatBytes('en', 12_340_000)).toBe('12.3 MB');
    expect(formatBytes('en', 2_500_000_000)).toBe('2.50 GB');
    expect(formatSpeed('en', 3_250_000)).toBe('3.3 MB/s');
  });

  test('an exact moment carries its zone: Japan on the server, the viewer’s own in the browser', () => {
    const iso = '2026-12-01T21:33:00Z';
    expect(formatMoment('ja', iso, 'Asia/Tokyo')).toMatch(/2026年12月2日.*06:33.*JST/);
    expect(formatMoment('en', iso, 'Europe/London')).toMatch(/1 Dec 2026.*21:33.*GMT/);
    expect(formatDateTime('en', iso)).toMatch(/2 Dec 2026.*06:33/);
  });
});
