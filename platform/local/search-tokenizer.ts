/**
 * How the embedded engine cuts Japanese and English text into words: ICU's word segmentation
 * (`Intl.Segmenter('ja')`, a dictionary for Japanese, spaces and punctuation for Latin) over
 * NFKC + lower-case folded text, so `ＴＯＫＹＯ` is `tokyo`, `４Ｋ` is `4k` and half-width
 * katakana is full-width. Documents and queries go through the same functions.
 */
const segmenter = new Intl.Segmenter('ja', { granularity: 'word' });

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** A lone hiragana is a particle (の, に, を…): it carries no meaning for search. */
const PARTICLE = /^\p{Script=Hiragana}$/u;
const KATAKANA_LONG_VOWEL_END = /^([\p{Script=Katakana}ー]{3,})ー$/u;

export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

export const isCjk = (word: string) => CJK.test(word);

/**
 * One folded word as the index stores it. Katakana loanwords are written with or without the
 * final long-vowel mark (コンピューター / コンピュータ, JIS Z 8301): the mark is dropped.
 */
export function canonicalWord(word: string): string {
  return word.replace(KATAKANA_LONG_VOWEL_END, '$1');
}

/** The searchable words of a text, folded and canonical, in order (duplicates kept). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const segment of segmenter.segment(fold(text))) {
    if (!segment.isWordLike || PARTICLE.test(segment.segment)) continue;
    out.push(canonicalWord(segment.segment));
  }
  return out;
}

/**
 * A person's name is also one word without its spaces, so `新垣結衣`, `新垣 結衣` and
 * `tomhanks` find the same performer whatever the segmenter made of the parts.
 */
export function nameWords(name: string): string[] {
  const parts = words(name);
  const joined = parts.join('');
  return parts.length > 1 ? [...parts, joined] : parts;
}

/**
 * The inner parts of long Japanese words (every suffix of two characters or more), so that a
 * query for `タワー` finds `東京タワー`: with prefix matching this makes any inner run of a
 * compound findable. They go to a low-boost field, below a whole-word match.
 */
export function innerParts(wordsOfText: string[]): string[] {
  const out: string[] = [];
  for (const word of wordsOfText) {
    if (word.length < 3 || !isCjk(word)) continue;
    for (let start = 1; start <= word.length - 2; start += 1) out.push(word.slice(start));
  }
  return out;
}

/** The segments of the ORIGINAL text, each with its folded form, for highlighting in place. */
export function segmentsOf(text: string): { text: string; folded: string; isWord: boolean }[] {
  return [...segmenter.segment(text)].map((segment) => ({
    text: segment.segment,
    folded: canonicalWord(fold(segment.segment)),
    isWord: segment.isWordLike === true,
  }));
}
