import Encoding from 'encoding-japanese';
import { describe, expect, it } from 'vitest';
import { MAX_SUBTITLE_BYTES, decodeSubtitleBytes } from './subtitle-encoding.js';
import { SubtitleRejected } from './subtitle-issues.js';
import type { SubtitleIssue } from './subtitle-issues.js';
import { SubtitleLanguage, languageName } from './subtitle-language.js';
import { formatTimestamp, parseSubtitles, toWebVtt } from './subtitles.js';

const SRT = `1
00:00:01,000 --> 00:00:03,500
こんにちは、世界。

2
00:00:04,000 --> 00:00:06,000
<font color="#ffff00">二行目</font> & <i>斜体</i>
三行目
`;

async function issuesOf(text: string): Promise<SubtitleIssue[]> {
  try {
    await parseSubtitles(text);
  } catch (error) {
    if (error instanceof SubtitleRejected) return error.issues;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('parseSubtitles', () => {
  it('reads SRT and writes canonical WebVTT', async () => {
    const parsed = await parseSubtitles(SRT);
    expect(parsed.format).toBe('srt');
    expect(parsed.cues.map((cue) => [cue.start, cue.end])).toEqual([
      [1, 3.5],
      [4, 6],
    ]);
    expect(toWebVtt(parsed.cues)).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:03.500\nこんにちは、世界。\n\n' +
        '00:00:04.000 --> 00:00:06.000\n二行目 &amp; <i>斜体</i>\n三行目\n',
    );
  });

  it('reads WebVTT, keeps cue settings, skips NOTE blocks and CRLF', async () => {
    const vtt =
      'WEBVTT - 日本語\r\n\r\nNOTE 台詞\r\n\r\nid-1\r\n00:01.000 --> 00:02.000 align:start line:0\r\n<v 花子>はい</v>\r\n';
    const parsed = await parseSubtitles(vtt);
    expect(parsed.format).toBe('vtt');
    expect(parsed.cues).toEqual([{ start: 1, end: 2, settings: 'align:start line:0', text: '<v 花子>はい</v>' }]);
  });

  it('names each broken timestamp by line, all at once', async () => {
    const issues = await issuesOf(
      '1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:0x,000 --> 00:00:05,000\nb\n\n3\n00:00:06,000 --> 00:00:0y,000\nc\n',
    );
    expect(issues.map((issue) => [issue.code, issue.line])).toEqual([
      ['bad_timestamp', 6],
      ['bad_timestamp', 10],
    ]);
    expect(issues[0]?.message).toContain('00:00:0x');
  });

  it('refuses a cue that ends before it starts, and a block without a timing line', async () => {
    const issues = await issuesOf('1\n00:00:05,000 --> 00:00:02,000\na\n\n2\n00:00:07,000 00:00:08,000\nb\n');
    expect(issues.map((issue) => [issue.code, issue.line])).toEqual([
      ['end_before_start', 2],
      ['missing_timing', 5],
    ]);
  });

  it('refuses overlapping and out-of-order cues, naming the other line', async () => {
    const issues = await issuesOf(
      '1\n00:00:01,000 --> 00:00:05,000\na\n\n2\n00:00:04,000 --> 00:00:06,000\nb\n\n3\n00:00:03,000 --> 00:00:03,500\nc\n\n4\n00:00:06,000 --> 00:00:07,000\nd\n',
    );
    expect(issues).toMatchObject([
      { code: 'overlap', line: 6, otherLine: 2 },
      { code: 'out_of_order', line: 10, otherLine: 6 },
    ]);
  });

  it('accepts touching cues', async () => {
    const parsed = await parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:02,000 --> 00:00:03,000\nb\n');
    expect(parsed.cues).toHaveLength(2);
  });

  it('refuses a WebVTT file without its header, bad cue settings and a file with no cues', async () => {
    expect((await issuesOf('WEBVTT\n\n00:01.000 --> 00:02.000 align:sideways\nx\n')).map((i) => i.code)).toEqual([
      'bad_setting',
    ]);
    expect((await issuesOf('これは字幕ではありません\n')).map((i) => i.code)).toEqual(['missing_timing']);
    expect((await issuesOf('WEBVTT\n')).map((i) => i.code)).toEqual(['no_cues']);
  });

  it('lists at most 50 problems of a long broken file', async () => {
    const blocks = Array.from(
      { length: 80 },
      (_, i) => `${i + 1}\n00:00:${String(i % 60).padStart(2, '0')},000 --> 00:00:00,500\nx`,
    );
    try {
      await parseSubtitles(blocks.join('\n\n'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SubtitleRejected);
      expect((error as SubtitleRejected).issues).toHaveLength(50);
      expect((error as SubtitleRejected).total).toBeGreaterThan(50);
    }
  });

  it('formats timestamps in the long form', () => {
    expect(formatTimestamp(3723.4567)).toBe('01:02:03.457');
    expect(formatTimestamp(0)).toBe('00:00:00.000');
  });
});

describe('decodeSubtitleBytes', () => {
  const sjis = (text: string) =>
    Uint8Array.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE' }));

  it('reads UTF-8, UTF-8 with a BOM and Shift_JIS', () => {
    expect(decodeSubtitleBytes(Buffer.from(SRT))).toEqual({ text: SRT, encoding: 'utf-8' });
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SRT)]))).toEqual({
      text: SRT,
      encoding: 'utf-8-bom',
    });
    expect(decodeSubtitleBytes(sjis(SRT))).toEqual({ text: SRT, encoding: 'shift_jis' });
  });

  const codeOf = (bytes: Uint8Array) => {
    try {
      decodeSubtitleBytes(bytes);
    } catch (error) {
      return (error as SubtitleRejected).issues[0]?.code;
    }
    return 'accepted';
  };

  it('refuses binary, UTF-16, empty and oversized files', () => {
    expect(codeOf(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]))).toBe('not_text');
    expect(codeOf(Buffer.from('\uFEFF1\n00:00:01,000', 'utf16le'))).toBe('unsupported_encoding');
    expect(codeOf(new Uint8Array())).toBe('empty');
    expect(codeOf(new Uint8Array(MAX_SUBTITLE_BYTES + 1).fill(0x41))).toBe('too_large');
    expect(codeOf(Buffer.from('café au lait\n', 'latin1'))).toBe('unsupported_encoding');
  });
});

describe('SubtitleLanguage', () => {
  it('canonicalises BCP-47 tags and names them in their own language', () => {
    expect(SubtitleLanguage.parse('JA')).toBe('ja');
    expect(SubtitleLanguage.parse('en-gb')).toBe('en-GB');
    expect(SubtitleLanguage.parse('zh-hant')).toBe('zh-Hant');
    expect(languageName('ja')).toBe('日本語');
    expect(languageName('en')).toBe('English');
  });

  it('refuses what is not a known language', () => {
    for (const tag of ['xx', 'ja_JP', '../ja', 'en-US-x-private', 'e', 'japanese']) {
      expect(SubtitleLanguage.safeParse(tag).success, tag).toBe(false);
    }
  });
});
