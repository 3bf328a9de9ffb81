import type { Language } from './reminder.js';

/**
 * The rental reminder in each language, written once. Placeholders follow Handlebars as SES reads
 * them (`{{x}}` HTML-escaped, `{{{x}}}` raw), so infra stores these very strings as the SES
 * templates and the standalone mailer renders them with `renderTemplate` below.
 */
export const REMINDER_TEMPLATES: Record<Language, { name: string; subject: string; text: string; html: string }> = {
  ja: {
    name: 'kinema-rental-reminder-ja',
    subject: '「{{{title}}}」のレンタル期間は残り5時間を切りました',
    text: [
      '「{{{title}}}」のレンタル視聴期間は {{{expiresAt}}} までです。',
      '',
      'いますぐ見る: {{{watchUrl}}}',
      '',
      '--',
      'Kinema',
      'レンタル終了のお知らせメールを停止する: {{{unsubscribeUrl}}}',
      '',
    ].join('\n'),
    html: [
      '<!doctype html><html lang="ja"><body style="font-family:sans-serif">',
      '<p>「{{title}}」のレンタル視聴期間は <strong>{{expiresAt}}</strong> までです。</p>',
      '<p><a href="{{watchUrl}}">いますぐ見る</a></p>',
      '<hr><p style="font-size:small">Kinema ・ <a href="{{unsubscribeUrl}}">レンタル終了のお知らせメールを停止する</a></p>',
      '</body></html>',
    ].join('\n'),
  },
  en: {
    name: 'kinema-rental-reminder-en',
    subject: 'Less than 5 hours left to watch “{{{title}}}”',
    text: [
      'Your rental of “{{{title}}}” ends at {{{expiresAt}}}.',
      '',
      'Watch now: {{{watchUrl}}}',
      '',
      '--',
      'Kinema',
      'Stop rental reminder emails: {{{unsubscribeUrl}}}',
      '',
    ].join('\n'),
    html: [
      '<!doctype html><html lang="en"><body style="font-family:sans-serif">',
      '<p>Your rental of “{{title}}” ends at <strong>{{expiresAt}}</strong>.</p>',
      '<p><a href="{{watchUrl}}">Watch now</a></p>',
      '<hr><p style="font-size:small">Kinema · <a href="{{unsubscribeUrl}}">Stop rental reminder emails</a></p>',
      '</body></html>',
    ].join('\n'),
  },
};

export interface ReminderData {
  title: string;
  expiresAt: string;
  watchUrl: string;
  unsubscribeUrl: string;
  [key: string]: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/** Handlebars' two substitutions, the only template features the reminders use. */
export function renderTemplate(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{(\{?)\s*(\w+)\s*\}?\}\}/g, (_match, raw: string, key: string) => {
    const value = data[key];
    if (value === undefined) throw new Error(`template data lacks ${key}`);
    return raw ? value : escapeHtml(value);
  });
}

/** When the rental ends, as the viewer reads time: their language, their zone, the zone named. */
export function formatExpiry(expiresAt: number, language: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(language === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone,
    year: 'numeric',
    month: language === 'ja' ? 'long' : 'short',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(expiresAt));
}

export function renderReminder(language: Language, data: ReminderData) {
  const template = REMINDER_TEMPLATES[language];
  return {
    template: { name: template.name, data },
    subject: renderTemplate(template.subject, data),
    text: renderTemplate(template.text, data),
    html: renderTemplate(template.html, data),
  };
}
