import { describe, expect, it } from 'vitest';
import { AUDIO_BITRATE, KEYFRAME_SECONDS, SEGMENT_SECONDS, assessSource } from '#services/media/src/domain/ladder.js';
import { X264_THREADS_PER_RUNG, ladderArgs } from '#platform/local/ffmpeg/transcoder.js';

const planned = assessSource({
  kind: 'probed',
  facts: {
    formatName: 'mp4',
    sizeBytes: 1,
    durationSeconds: 10,
    video: { codec: 'h264', width: 1280, height: 720, rotation: 0, frameRate: 25, decodable: true },
    audio: { codec: 'aac', channels: 2, sampleRate: 44100 },
  },
});
if (!planned.accepted) throw new Error(planned.reason);
const plan = planned.plan;
const job = {
  videoId: 'v1',
  sourceKey: 's',
  outputPrefix: 'media/videos/v1/hls/',
  ladder: plan.ladder,
  hasAudio: plan.hasAudio,
  durationSeconds: plan.durationSeconds,
  frameRate: plan.frameRate,
  gopFrames: plan.gopFrames,
  segmentSeconds: SEGMENT_SECONDS,
  keyframeSeconds: KEYFRAME_SECONDS,
  audioBitrate: AUDIO_BITRATE,
  stills: [],
};
const value = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('ladderArgs', () => {
  const args = ladderArgs(job, { source: '/tmp/src', outDir: '/tmp/out' });

  it('decodes once and encodes every rung from one split', () => {
    expect(args.filter((arg) => arg === '-i')).toHaveLength(1);
    expect(value(args, '-filter_complex')).toMatch(/^\[0:v\]fps=25,split=5\[v0s\]/);
    expect(value(args, '-var_stream_map')).toBe('v:0,a:0 v:1,a:1 v:2,a:2 v:3,a:3 v:4,a:4');
    expect(args).not.toContain('-master_pl_name');
  });

  it('aligns 2 s IDRs across rungs and writes fMP4 VOD HLS of 6 s', () => {
    expect(value(args, '-g')).toBe('50');
    expect(value(args, '-keyint_min')).toBe('50');
    expect(value(args, '-sc_threshold')).toBe('0');
    expect(value(args, '-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(value(args, '-profile:v')).toBe('high');
    expect(value(args, '-hls_time')).toBe('6');
    expect(value(args, '-hls_playlist_type')).toBe('vod');
    expect(value(args, '-hls_segment_type')).toBe('fmp4');
    expect(value(args, '-ar')).toBe('48000');
    expect(value(args, '-ac')).toBe('2');
    expect(value(args, '-maxrate:v:4')).toBe(String(plan.ladder[4]!.maxBitrate));
  });

  it('encodes every rung at capped quality: its CRF under its maxrate, a 2 s buffer of its table bitrate', () => {
    plan.ladder.forEach((rung, index) => {
      expect(value(args, `-crf:v:${index}`)).toBe(String(rung.crf));
      expect(value(args, `-maxrate:v:${index}`)).toBe(String(rung.maxBitrate));
      expect(value(args, `-bufsize:v:${index}`)).toBe(String(rung.videoBitrate * 2));
    });
    expect(args.some((arg) => arg.startsWith('-b:v'))).toBe(false);
  });

  it('sets the x264 threads of every rung (x264 chooses unless told)', () => {
    plan.ladder.forEach((_, index) => expect(value(args, `-threads:v:${index}`)).toBe(String(X264_THREADS_PER_RUNG)));
    expect(X264_THREADS_PER_RUNG).toBe(0);
    const two = ladderArgs(job, { source: '/tmp/src', outDir: '/tmp/out' }, 'veryfast', 2);
    plan.ladder.forEach((_, index) => expect(value(two, `-threads:v:${index}`)).toBe('2'));
  });

  it('encodes a plan made before capped quality at its fixed average bitrates', () => {
    const fixed = ladderArgs(
      { ...job, ladder: plan.ladder.map(({ crf: _crf, qvbrLevel: _level, ...rung }) => rung) },
      { source: '/tmp/src', outDir: '/tmp/out' },
    );
    expect(value(fixed, '-b:v:0')).toBe(String(plan.ladder[0]!.videoBitrate));
    expect(fixed.some((arg) => arg.startsWith('-crf'))).toBe(false);
  });

  it('maps no audio for a silent source', () => {
    const silent = ladderArgs({ ...job, hasAudio: false }, { source: '/tmp/src', outDir: '/tmp/out' });
    expect(value(silent, '-var_stream_map')).toBe('v:0 v:1 v:2 v:3 v:4');
    expect(silent).not.toContain('0:a:0');
  });
});
