import { z } from 'zod';

/**
 * Text that people type, checked at the boundary, one rule for every service:
 *
 * - NFC-normalised (what a Mac and a phone send for 「が」 compares equal) and trimmed;
 * - refused, with a message saying why, when it holds characters that are never content:
 *   C0/C1 control characters (including NUL, BEL and the ESC of terminal escape sequences),
 *   bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069: they make a title display
 *   as something else), invisible characters (U+200B zero-width space, U+2060 word joiner, U+FEFF,
 *   U+00AD soft hyphen) and lone surrogates (not Unicode at all). Multi-line fields accept line
 *   feeds and tabs. Zero-width (non-)joiners U+200C/U+200D stay: emoji sequences and several
 *   scripts need them.
 * - length counted in graphemes, what a person sees as one character (「👨‍👩‍👧」 is one).
 *
 * Refusing rather than stripping: an admin sees exactly what was wrong instead of a silently
 * different title.
 */
export function typedText(options: { max: number; min?: number; multiline?: boolean; label?: string }) {
  const { max, min = 0, multiline = false } = options;
  const forbidden = multiline ? FORBIDDEN_MULTILINE : FORBIDDEN_SINGLE_LINE;
  return z
    .string()
    .superRefine((value, ctx) => {
      if (LONE_SURROGATE.test(value)) {
        ctx.addIssue({ code: 'custom', message: 'contains an invalid character (a lone surrogate)' });
        return;
      }
      const found = forbidden.exec(value);
      if (found) {
        const point = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        ctx.addIssue({ code: 'custom', message: `contains a control or invisible character (U+${point})` });
      }
    })
    .transform((value) => value.normalize('NFC').trim())
    .superRefine((value, ctx) => {
      // A grapheme is at least one UTF-16 unit, so `value.length` bounds the count from above:
      // within `max` units (and non-empty when one character is the least) there is nothing to
      // count. Segmenting is the costly part (a catalog page re-reads every title through this).
      if (value.length <= max && (min === 0 || (min === 1 && value.length > 0))) return;
      const length = graphemeLength(value);
      if (length > max) ctx.addIssue({ code: 'custom', message: `at most ${max} characters` });
      if (length < min) {
        ctx.addIssue({ code: 'custom', message: min === 1 ? 'may not be empty' : `at least ${min} characters` });
      }
    });
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Characters as a person counts them (extended grapheme clusters). */
export function graphemeLength(value: string): number {
  let count = 0;
  for (const _ of segmenter.segment(value)) count++;
  return count;
}

/* eslint-disable no-control-regex -- these two name the control characters they refuse */
const FORBIDDEN_SINGLE_LINE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;
const FORBIDDEN_MULTILINE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;
/* eslint-enable no-control-regex */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when the string is well-formed UTF-16 (`String.prototype.isWellFormed`, ES2024). */
export const isWellFormed = (value: string) => !LONE_SURROGATE.test(value);
