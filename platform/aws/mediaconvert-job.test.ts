import { describe, expect, it } from 'vitest';
import { frameRateFraction, mediaConvertJobSettings } from './mediaconvert-job.js';

const ladder = [
  { name: '416x234', width: 416, height: 234, videoBitrate: 145_000, maxBitrate: 130_500, crf: 17, qvbrLevel: 7 },
  { name: '1280x720', width: 1280, height: 720, videoBitrate: 3_000_000, maxBitrate: 2_700_000, crf: 20, qvbrLevel: 8 },
];
const base = {
  sourceUri: 's3://kinema-uploads/sources/v1/source',
  destinationUri: 's3://kinema-media/media/videos/v1/hls/',
  ladder,
  hasAudio: true,
  roleArn: 'arn:aws:iam::123456789012:role/kinema-mediaconvert',
  userMetadata: { videoId: 'v1', run: '1' },
};

type Job = ReturnType<typeof mediaConvertJobSettings>;
const outputs = (job: Job) => (job.Settings.OutputGroups[0] as { Outputs: Record<string, unknown>[] }).Outputs;

describe('mediaConvertJobSettings', () => {
  it('keeps the HLS ladder rules: fMP4, 6 s segments, closed 2 s GOPs, capped QVBR, AAC 48 kHz stereo', () => {
    const job = mediaConvertJobSettings(base);
    const video = outputs(job)[1] as {
      VideoDescription: { CodecSettings: { H264Settings: Record<string, unknown> } };
      ContainerSettings: { Container: string };
    };
    expect(video.ContainerSettings.Container).toBe('CMFC');
    expect(video.VideoDescription.CodecSettings.H264Settings).toMatchObject({
      CodecProfile: 'HIGH',
      RateControlMode: 'QVBR',
      MaxBitrate: 2_700_000,
      GopSize: 2,
      GopSizeUnits: 'SECONDS',
      GopClosedCadence: 1,
      SceneChangeDetect: 'DISABLED',
    });
    for (const rung of ladder) {
      expect(rung.maxBitrate).toBeLessThanOrEqual(rung.videoBitrate);
    }
  });

  it('gives each rung its own QVBR level, peak cap and average cap (the rung table of the plan)', () => {
    const settings = outputs(mediaConvertJobSettings(base)).map(
      (output) =>
        (output as { VideoDescription?: { CodecSettings: { H264Settings: Record<string, unknown> } } }).VideoDescription
          ?.CodecSettings.H264Settings,
    );
    expect(settings.slice(0, 2)).toMatchObject([
      {
        RateControlMode: 'QVBR',
        // The cap under Apple's rate is both the peak and the average ceiling (the local -maxrate rule).
        QvbrSettings: { QvbrQualityLevel: 7, MaxAverageBitrate: 130_500 },
        MaxBitrate: 130_500,
        HrdBufferSize: 290_000,
        QualityTuningLevel: 'MULTI_PASS_HQ',
      },
      {
        RateControlMode: 'QVBR',
        QvbrSettings: { QvbrQualityLevel: 8, MaxAverageBitrate: 2_700_000 },
        MaxBitrate: 2_700_000,
        HrdBufferSize: 6_000_000,
      },
    ]);
    expect(settings[0]).not.toHaveProperty('Bitrate');
  });

  it('encodes a rung without a quality level (a plan made before capped quality) at its fixed average', () => {
    const fixed = ladder.map(({ crf: _crf, qvbrLevel: _level, ...rung }) => ({
      ...rung,
      maxBitrate: rung.videoBitrate * 1.5,
    }));
    const h264 = (
      outputs(mediaConvertJobSettings({ ...base, ladder: fixed }))[1] as {
        VideoDescription: { CodecSettings: { H264Settings: Record<string, unknown> } };
      }
    ).VideoDescription.CodecSettings.H264Settings;
    expect(h264).toMatchObject({ RateControlMode: 'VBR', Bitrate: 3_000_000, MaxBitrate: 4_500_000 });
    expect(h264).not.toHaveProperty('QvbrSettings');
  });

  it('has no audio output for a silent source', () => {
    const job = mediaConvertJobSettings({ ...base, hasAudio: false });
    expect(outputs(job)).toHaveLength(2);
    expect(JSON.stringify(job)).not.toContain('AudioSelectors');
  });

  it('takes the first frame, then the poster at its time, then thumbnails at their interval', () => {
    const job = mediaConvertJobSettings({
      ...base,
      stills: {
        uri: 's3://kinema-media/media/videos/v1',
        posterAtSeconds: 6.0004,
        thumbnailEverySeconds: 12,
        thumbnails: 4,
        posterSize: { width: 1280, height: 720 },
        thumbnailSize: { width: 416, height: 234 },
      },
    });
    const stills = job.Settings.OutputGroups[1] as {
      OutputGroupSettings: { FileGroupSettings: { Destination: string } };
      Outputs: { NameModifier: string; VideoDescription: { CodecSettings: { FrameCaptureSettings: object } } }[];
    };
    expect(stills.OutputGroupSettings.FileGroupSettings.Destination).toBe(
      's3://kinema-media/media/videos/v1/captures/still',
    );
    expect(
      stills.Outputs.map((output) => [output.NameModifier, output.VideoDescription.CodecSettings.FrameCaptureSettings]),
    ).toEqual([
      ['_poster', { FramerateNumerator: 1000, FramerateDenominator: 6000, MaxCaptures: 2, Quality: 80 }],
      ['_thumb', { FramerateNumerator: 1000, FramerateDenominator: 12000, MaxCaptures: 5, Quality: 80 }],
    ]);
  });

  it('captures the storyboard frames under the HLS path, one JPEG per interval from the first frame', () => {
    const job = mediaConvertJobSettings({
      ...base,
      storyboard: {
        uri: 's3://kinema-media/media/videos/v1/hls/storyboard/',
        base: 'frame',
        everySeconds: 4,
        frames: 300,
        size: { width: 160, height: 90 },
      },
    });
    const group = job.Settings.OutputGroups.at(-1) as {
      Name: string;
      OutputGroupSettings: { FileGroupSettings: { Destination: string } };
      Outputs: Record<string, unknown>[];
    };
    expect(group.Name).toBe('Storyboard');
    expect(group.OutputGroupSettings.FileGroupSettings.Destination).toBe(
      's3://kinema-media/media/videos/v1/hls/storyboard/frame',
    );
    expect(group.Outputs).toHaveLength(1);
    expect(group.Outputs[0]).not.toHaveProperty('NameModifier');
    expect(group.Outputs[0]).toMatchObject({
      ContainerSettings: { Container: 'RAW' },
      VideoDescription: {
        Width: 160,
        Height: 90,
        CodecSettings: {
          Codec: 'FRAME_CAPTURE',
          FrameCaptureSettings: { FramerateNumerator: 1000, FramerateDenominator: 4000, MaxCaptures: 300 },
        },
      },
    });
  });

  it('writes frame rates as fractions, NTSC ones exactly', () => {
    expect(frameRateFraction(30)).toEqual({ numerator: 30, denominator: 1 });
    expect(frameRateFraction(29.97)).toEqual({ numerator: 30000, denominator: 1001 });
    expect(frameRateFraction(23.976)).toEqual({ numerator: 24000, denominator: 1001 });
    expect(frameRateFraction(59.94)).toEqual({ numerator: 60000, denominator: 1001 });
    expect(frameRateFraction(12.5)).toEqual({ numerator: 12500, denominator: 1000 });
    expect(frameRateFraction(0)).toEqual({ numerator: 30, denominator: 1 });
  });

  it('matches the reviewed job (snapshot)', () => {
    expect(
      mediaConvertJobSettings({
        ...base,
        ladder: ladder.slice(0, 1),
        stills: {
          uri: 's3://kinema-media/media/videos/v1/',
          posterAtSeconds: 6,
          thumbnailEverySeconds: 12,
          thumbnails: 4,
          posterSize: { width: 1280, height: 720 },
          thumbnailSize: { width: 416, height: 234 },
        },
      }),
    ).toMatchInlineSnapshot(`
      {
        "Role": "arn:aws:iam::123456789012:role/kinema-mediaconvert",
        "Settings": {
          "Inputs": [
            {
              "AudioSelectors": {
                "Audio Selector 1": {
                  "DefaultSelection": "DEFAULT",
                },
              },
              "FileInput": "s3://kinema-uploads/sources/v1/source",
              "TimecodeSource": "ZEROBASED",
              "VideoSelector": {
                "Rotate": "AUTO",
              },
            },
          ],
          "OutputGroups": [
            {
              "Name": "HLS",
              "OutputGroupSettings": {
                "HlsGroupSettings": {
                  "ClientCache": "ENABLED",
                  "CodecSpecification": "RFC_6381",
                  "Destination": "s3://kinema-media/media/videos/v1/hls/index",
                  "DirectoryStructure": "SINGLE_DIRECTORY",
                  "ManifestCompression": "NONE",
                  "ManifestDurationFormat": "FLOATING_POINT",
                  "MinSegmentLength": 0,
                  "OutputSelection": "MANIFESTS_AND_SEGMENTS",
                  "ProgramDateTime": "EXCLUDE",
                  "SegmentControl": "SEGMENTED_FILES",
                  "SegmentLength": 6,
                  "SegmentLengthControl": "GOP_MULTIPLE",
                  "StreamInfResolution": "INCLUDE",
                  "TimedMetadataId3Frame": "NONE",
                },
                "Type": "HLS_GROUP_SETTINGS",
              },
              "Outputs": [
                {
                  "ContainerSettings": {
                    "CmfcSettings": {
                      "AudioRenditionSets": "program_audio",
                    },
                    "Container": "CMFC",
                  },
                  "NameModifier": "_416x234",
                  "VideoDescription": {
                    "CodecSettings": {
                      "Codec": "H_264",
                      "H264Settings": {
                        "AdaptiveQuantization": "AUTO",
                        "CodecLevel": "AUTO",
                        "CodecProfile": "HIGH",
                        "FramerateControl": "SPECIFIED",
                        "FramerateConversionAlgorithm": "DUPLICATE_DROP",
                        "FramerateDenominator": 1,
                        "FramerateNumerator": 30,
                        "GopClosedCadence": 1,
                        "GopSize": 2,
                        "GopSizeUnits": "SECONDS",
                        "HrdBufferSize": 290000,
                        "MaxBitrate": 130500,
                        "MinIInterval": 0,
                        "NumberBFramesBetweenReferenceFrames": 2,
                        "ParControl": "SPECIFIED",
                        "ParDenominator": 1,
                        "ParNumerator": 1,
                        "QualityTuningLevel": "MULTI_PASS_HQ",
                        "QvbrSettings": {
                          "MaxAverageBitrate": 130500,
                          "QvbrQualityLevel": 7,
                        },
                        "RateControlMode": "QVBR",
                        "SceneChangeDetect": "DISABLED",
                      },
                    },
                    "Height": 234,
                    "ScalingBehavior": "DEFAULT",
                    "Sharpness": 50,
                    "Width": 416,
                  },
                },
                {
                  "AudioDescriptions": [
                    {
                      "AudioSourceName": "Audio Selector 1",
                      "CodecSettings": {
                        "AacSettings": {
                          "Bitrate": 128000,
                          "CodecProfile": "LC",
                          "CodingMode": "CODING_MODE_2_0",
                          "RateControlMode": "CBR",
                          "SampleRate": 48000,
                        },
                        "Codec": "AAC",
                      },
                    },
                  ],
                  "ContainerSettings": {
                    "CmfcSettings": {
                      "AudioGroupId": "program_audio",
                      "AudioTrackType": "ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT",
                    },
                    "Container": "CMFC",
                  },
                  "NameModifier": "_audio",
                },
              ],
            },
            {
              "Name": "Stills",
              "OutputGroupSettings": {
                "FileGroupSettings": {
                  "Destination": "s3://kinema-media/media/videos/v1/captures/still",
                },
                "Type": "FILE_GROUP_SETTINGS",
              },
              "Outputs": [
                {
                  "ContainerSettings": {
                    "Container": "RAW",
                  },
                  "NameModifier": "_poster",
                  "VideoDescription": {
                    "CodecSettings": {
                      "Codec": "FRAME_CAPTURE",
                      "FrameCaptureSettings": {
                        "FramerateDenominator": 6000,
                        "FramerateNumerator": 1000,
                        "MaxCaptures": 2,
                        "Quality": 80,
                      },
                    },
                    "Height": 720,
                    "ScalingBehavior": "DEFAULT",
                    "Width": 1280,
                  },
                },
                {
                  "ContainerSettings": {
                    "Container": "RAW",
                  },
                  "NameModifier": "_thumb",
                  "VideoDescription": {
                    "CodecSettings": {
                      "Codec": "FRAME_CAPTURE",
                      "FrameCaptureSettings": {
                        "FramerateDenominator": 12000,
                        "FramerateNumerator": 1000,
                        "MaxCaptures": 5,
                        "Quality": 80,
                      },
                    },
                    "Height": 234,
                    "ScalingBehavior": "DEFAULT",
                    "Width": 416,
                  },
                },
              ],
            },
          ],
          "TimecodeConfig": {
            "Source": "ZEROBASED",
          },
        },
        "StatusUpdateInterval": "SECONDS_10",
        "UserMetadata": {
          "run": "1",
          "videoId": "v1",
        },
      }
    `);
  });
});
