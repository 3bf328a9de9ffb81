import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphemeLength, isWellFormed, typedText } from './text.js';

const Title = typedText({ max: 10, min: 1 });
const Description = typedText({ max: 50, multiline: true });

describe('typedText', () => {
  it('normalises to NFC and trims', () => {
    expect(Title.parse('  が ')).toBe('が');
    expect(Title.parse('\u304b\u3099')).toBe('が');
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['BEL', 'a\u0007b'],
    ['ANSI escape', '\u001b[31mred'],
    ['bidi override', 'abc\u202etxt.exe'],
    ['bidi isolate', 'a\u2067b'],
    ['zero-width space', 'ad\u200bmin'],
    ['byte order mark', '\ufeffx'],
    ['lone surrogate', 'a\ud800b'],
    ['C1 control', 'a\u0085b'],
    ['line feed in a one-line field', 'a\nb'],
  ])('refuses %s', (_name, value) => {
    const result = Title.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/character/);
  });

  it('lets a multi-line field keep line feeds and tabs, not other controls', () => {
    expect(Description.parse('line one\n\tline two')).toBe('line one\n\tline two');
    expect(Description.safeParse('a\u0007').success).toBe(false);
  });

  it('counts graphemes, keeps joiners emoji need', () => {
    const family = '👨\u200d👩\u200d👧';
    expect(graphemeLength(family)).toBe(1);
    expect(Title.parse(family.repeat(10))).toBe(family.repeat(10));
    expect(Title.safeParse(family.repeat(11)).success).toBe(false);
    expect(Title.safeParse('   ').success).toBe(false);
  });

  it('judges length by graphemes exactly, with or without counting them (property)', () => {
    const pieces = fc.constantFrom('a', 'が', '👨\u200d👩\u200d👧', 'e\u0301', '🇯🇵', ' ');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), fc.nat(8), fc.nat(2), (parts, max, min) => {
        const value = parts.join('');
        const normal = value.normalize('NFC').trim();
        const length = graphemeLength(normal);
        const expected = length <= max && length >= min;
        expect(typedText({ max, min }).safeParse(value).success).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('never passes a forbidden character through, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (raw) => {
        const result = Title.safeParse(raw);
        if (!result.success) return;
        // eslint-disable-next-line no-control-regex
        expect(/[\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069\ufeff]/u.test(result.data)).toBe(false);
        expect(isWellFormed(result.data)).toBe(true);
        expect(result.data).toBe(result.data.normalize('NFC'));
      }),
      { numRuns: 3000 },
    );
  });
});
