import { z } from 'zod';

/**
 * A subtitle's language as a BCP-47 tag of the shape players and HLS use: a language, optionally a
 * script and a region (`ja`, `en`, `en-GB`, `zh-Hant`, `pt-BR`). The tag is canonicalised
 * (`EN-gb` → `en-GB`) and must name a language Intl knows, so the display name is never a code.
 * The shape also keeps it safe as part of an object key and an HLS attribute.
 */
const SHAPE = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|\d{3}))?$/;

export const SubtitleLanguage = z
  .string()
  .min(2)
  .max(20)
  .transform((tag, context) => {
    let canonical: string | undefined;
    try {
      canonical = Intl.getCanonicalLocales(tag)[0];
    } catch {
      canonical = undefined;
    }
    if (!canonical || !SHAPE.test(canonical) || languageName(canonical) === undefined) {
      context.addIssue({
        code: 'custom',
        message: `"${tag}" is not a language tag Kinema knows (use BCP-47, e.g. ja, en, en-GB, zh-Hant)`,
      });
      return z.NEVER;
    }
    return canonical;
  });
export type SubtitleLanguage = z.infer<typeof SubtitleLanguage>;

/**
 * The language's name in the language itself (`ja` → 日本語, `en` → English): what a subtitles
 * menu shows, whatever the viewer's interface language. Undefined for a tag Intl does not know.
 */
export function languageName(tag: string): string | undefined {
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language', fallback: 'none' }).of(tag);
    return name && name.toLowerCase() !== tag.toLowerCase() ? name : undefined;
  } catch {
    return undefined;
  }
}
