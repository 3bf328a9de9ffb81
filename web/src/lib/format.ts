/**
 * The web's one set of formatters: numbers, money, sizes, clocks and dates, each in the reader's
 * language. Relative imports (not $lib) so the unit tests load it without SvelteKit.
 */
import { m } from './paraglide/messages.js';
import type { Locale } from './paraglide/runtime.js';

/** The Intl locale each language formats numbers and dates with. */
export function intlLocale(lang: Locale): string {
  return lang === 'ja' ? 'ja-JP' : 'en-GB';
}

/** The zone pages are rendered in on the server, before the browser knows the viewer's. */
export const SERVER_TIME_ZONE = 'Asia/Tokyo';

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

export function formatCount(lang: Locale, value: number): string {
  return new Intl.NumberFormat(intlLocale(lang)).format(value);
}

/** A price in yen, the way each language writes it (¥500 / ￥500). */
export function formatPrice(lang: Locale, yen: number): string {
  return new Intl.NumberFormat(intlLocale(lang), {
    style: 'currency',
    currency: 'JPY',
    currencyDisplay: 'narrowSymbol',
    maximumFractionDigits: 0,
  }).format(yen);
}

const fixed = (lang: Locale, digits: number) =>
  new Intl.NumberFormat(intlLocale(lang), { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Decimal megabytes (what people read on disk labels and speed tests). */
export function formatBytes(lang: Locale, bytes: number): string {
  if (bytes >= 1e9) return `${fixed(lang, 2).format(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${fixed(lang, 1).format(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${fixed(lang, 0).format(bytes / 1e3)} KB`;
  return `${bytes} B`;
}

export function formatSpeed(lang: Locale, bytesPerSecond: number): string {
  return `${fixed(lang, 1).format(bytesPerSecond / 1e6)} MB/s`;
}

// ---------------------------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------------------------

/** A length of time as a clock reads it, in both languages: 1:52:07, 8:05, 0:07; null when unknown. */
export function formatDuration(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return null;
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** What remains of a rental, in words: "2 h 5 min left" / "あと 2 時間 5 分" (never negative). */
export function formatTimeLeft(lang: Locale, seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  return hours > 0
    ? m.buy_hours_left({ hours, minutes }, { locale: lang })
    : m.buy_minutes_left({ minutes }, { locale: lang });
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/** A date and time in Japan's zone (the admin pages: updated at, sales as of). */
export function formatDateTime(lang: Locale, iso: string): string {
  return new Intl.DateTimeFormat(intlLocale(lang), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: SERVER_TIME_ZONE,
  }).format(new Date(iso));
}

/**
 * An exact moment with its date, weekday, minute and time zone, in the viewer's language. On the
 * server the zone is Japan's (the site's home); in the browser it is the viewer's own.
 */
export function formatMoment(lang: Locale, iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intlLocale(lang), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

/** A calendar date only (a plan's next billing day). */
export function formatDay(lang: Locale, iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(intlLocale(lang), {
    dateStyle: 'long',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}
