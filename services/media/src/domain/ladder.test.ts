import { describe, expect, it } from 'vitest';
import {
  CAPPED_MAX_RATE_FACTOR,
  LIMITS,
  LadderRung,
  MAX_RATE_FACTOR,
  assessSource,
  fixedBitrate,
  ladderFor,
} from './ladder.js';
import type { SourceFacts, VideoTrack } from './source.js';

const facts = (over: Omit<Partial<SourceFacts>, 'video'> & { video?: Partial<VideoTrack> | null } = {}) => {
  const { video, ...rest } = over;
  return {
    kind: 'probed' as const,
    facts: {
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      sizeBytes: 1000,
      durationSeconds: 60,
      audio: { codec: 'aac', channels: 2, sampleRate: 48000 },
      ...rest,
      video:
        video === null
          ? null
          : { codec: 'h264', width: 1920, height: 1080, rotation: 0, frameRate: 30, decodable: true, ...video },
    },
  };
};

const sizes = (display: { width: number; height: number }) => ladderFor(display).map((rung) => rung.name);

describe('ladderFor', () => {
  it('gives a 1080p source the whole Apple authoring ladder', () => {
    const ladder = ladderFor({ width: 1920, height: 1080 });
    expect(ladder.map((rung) => [rung.name, rung.videoBitrate])).toEqual([
      ['416x234', 145_000],
      ['640x360', 365_000],
      ['768x432', 1_100_000],
      ['960x540', 2_000_000],
      ['1280x720', 3_000_000],
      ['1920x1080', 6_000_000],
    ]);
    // Capped under the table: a picture too hard for its quality never costs more than the fixed rung.
    for (const rung of ladder) expect(rung.maxBitrate).toBe(Math.round(rung.videoBitrate * CAPPED_MAX_RATE_FACTOR));
    expect(CAPPED_MAX_RATE_FACTOR).toBeLessThan(1);
  });

  it('makes every rung capped quality: a CRF and a QVBR level under the table bitrate', () => {
    const ladder = ladderFor({ width: 1920, height: 1080 });
    expect(ladder.map((rung) => [rung.crf, rung.qvbrLevel, rung.maxBitrate])).toEqual([
      [17, 7, 130_500],
      [17, 7, 328_500],
      [17, 7, 990_000],
      [17, 7, 1_800_000],
      [19, 7, 2_700_000],
      [19, 8, 5_400_000],
    ]);
    // Never worse quality for fewer pixels: the CRF does not rise as the rungs shrink.
    ladder.slice(1).forEach((rung, index) => expect(rung.crf!).toBeGreaterThanOrEqual(ladder[index]!.crf!));
  });

  it('gives the fixed-bitrate twin the same sizes at the table average, peaking at 150 %', () => {
    const ladder = ladderFor({ width: 1280, height: 720 });
    const fixed = fixedBitrate(ladder);
    expect(fixed.map((rung) => rung.name)).toEqual(ladder.map((rung) => rung.name));
    for (const rung of fixed) {
      expect(rung.crf).toBeUndefined();
      expect(rung.qvbrLevel).toBeUndefined();
      expect(rung.maxBitrate).toBe(Math.round(rung.videoBitrate * MAX_RATE_FACTOR));
    }
  });

  it('reads a plan made before capped quality (rungs without a quality)', () => {
    const old = { name: '640x360', width: 640, height: 360, videoBitrate: 365_000, maxBitrate: 547_500 };
    expect(LadderRung.parse(old)).toEqual(old);
    expect(() => LadderRung.parse({ ...old, qvbrLevel: 11 })).toThrow();
  });

  it('never goes above the source resolution', () => {
    expect(sizes({ width: 1280, height: 720 })).toEqual(['416x234', '640x360', '768x432', '960x540', '1280x720']);
    expect(sizes({ width: 1000, height: 562 })).toEqual(['416x234', '640x360', '768x432', '960x540']);
  });

  it('keeps a smaller-than-lowest source as one rung at its own size, rounded down to even', () => {
    expect(sizes({ width: 320, height: 180 })).toEqual(['320x180']);
    expect(sizes({ width: 321, height: 179 })).toEqual(['320x178']);
  });

  it('keeps a portrait source portrait', () => {
    expect(sizes({ width: 1080, height: 1920 })).toEqual([
      '234x416',
      '360x640',
      '432x768',
      '540x960',
      '720x1280',
      '1080x1920',
    ]);
  });

  it('fits other aspect ratios inside the boxes with even sizes', () => {
    const ladder = ladderFor({ width: 1440, height: 1080 }); // 4:3
    expect(ladder[0]?.name).toBe('312x234');
    expect(ladder.at(-1)?.name).toBe('1440x1080');
    for (const rung of ladder) {
      expect(rung.width % 2).toBe(0);
      expect(rung.height % 2).toBe(0);
    }
  });
});

describe('assessSource', () => {
  it('plans a 1080p30 source with audio', () => {
    const result = assessSource(facts());
    expect(result.accepted).toBe(true);
    if (!result.accepted) return;
    expect(result.plan.hasAudio).toBe(true);
    expect(result.plan.gopFrames).toBe(60);
    expect(result.plan.ladder).toHaveLength(6);
  });

  it('swaps dimensions for a source rotated a quarter turn', () => {
    const result = assessSource(facts({ video: { width: 1920, height: 1080, rotation: -90 } }));
    if (!result.accepted) throw new Error(result.reason);
    expect(result.plan.ladder.at(-1)?.name).toBe('1080x1920');
  });

  it('makes video-only renditions for a source without audio', () => {
    const result = assessSource(facts({ audio: null }));
    if (!result.accepted) throw new Error(result.reason);
    expect(result.plan.hasAudio).toBe(false);
  });

  it('caps the frame rate at 60 and keeps 2 s GOPs', () => {
    const result = assessSource(facts({ video: { frameRate: 120 } }));
    if (!result.accepted) throw new Error(result.reason);
    expect(result.plan.frameRate).toBe(60);
    expect(result.plan.gopFrames).toBe(120);
  });

  it.each([
    [{ kind: 'unreadable' as const, detail: 'x.mp4: moov atom not found' }, /incomplete.*moov/],
    [{ kind: 'unreadable' as const, detail: 't.txt: Invalid data found when processing input' }, /not a video/],
    [facts({ video: null }), /only audio/],
    [facts({ video: null, audio: null }), /no video track/],
    [facts({ durationSeconds: 0.03 }), /lasts 0\.0 s/],
    [facts({ video: { width: 8192, height: 4320 } }), /8192x4320.*at most 4096x4096/],
    [facts({ durationSeconds: LIMITS.maxDurationSeconds + 60 }), /lasts 6 h 1 min.*at most 6 hours/],
    [facts({ video: { decodable: false, decodeError: 'Invalid NAL unit size' } }), /cannot be decoded.*NAL/],
  ])('refuses with a reason a person can read (%#)', (outcome, reason) => {
    const result = assessSource(outcome);
    expect(result.accepted).toBe(false);
    if (!result.accepted) expect(result.reason).toMatch(reason);
  });
});
