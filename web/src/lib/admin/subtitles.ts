import { z } from 'zod';

/**
 * The subtitle shapes the admin page reads from the media service (parsed loosely, like every
 * API answer the web reads) and what its form actions hand back to the page.
 */
export const SubtitleEntry = z
  .object({
    language: z.string(),
    name: z.string(),
    format: z.string(),
    encoding: z.string(),
    cueCount: z.number(),
    bytes: z.number(),
    updatedAt: z.string(),
  })
  .loose();
export type SubtitleEntry = z.infer<typeof SubtitleEntry>;
export const SubtitleList = z.object({ items: z.array(SubtitleEntry) });

/** One problem of a refused file, as the media service reports it. */
export const SubtitleIssue = z
  .object({
    code: z.string(),
    message: z.string(),
    line: z.number().optional(),
    otherLine: z.number().optional(),
  })
  .loose();
export type SubtitleIssue = z.infer<typeof SubtitleIssue>;
export const SubtitleRefusal = z.object({ issues: z.array(SubtitleIssue), total: z.number().optional() });

/** What a subtitle action answers the page: done (with what), or refused (with every problem). */
export type SubtitleOutcome =
  | { done: 'added' | 'replaced' | 'removed'; language: string; cueCount?: number }
  | { language: string; issues: SubtitleIssue[]; total: number; message?: string };

/** The languages the admin picks from first; the tags are BCP-47, as the media service wants. */
export const SUBTITLE_LANGUAGES = [
  'ja',
  'en',
  'zh-Hans',
  'zh-Hant',
  'ko',
  'fr',
  'de',
  'es',
  'pt-BR',
  'it',
  'th',
  'vi',
  'id',
];

/** The files Kinema takes; larger ones are refused before they are sent. */
export const MAX_SUBTITLE_BYTES = 2 * 1024 * 1024;

/** A language's name in the page's language (ja → 日本語 on the Japanese page, Japanese on the English one). */
export function languageLabel(tag: string, pageLanguage: string): string {
  try {
    return new Intl.DisplayNames([pageLanguage], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}
