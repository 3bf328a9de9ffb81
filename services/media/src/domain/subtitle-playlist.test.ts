import { describe, expect, it } from 'vitest';
import { masterPlaylist, parseMasterPlaylist, parseMediaPlaylist, withSubtitles } from './playlist.js';
import { subtitleMediaPlaylist, subtitleSegments } from './subtitle-playlist.js';

const cues = [
  { start: 1, end: 3, settings: '', text: 'こんにちは' },
  { start: 5.5, end: 7, settings: 'align:start', text: '境目をまたぐ' },
  { start: 13, end: 14, settings: '', text: '終わりの後' },
];

describe('subtitleSegments', () => {
  it('cuts on the video segment boundaries, repeats a spanning cue and maps time 0 to MPEGTS 0', () => {
    const segments = subtitleSegments(cues, [6, 6]);
    expect(segments.map((segment) => [segment.name, segment.durationSeconds])).toEqual([
      ['seg_00000.vtt', 6],
      ['seg_00001.vtt', 6],
    ]);
    expect(segments[0]?.text).toBe(
      'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n' +
        '00:00:01.000 --> 00:00:03.000\nこんにちは\n\n' +
        '00:00:05.500 --> 00:00:07.000 align:start\n境目をまたぐ\n',
    );
    expect(segments[1]?.text).toContain('境目をまたぐ');
    expect(segments.map((segment) => segment.text).join('')).not.toContain('終わりの後');
  });

  it('writes header-only segments where no cue falls, so the playlist covers the whole video', () => {
    const segments = subtitleSegments([], [6, 6, 2.5]);
    expect(segments.map((segment) => segment.text)).toEqual(
      Array(3).fill('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n'),
    );
  });
});

describe('subtitleMediaPlaylist', () => {
  it('is a finished VOD playlist with the segments and their durations', () => {
    const text = subtitleMediaPlaylist(subtitleSegments(cues, [6.006, 6.006, 0.988]));
    const playlist = parseMediaPlaylist(text);
    expect(playlist).toMatchObject({ targetDuration: 6, playlistType: 'VOD', ended: true });
    expect(playlist.segments).toEqual([
      { uri: 'seg_00000.vtt', durationSeconds: 6.006 },
      { uri: 'seg_00001.vtt', durationSeconds: 6.006 },
      { uri: 'seg_00002.vtt', durationSeconds: 0.988 },
    ]);
  });
});

describe('withSubtitles', () => {
  const master = masterPlaylist([
    {
      uri: '416x234/index.m3u8',
      bandwidth: 250_000,
      averageBandwidth: 200_000,
      codecs: 'avc1.64000d,mp4a.40.2',
      width: 416,
      height: 234,
      frameRate: 30,
    },
    {
      uri: '1280x720/index.m3u8',
      bandwidth: 3_000_000,
      averageBandwidth: 2_900_000,
      codecs: 'avc1.64001f,mp4a.40.2',
      width: 1280,
      height: 720,
      frameRate: 30,
    },
  ]);

  it('adds one SUBTITLES rendition per language and names the group on every variant', () => {
    const text = withSubtitles(master, [
      { language: 'ja', name: '日本語', uri: 'sub_ja_abc/index.m3u8' },
      { language: 'en', name: 'English', uri: 'sub_en_def/index.m3u8' },
    ]);
    const parsed = parseMasterPlaylist(text);
    expect(parsed.tags.filter((tag) => tag.startsWith('#EXT-X-MEDIA'))).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="sub_en_def/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="日本語",LANGUAGE="ja",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="sub_ja_abc/index.m3u8"',
    ]);
    expect(parsed.variants.map((variant) => variant.attributes.SUBTITLES)).toEqual(['subs', 'subs']);
    expect(parsed.variants.map((variant) => variant.uri)).toEqual(['416x234/index.m3u8', '1280x720/index.m3u8']);
  });

  it('replaces earlier subtitles and gives back the original master when none are left', () => {
    const once = withSubtitles(master, [{ language: 'ja', name: '日本語', uri: 'sub_ja_1/index.m3u8' }]);
    const twice = withSubtitles(once, [{ language: 'ja', name: '日本語', uri: 'sub_ja_2/index.m3u8' }]);
    expect(twice).not.toContain('sub_ja_1');
    expect(twice.match(/SUBTITLES="subs"/g)).toHaveLength(2);
    expect(withSubtitles(twice, [])).toBe(master);
  });
});
