import type { Locale } from '$lib/paraglide/runtime.js';

/** The Intl locale each language formats numbers and dates with. */
export function intlLocale(lang: Locale): string {
  return lang === 'ja' ? 'ja-JP' : 'en-GB';
}

export function formatDateTime(lang: Locale, iso: string): string {
  return new Intl.DateTimeFormat(intlLocale(lang), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'Asia/Tokyo',
  }).format(new Date(iso));
}
