import { captions } from './media-captions.js';
import { SubtitleRejected } from './subtitle-issues.js';
import type { SubtitleIssue, SubtitleIssueCode } from './subtitle-issues.js';

/**
 * Subtitle files in, one canonical WebVTT out. media-captions parses (WebVTT and SRT, with its
 * errors on: bad header, bad timestamps, bad cue settings); a scan of the file's blocks adds what
 * it lets pass silently (a cue block without a timing line, a cue that ends before it starts) and
 * the timeline rules:
 *
 * - cues come in start order (WebVTT requires it);
 * - cues do not overlap: a cue starting before the previous one ended is an error. Overlap is
 *   legal WebVTT, but in uploaded subtitles it is nearly always a timing slip (a shifted block, a
 *   pasted duplicate) that shows two lines at once, so Kinema refuses it and names both lines.
 *   Touching cues (end = next start) are fine.
 *
 * Any problem refuses the whole file (strict), and every problem is reported with its line.
 */

export type SubtitleFormat = 'vtt' | 'srt';

export interface SubtitleCue {
  /** Seconds. */
  start: number;
  end: number;
  /** WebVTT cue settings (`align:start line:0`), empty for SRT. */
  settings: string;
  /** WebVTT cue text (tags and entities as WebVTT writes them). */
  text: string;
}

export interface ParsedSubtitles {
  format: SubtitleFormat;
  cues: SubtitleCue[];
}

/** WebVTT files start with the signature; anything else is read as SRT. */
export const subtitleFormatOf = (text: string): SubtitleFormat =>
  /^\uFEFF?WEBVTT(?:[ \t]|\r|\n|$)/.test(text) ? 'vtt' : 'srt';

const LINE_BREAK = /\r\n|\r|\n/;
const TIMING = /^\s*(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+(.*))?$/;

interface TimingLine {
  line: number;
  start: number | null;
  end: number | null;
  settings: string;
}

const ISSUE_CODE: Record<number, SubtitleIssueCode> = {
  1: 'bad_header',
  2: 'bad_timestamp',
  3: 'bad_setting',
  4: 'bad_header',
  5: 'bad_setting',
};

