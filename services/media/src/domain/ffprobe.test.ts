import { describe, expect, it } from 'vitest';
import { assessSource } from './ladder.js';
import { outcomeFromFfprobe } from './ffprobe.js';

const report = (streams: unknown[], format: Record<string, string> = {}) => ({
  code: 0,
  stderr: '',
  stdout: JSON.stringify({
    streams,
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '12.5', size: '1000000', ...format },
  }),
});

describe('outcomeFromFfprobe', () => {
  it('reads a rotated phone video with audio', () => {
    const outcome = outcomeFromFfprobe(
      report([
        {
          codec_type: 'video',
          codec_name: 'h264',
          width: 1920,
          height: 1080,
          avg_frame_rate: '30000/1001',
          side_data_list: [{ rotation: -90 }],
        },
        { codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000' },
      ]),
    );
    expect(outcome).toEqual({
      kind: 'probed',
      facts: {
        formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        sizeBytes: 1_000_000,
        durationSeconds: 12.5,
        video: { codec: 'h264', width: 1920, height: 1080, rotation: -90, frameRate: 30000 / 1001, decodable: true },
        audio: { codec: 'aac', channels: 2, sampleRate: 48000 },
      },
    });
    const assessed = assessSource(outcome);
    expect(assessed.accepted && assessed.plan.ladder.at(-1)).toMatchObject({ width: 1080, height: 1920 });
  });

  it('skips cover art, takes the rotate tag, and falls back to stream durations', () => {
    const outcome = outcomeFromFfprobe(
      report(
        [
          { codec_type: 'video', codec_name: 'mjpeg', width: 600, height: 600, disposition: { attached_pic: 1 } },
          { codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '44100', duration: '30.2' },
        ],
        { duration: 'N/A' },
      ),
    );
    expect(outcome).toMatchObject({ kind: 'probed', facts: { video: null, durationSeconds: 30.2 } });
    expect(assessSource(outcome)).toMatchObject({ accepted: false, reason: expect.stringMatching(/only audio/) });
    const tagged = outcomeFromFfprobe(
      report([{ codec_type: 'video', codec_name: 'h264', width: 640, height: 480, tags: { rotate: '90' } }]),
    );
    expect(tagged).toMatchObject({ facts: { video: { rotation: 90, frameRate: 0 } } });
  });

  it("turns a failed run into ffprobe's own words, and a report without a container into unreadable", () => {
    expect(outcomeFromFfprobe({ code: 1, stdout: '', stderr: 'sources/v1/source: moov atom not found\n' })).toEqual({
      kind: 'unreadable',
      detail: 'sources/v1/source: moov atom not found',
    });
    expect(outcomeFromFfprobe({ code: null, stdout: '', stderr: '' })).toEqual({
      kind: 'unreadable',
      detail: 'ffprobe was stopped',
    });
    expect(outcomeFromFfprobe({ code: 0, stdout: '{}', stderr: '' })).toEqual({
      kind: 'unreadable',
      detail: 'ffprobe found no container',
    });
    expect(outcomeFromFfprobe({ code: 0, stdout: 'not json', stderr: '' })).toMatchObject({ kind: 'unreadable' });
  });
});
