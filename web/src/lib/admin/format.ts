import type { Locale } from '$lib/paraglide/runtime.js';

const numberFormat = (lang: Locale, digits: number) =>
  new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });

/** Decimal megabytes (what people read on disk labels and speed tests). */
export function formatBytes(lang: Locale, bytes: number): string {
  if (bytes >= 1e9) return `${numberFormat(lang, 2).format(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${numberFormat(lang, 1).format(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${numberFormat(lang, 0).format(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

export function formatSpeed(lang: Locale, bytesPerSecond: number): string {
  return `${numberFormat(lang, 1).format(bytesPerSecond / 1e6)} MB/s`;
}

/** 1:05:09, 4:02, 0:07 — a clock, readable in both languages. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatYen(lang: Locale, yen: number): string {
  return new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { style: 'currency', currency: 'JPY' }).format(yen);
}