/** `HH:MM:SS.mmm`, WebVTT's long form (hours always written). */
export function formatTimestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const secs = Math.floor((ms % 60_000) / 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}.${pad(ms % 1000, 3)}`;
}

/** Reads one side of a timing line: WebVTT's `.` or SRT's `,` before the milliseconds. */
function timestamp(raw: string, format: SubtitleFormat): number | null {
  if (format === 'srt' ? !/^\d+:\d{2}:\d{2}[,.]\d{3}$/.test(raw) : !/^(\d+:)?\d{2}:\d{2}\.\d{3}$/.test(raw))
    return null;
  return captions.parseVTTTimestamp(raw.replace(',', '.'));
}

/**
 * The timing lines of the file, block by block (blank lines separate blocks). A cue block is an
 * optional identifier (SRT: the counter) followed by its timing line; a block with neither in
 * its first two lines is reported. WebVTT's header, NOTE, STYLE and REGION blocks are skipped.
 */
function scanBlocks(lines: string[], format: SubtitleFormat, issues: SubtitleIssue[]): TimingLine[] {
  const timings: TimingLine[] = [];
  let index = format === 'vtt' ? 1 : 0;
  if (format === 'vtt') while (index < lines.length && (lines[index] ?? '').trim() !== '') index++; // header block
  while (index < lines.length) {
    if ((lines[index] ?? '').trim() === '') {
      index++;
      continue;
    }
    const blockStart = index;
    const block: string[] = [];
    while (index < lines.length && (lines[index] ?? '').trim() !== '') block.push(lines[index++] as string);
    const first = block[0] as string;
    if (format === 'vtt' && /^(NOTE|STYLE|REGION)([ \t]|$)/.test(first)) continue;
    const at = first.includes('-->') ? 0 : block[1]?.includes('-->') ? 1 : -1;
    if (at < 0) {
      issues.push({
        code: 'missing_timing',
        line: blockStart + 1,
        message: `this block has no timing line (${format === 'srt' ? '00:00:01,000 --> 00:00:03,000' : '00:00:01.000 --> 00:00:03.000'})`,
      });
      continue;
    }
    // A line holding --> inside a cue's text starts the next cue, as players read it.
    for (let offset = at; offset < block.length; offset++) {
      const text = block[offset] as string;
      if (offset !== at && !text.includes('-->')) continue;
      const match = TIMING.exec(text);
      const lineNumber = blockStart + offset + 1;
      timings.push({
        line: lineNumber,
        start: match ? timestamp(match[1] as string, format) : null,
        end: match ? timestamp(match[2] as string, format) : null,
        settings: format === 'vtt' ? (match?.[3] ?? '').trim() : '',
      });
    }
  }
  return timings;
}

/** Private-use stand-ins for the brackets of kept tags while the rest of the text is escaped. */
const OPEN = '\uE000';
const CLOSE = '\uE001';

/** SRT's HTML-ish text as WebVTT cue text: i/b/u kept, other tags (font) and ASS overrides dropped, & < > escaped. */
function srtTextToVtt(text: string): string {
  return text
    .replace(/\{\\[^}]*\}/g, '')
    .replace(/<(\/?)([a-zA-Z]+)[^>]*>/g, (_tag, slash: string, name: string) =>
      ['i', 'b', 'u'].includes(name.toLowerCase()) ? `${OPEN}${slash}${name.toLowerCase()}${CLOSE}` : '',
    )
    .replace(/&(?!(?:amp|lt|gt|nbsp|lrm|rlm);)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replaceAll(OPEN, '<')
    .replaceAll(CLOSE, '>');
}

const time = formatTimestamp;

/**
 * Parses and validates a decoded subtitle file (WebVTT or SRT, told apart by the WEBVTT signature).
 * Throws SubtitleRejected with every problem found, by line; returns the cues otherwise.
 */
export async function parseSubtitles(text: string): Promise<ParsedSubtitles> {
  const source = text.replace(/^\uFEFF/, '');
  const format = subtitleFormatOf(source);
  const lines = source.split(LINE_BREAK);
  const issues: SubtitleIssue[] = [];
  const parsed = await captions.parseText(source, { type: format, errors: true, strict: false });
  const seen = new Set<string>();
  for (const error of parsed.errors) {
    const code = ISSUE_CODE[error.code] ?? 'bad_timestamp';
    seen.add(`${error.line}:${code}`);
    issues.push({ code, line: Math.max(1, error.line), message: error.message.replace(/ on line \d+/, '') });
  }
  const timings = scanBlocks(lines, format, issues);

  const cues: SubtitleCue[] = [];
  let previous: { start: number; end: number; line: number } | undefined;
  let latestEnd: { end: number; line: number } | undefined;
  for (const timing of timings) {
    if (timing.start === null || timing.end === null) {
      if (!seen.has(`${timing.line}:bad_timestamp`)) {
        issues.push({
          code: 'bad_timestamp',
          line: timing.line,
          message: `the timing line is not "start --> end" with ${format === 'srt' ? 'HH:MM:SS,mmm' : 'HH:MM:SS.mmm'} times`,
        });
      }
      continue;
    }
    if (timing.end <= timing.start) {
      issues.push({
        code: 'end_before_start',
        line: timing.line,
        message: `the cue ends (${time(timing.end)}) before or when it starts (${time(timing.start)})`,
      });
      continue;
    }
    if (previous && timing.start < previous.start) {
      issues.push({
        code: 'out_of_order',
        line: timing.line,
        otherLine: previous.line,
        message: `the cue starts (${time(timing.start)}) before the cue on line ${previous.line} (${time(previous.start)}); cues must be in time order`,
      });
    } else if (latestEnd && timing.start < latestEnd.end) {
      issues.push({
        code: 'overlap',
        line: timing.line,
        otherLine: latestEnd.line,
        message: `the cue starts (${time(timing.start)}) before the cue on line ${latestEnd.line} ends (${time(latestEnd.end)})`,
      });
    }
    previous = { start: timing.start, end: timing.end, line: timing.line };
    if (!latestEnd || timing.end > latestEnd.end) latestEnd = { end: timing.end, line: timing.line };
    cues.push({ start: timing.start, end: timing.end, settings: timing.settings, text: '' });
  }
  if (issues.length === 0 && cues.length === 0) issues.push({ code: 'no_cues', message: 'the file has no cues' });
  if (issues.length > 0) {
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new SubtitleRejected(issues);
  }
  // Every timing line was good, so media-captions made one cue per timing line, in the same order.
  if (parsed.cues.length !== cues.length) {
    throw new SubtitleRejected([
      { code: 'missing_timing', message: `read ${parsed.cues.length} cues of ${cues.length} timing lines` },
    ]);
  }
  parsed.cues.forEach((cue, index) => {
    const ours = cues[index] as SubtitleCue;
    ours.text = (format === 'srt' ? srtTextToVtt(cue.text) : cue.text).trim();
  });
  return { format, cues };
}

/** One cue as WebVTT text. */
export function vttCue(cue: SubtitleCue): string {
  return `${time(cue.start)} --> ${time(cue.end)}${cue.settings ? ` ${cue.settings}` : ''}\n${cue.text}`;
}

/** The cues as one WebVTT file (the canonical form Kinema stores, whatever was uploaded). */
export function toWebVtt(cues: SubtitleCue[]): string {
  return ['WEBVTT', ...cues.map(vttCue)].join('\n\n') + '\n';
}
