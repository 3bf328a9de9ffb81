import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeRedirectPath } from './redirect.js';

const ORIGIN = 'https://kinema.example';

/** What Chromium does before following a Location: strip tab/newline/CR, trim C0 and space. */
function followedBy(location: string): URL {
  // eslint-disable-next-line no-control-regex
  const cleaned = location.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  return new URL(cleaned, ORIGIN);
}

describe('safeRedirectPath', () => {
  it('keeps a path of this site with its query and fragment', () => {
    expect(safeRedirectPath('/videos/v1?t=30#player', ORIGIN)).toBe('/videos/v1?t=30#player');
    expect(safeRedirectPath('/', ORIGIN)).toBe('/');
    expect(safeRedirectPath('/検索?q=東京', ORIGIN)).toBe('/%E6%A4%9C%E7%B4%A2?q=%E6%9D%B1%E4%BA%AC');
  });

  it.each([
    ['/\t/evil.example'],
    ['/%09/evil.example'.replace('%09', '\t')],
    ['/\n/x'],
    ['/\r/x'],
    ['/\u000b/x'],
    ['/\u000c/x'],
    ['//evil.example'],
    ['/\\evil.example'],
    ['\\\\evil.example'],
    ['https://evil.example/'],
    ['http:evil.example'],
    ['javascript:alert(1)'],
    [' /videos'],
    ['/videos '],
    ['/\u3000/x'],
    ['/\u200b/evil'],
    ['evil.example'],
    [''],
    [undefined],
    [null],
    [42],
    ['/' + 'a'.repeat(5000)],
  ])('refuses %j', (raw) => {
    expect(safeRedirectPath(raw, ORIGIN)).toBe('/');
  });

  it('re-serialises a full-width dot so the header is ASCII and still this site', () => {
    const path = safeRedirectPath('/\u3002/x', ORIGIN);
    expect(path).toBe('/%E3%80%82/x');
    expect(followedBy(path).origin).toBe(ORIGIN);
  });

  it('never sends the browser off the site, never throws, and is ASCII (property)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .array(
          fc.constantFrom(
            '/',
            '\\',
            '\t',
            '\n',
            '\r',
            ' ',
            '.',
            '。',
            '%2f',
            '%5c',
            '@',
            ':',
            'evil.example',
            '//',
            '?',
            '#',
            'a',
          ),
          { maxLength: 12 },
        )
        .map((parts) => parts.join('')),
      fc.webUrl(),
    );
    fc.assert(
      fc.property(hostile, (raw) => {
        const path = safeRedirectPath(raw, ORIGIN);
        expect(path.startsWith('/')).toBe(true);
        expect(path.startsWith('//')).toBe(false);
        expect(/^[\u0021-\u007e]*$/.test(path)).toBe(true);
        expect(followedBy(path).origin).toBe(ORIGIN);
      }),
      { numRuns: 5000 },
    );
  });
});
