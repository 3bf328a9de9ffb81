import { describe, expect, it } from 'vitest';
import {
  codecsFromInit,
  masterPlaylist,
  measureBitrates,
  parseMasterPlaylist,
  parseMediaPlaylist,
} from './playlist.js';

describe('masterPlaylist', () => {
  it('writes what Apple asks for, lowest bandwidth first', () => {
    const text = masterPlaylist([
      {
        uri: '640x360/index.m3u8',
        bandwidth: 520_000,
        averageBandwidth: 400_000,
        codecs: 'avc1.64001e,mp4a.40.2',
        width: 640,
        height: 360,
        frameRate: 30,
      },
      {
        uri: '416x234/index.m3u8',
        bandwidth: 250_000,
        averageBandwidth: 180_000,
        codecs: 'avc1.640015,mp4a.40.2',
        width: 416,
        height: 234,
        frameRate: 29.97,
      },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-STREAM-INF:BANDWIDTH=250000,AVERAGE-BANDWIDTH=180000,CODECS="avc1.640015,mp4a.40.2",RESOLUTION=416x234,FRAME-RATE=29.970',
        '416x234/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=520000,AVERAGE-BANDWIDTH=400000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000',
        '640x360/index.m3u8',
        '',
      ].join('\n'),
    );
    const parsed = parseMasterPlaylist(text);
    expect(parsed.tags).toContain('#EXT-X-INDEPENDENT-SEGMENTS');
    expect(parsed.variants[1]?.attributes).toMatchObject({ CODECS: 'avc1.64001e,mp4a.40.2', RESOLUTION: '640x360' });
  });
  it('adds a shared audio group when audio is a rendition of its own (MediaConvert CMAF)', () => {
    const text = masterPlaylist(
      [
        {
          uri: 'index_640x360.m3u8',
          bandwidth: 700_000,
          averageBandwidth: 530_000,
          codecs: 'avc1.64001e,mp4a.40.2',
          width: 640,
          height: 360,
          frameRate: 30,
        },
      ],
      { groupId: 'audio', name: 'Main', uri: 'index_audio.m3u8', channels: 2 },
    );
    expect(text.split('\n').slice(3, 6)).toEqual([
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Main",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="index_audio.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=530000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO="audio"',
      'index_640x360.m3u8',
    ]);
    const parsed = parseMasterPlaylist(text);
    expect(parsed.variants[0]?.attributes).toMatchObject({ AUDIO: 'audio', CODECS: 'avc1.64001e,mp4a.40.2' });
  });
});

describe('parseMediaPlaylist', () => {
  it('reads an ffmpeg fMP4 VOD playlist', () => {
    const playlist = parseMediaPlaylist(
      '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="init_0.mp4"\n#EXTINF:6.000000,\nseg_00000.m4s\n#EXTINF:1.500000,\nseg_00001.m4s\n#EXT-X-ENDLIST\n',
    );
    expect(playlist).toMatchObject({ playlistType: 'VOD', initUri: 'init_0.mp4', ended: true, targetDuration: 6 });
    expect(playlist.segments).toEqual([
      { uri: 'seg_00000.m4s', durationSeconds: 6 },
      { uri: 'seg_00001.m4s', durationSeconds: 1.5 },
    ]);
  });

  it('refuses what is not a media playlist', () => {
    expect(() => parseMediaPlaylist('hello')).toThrow(/#EXTM3U/);
    expect(() => parseMediaPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n')).toThrow(/master/);
  });
});

describe('measureBitrates', () => {
  it('takes the peak segment and the overall average', () => {
    expect(
      measureBitrates([
        { bytes: 750_000, durationSeconds: 6 }, // 1 Mb/s
        { bytes: 1_500_000, durationSeconds: 6 }, // 2 Mb/s
      ]),
    ).toEqual({ peak: 2_000_000, average: 1_500_000 });
  });
});

describe('codecsFromInit', () => {
  it('reads profile and level from avcC and notices AAC', () => {
    const avcC = Buffer.concat([Buffer.from('avcC', 'latin1'), Buffer.from([1, 0x64, 0x00, 0x1f, 0xff])]);
    expect(codecsFromInit(Buffer.concat([Buffer.alloc(8), avcC]))).toBe('avc1.64001f');
    expect(codecsFromInit(Buffer.concat([avcC, Buffer.from('mp4a', 'latin1')]))).toBe('avc1.64001f,mp4a.40.2');
    expect(() => codecsFromInit(Buffer.from('nothing'))).toThrow(/avcC/);
  });
});
