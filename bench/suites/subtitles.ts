import Encoding from 'encoding-japanese';
import { performance } from 'node:perf_hooks';
import { captions } from '#services/media/src/domain/media-captions.js';
import { decodeSubtitleBytes } from '#services/media/src/domain/subtitle-encoding.js';
import { subtitleSegments } from '#services/media/src/domain/subtitle-playlist.js';
import { formatTimestamp, parseSubtitles, toWebVtt } from '#services/media/src/domain/subtitles.js';
import type { Benchmark, Row } from '../lib.js';

const CUES = 1800; // a two-hour film: a cue every 4 s
const FILM_SECONDS = 2 * 60 * 60;
const RUNS = 30;

/** A Shift_JIS SRT of a two-hour film, two lines of Japanese per cue. */
function filmSrt(): Buffer {
  const blocks: string[] = [];
  for (let i = 0; i < CUES; i++) {
    const start = i * 4 + 0.25;
    const srtTime = (seconds: number) => formatTimestamp(seconds).replace('.', ',');
    blocks.push(
      `${i + 1}\n${srtTime(start)} --> ${srtTime(start + 3.5)}\n夜明けの駅で、二人は出会った。${i}\n始発まで、あと三時間。`,
    );
  }
  const text = blocks.join('\n\n') + '\n';
  return Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE' }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/**
 * Median milliseconds of each task, the two run alternately (so a busy machine slows both alike),
 * after five warm-up rounds for the JIT.
 */
async function timedPair(subject: () => Promise<unknown>, baseline: () => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 5; i++) {
    await subject();
    await baseline();
  }
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const [index, task] of [subject, baseline].entries()) {
      const started = performance.now();
      await task();
      times[index]!.push(performance.now() - started);
    }
  }
  return [median(times[0]), median(times[1])];
}

/**
 * Checking and publishing a subtitle file in the media domain, on a two-hour film's Shift_JIS SRT
 * (1,800 cues): Kinema's whole path (decode, media-captions parse, block scan with the timeline
 * rules, canonical WebVTT, 1,200 six-second segments) against media-captions' parse of the same
 * text alone, in the same run. Medians of 30 alternating runs after five warm-up rounds.
 */
export const subtitlesBench: Benchmark = {
  name: 'subtitles',
  async run() {
    const bytes = filmSrt();
    const text = decodeSubtitleBytes(bytes).text;
    const segments = Array.from({ length: FILM_SECONDS / 6 }, () => 6);
    const [subject, baseline] = await timedPair(
      async () => {
        const parsed = await parseSubtitles(decodeSubtitleBytes(bytes).text);
        toWebVtt(parsed.cues);
        subtitleSegments(parsed.cues, segments);
      },
      () => captions.parseText(text, { type: 'srt', errors: true, strict: false }),
    );
    const row: Row = {
      benchmark: this.name,
      metric: `check + publish a 2 h film's Shift_JIS SRT (${CUES} cues, ${Math.round(bytes.length / 1024)} KiB, ${segments.length} segments)`,
      unit: 'ms',
      subject,
      baseline,
      ratio: subject / baseline,
      notes: 'baseline: media-captions parseText of the same text alone',
    };
    return [row];
  },
};
