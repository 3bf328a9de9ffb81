import { describe, expect, test } from 'vitest';
import { ladderFor } from './ladder.js';
import { sheetName, sheetsFor, storyboardPlan, storyboardVtt } from './storyboard.js';

const hd = ladderFor({ width: 1920, height: 1080 });

describe('storyboard plan', () => {
  test('a short clip: a frame every keyframe interval, small tiles of the picture shape', () => {
    const plan = storyboardPlan(hd, 12);
    expect(plan).toMatchObject({ intervalSeconds: 2, width: 160, height: 90, frames: 6, sourceRung: hd[0]!.name });
    expect(sheetsFor(plan)).toBe(1);
  });

  test('a film: the interval grows (in whole keyframe intervals) up to 10 s', () => {
    expect(storyboardPlan(hd, 20 * 60).intervalSeconds).toBe(4);
    const film = storyboardPlan(hd, 2 * 3600);
    expect(film.intervalSeconds).toBe(10);
    expect(film.frames).toBe(720);
    expect(sheetsFor(film)).toBe(8);
  });

  test('portrait video keeps its shape; a tiny source is never upscaled', () => {
    const portrait = storyboardPlan(ladderFor({ width: 1080, height: 1920 }), 30);
    expect([portrait.width, portrait.height]).toEqual([90, 160]);
    const tiny = storyboardPlan(ladderFor({ width: 120, height: 68 }), 30);
    expect([tiny.width, tiny.height]).toEqual([120, 68]);
  });
});

describe('storyboard track', () => {
  test('sprite cues walk the grid row by row and onto the next sheet', () => {
    const plan = { ...storyboardPlan(hd, 2 * 3600) };
    const vtt = storyboardVtt(plan, 7200, 'sheets', plan.frames);
    const cues = vtt.trim().split('\n\n').slice(1);
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    expect(cues).toHaveLength(720);
    expect(cues[0]).toBe(`00:00:00.000 --> 00:00:10.000\n${sheetName(0)}#xywh=0,0,160,90`);
    expect(cues[11]).toBe(`00:01:50.000 --> 00:02:00.000\nsheet-001.jpg#xywh=160,90,160,90`);
    expect(cues[100]).toBe(`00:16:40.000 --> 00:16:50.000\nsheet-002.jpg#xywh=0,0,160,90`);
    expect(cues.at(-1)).toBe(`01:59:50.000 --> 02:00:00.000\nsheet-008.jpg#xywh=1440,90,160,90`);
  });

  test('the last cue runs to the end; never more cues than frames written', () => {
    const plan = storyboardPlan(hd, 11.5);
    const vtt = storyboardVtt(plan, 11.5, 'frames', 4);
    const cues = vtt.trim().split('\n\n').slice(1);
    expect(cues).toHaveLength(4);
    expect(cues[3]).toBe('00:00:06.000 --> 00:00:11.500\nframe.0000003.jpg#xywh=0,0,160,90');
  });
});
