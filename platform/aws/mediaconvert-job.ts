import type { Rung } from '#shared/ports/transcoder.js';

export interface MediaConvertJobInput {
  /** s3://bucket/key of the uploaded source. */
  sourceUri: string;
  /** s3://bucket/media/videos/<id>/hls/ — the rung playlists, init and segments land here. */
  destinationUri: string;
  ladder: Rung[];
  hasAudio: boolean;
  /** The IAM role MediaConvert assumes to read the source and write the outputs. */
  roleArn: string;
  /** Output frame rate (the probe's, capped at 60) as a fraction; defaults to 30/1. */
  frameRate?: { numerator: number; denominator: number };
  /** Copied to the job (strings only), so STATUS_UPDATE events can be tied to the video. */
  userMetadata?: Record<string, string>;
  /** Frame captures for the poster and thumbnails; `promoteStills` moves them into place after the job. */
  stills?: Stills;
  /** Seek-bar storyboard frames; the finalize step writes their WebVTT track. */
  storyboard?: StoryboardCapture;
}

/**
 * One JPEG per storyboard frame, `<uri><base>.NNNNNNN.jpg` from 0 (the first frame) and one
 * every `everySeconds` after: the media service's storyboard rule, captured by MediaConvert.
 */
export interface StoryboardCapture {
  /** s3://bucket/media/videos/<id>/hls/storyboard/ (under the HLS path: the playback cookies cover it). */
  uri: string;
  /** The file name base (`frame`); MediaConvert appends `.NNNNNNN.jpg`. */
  base: string;
  everySeconds: number;
  frames: number;
  size: { width: number; height: number };
}

export interface Stills {
  /** s3://bucket/media/videos/<id>/ — captures land under `captures/` there (see STILL_CAPTURES). */
  uri: string;
  /** When the poster is taken; frame capture also takes the first frame, which is skipped. */
  posterAtSeconds: number;
  /** Thumbnails are taken every this many seconds after the first frame, `thumbnails` of them. */
  thumbnailEverySeconds: number;
  thumbnails: number;
  posterSize: { width: number; height: number };
  thumbnailSize: { width: number; height: number };
}

/**
 * Where MediaConvert's frame captures land, relative to `stills.uri`: `<base><modifier>.NNNNNNN.jpg`,
 * numbered from 0 (the first frame), e.g. `captures/still_poster.0000001.jpg`.
 */
export const STILL_CAPTURES = {
  prefix: 'captures/',
  base: 'still',
  poster: '_poster',
  thumbnail: '_thumb',
} as const;

/** MediaConvert takes frame rates as fractions; the NTSC rates are exactly n·1000/1001. */
export function frameRateFraction(fps: number): { numerator: number; denominator: number } {
  if (!Number.isFinite(fps) || fps <= 0) return { numerator: 30, denominator: 1 };
  if (Number.isInteger(fps)) return { numerator: fps, denominator: 1 };
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs((ntsc * 1000) / 1001 - fps) < 0.005) return { numerator: ntsc * 1000, denominator: 1001 };
  return { numerator: Math.round(fps * 1000), denominator: 1000 };
}

/**
 * Frame capture takes the first frame, then one every `denominator / numerator` seconds; the
 * interval is kept to the millisecond.
 */
const captureEvery = (seconds: number) => ({
  FramerateNumerator: 1000,
  FramerateDenominator: Math.max(1, Math.round(seconds * 1000)),
});

function frameCapture(
  nameModifier: string | undefined,
  size: { width: number; height: number },
  everySeconds: number,
  maxCaptures: number,
) {
  return {
    ...(nameModifier ? { NameModifier: nameModifier } : {}),
    ContainerSettings: { Container: 'RAW' },
    VideoDescription: {
      Width: size.width,
      Height: size.height,
      ScalingBehavior: 'DEFAULT',
      CodecSettings: {
        Codec: 'FRAME_CAPTURE',
        FrameCaptureSettings: { ...captureEvery(everySeconds), MaxCaptures: maxCaptures, Quality: 80 },
      },
    },
  };
}

const AUDIO_GROUP = 'program_audio';
const SEGMENT_SECONDS = 6;
const GOP_SECONDS = 2;
const AUDIO_BITRATE = 128_000;

/**
 * A capped-quality rung is QVBR at its quality level, peaking at `maxBitrate` and averaging no more
 * than that (MaxAverageBitrate needs MULTI_PASS_HQ, which every output uses): the media domain's
 * cap under Apple's bitrate, the same rule as the standalone capped CRF (`-maxrate`). A rung
 * without a quality level (a plan from before) is VBR at its fixed average.
 */
function rateControl(rung: Rung) {
  if (rung.qvbrLevel === undefined) {
    return { RateControlMode: 'VBR', Bitrate: rung.videoBitrate, MaxBitrate: rung.maxBitrate };
  }
  return {
    RateControlMode: 'QVBR',
    QvbrSettings: {
      QvbrQualityLevel: rung.qvbrLevel,
      MaxAverageBitrate: Math.min(rung.videoBitrate, rung.maxBitrate),
    },
    MaxBitrate: rung.maxBitrate,
  };
}

/**
 * The MediaConvert CreateJob input for one video, as plain JSON (the Step Functions
 * `mediaconvert:createJob.sync` task sends it as is). One HLS output group with fMP4 (CMFC)
 * segments of 6 s, one H.264 High output per rung (QVBR at the rung's level, capped by its MaxBitrate, a closed
 * GOP of 2 s with no scene-cut IDRs, so IDRs align across rungs), AAC-LC stereo 48 kHz as one
 * audio rendition group (CMFC carries one track per output), and frame captures for the poster and
 * thumbnails.
 */
export function mediaConvertJobSettings(input: MediaConvertJobInput) {
  const frameRate = input.frameRate ?? { numerator: 30, denominator: 1 };
  const videoOutputs = input.ladder.map((rung) => ({
    NameModifier: `_${rung.name}`,
    ContainerSettings: {
      Container: 'CMFC',
      CmfcSettings: input.hasAudio ? { AudioRenditionSets: AUDIO_GROUP } : {},
    },
    VideoDescription: {
      Width: rung.width,
      Height: rung.height,
      ScalingBehavior: 'DEFAULT',
      Sharpness: 50,
      CodecSettings: {
        Codec: 'H_264',
        H264Settings: {
          CodecProfile: 'HIGH',
          CodecLevel: 'AUTO',
          ...rateControl(rung),
          HrdBufferSize: rung.videoBitrate * 2,
          GopSize: GOP_SECONDS,
          GopSizeUnits: 'SECONDS',
          GopClosedCadence: 1,
          NumberBFramesBetweenReferenceFrames: 2,
          SceneChangeDetect: 'DISABLED',
          MinIInterval: 0,
          FramerateControl: 'SPECIFIED',
          FramerateNumerator: frameRate.numerator,
          FramerateDenominator: frameRate.denominator,
          FramerateConversionAlgorithm: 'DUPLICATE_DROP',
          ParControl: 'SPECIFIED',
          ParNumerator: 1,
          ParDenominator: 1,
          AdaptiveQuantization: 'AUTO',
          QualityTuningLevel: 'MULTI_PASS_HQ',
        },
      },
    },
  }));
  const audioOutputs = input.hasAudio
    ? [
        {
          NameModifier: '_audio',
          ContainerSettings: {
            Container: 'CMFC',
            CmfcSettings: { AudioGroupId: AUDIO_GROUP, AudioTrackType: 'ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT' },
          },
          AudioDescriptions: [
            {
              AudioSourceName: 'Audio Selector 1',
              CodecSettings: {
                Codec: 'AAC',
                AacSettings: {
                  CodecProfile: 'LC',
                  CodingMode: 'CODING_MODE_2_0',
                  SampleRate: 48_000,
                  Bitrate: AUDIO_BITRATE,
                  RateControlMode: 'CBR',
                },
              },
            },
          ],
        },
      ]
    : [];
  const outputGroups: Record<string, unknown>[] = [
    {
      Name: 'HLS',
      OutputGroupSettings: {
        Type: 'HLS_GROUP_SETTINGS',
        HlsGroupSettings: {
          Destination: `${input.destinationUri.replace(/\/?$/, '/')}index`,
          SegmentLength: SEGMENT_SECONDS,
          SegmentLengthControl: 'GOP_MULTIPLE',
          MinSegmentLength: 0,
          SegmentControl: 'SEGMENTED_FILES',
          DirectoryStructure: 'SINGLE_DIRECTORY',
          ManifestDurationFormat: 'FLOATING_POINT',
          OutputSelection: 'MANIFESTS_AND_SEGMENTS',
          ProgramDateTime: 'EXCLUDE',
          CodecSpecification: 'RFC_6381',
          StreamInfResolution: 'INCLUDE',
          ClientCache: 'ENABLED',
          ManifestCompression: 'NONE',
          TimedMetadataId3Frame: 'NONE',
        },
      },
      Outputs: [...videoOutputs, ...audioOutputs],
    },
  ];
  if (input.stills) {
    const { stills } = input;
    outputGroups.push({
      Name: 'Stills',
      OutputGroupSettings: {
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: {
          Destination: `${stills.uri.replace(/\/?$/, '/')}${STILL_CAPTURES.prefix}${STILL_CAPTURES.base}`,
        },
      },
      Outputs: [
        // The first frame, then the poster's.
        frameCapture(STILL_CAPTURES.poster, stills.posterSize, stills.posterAtSeconds, 2),
        frameCapture(
          STILL_CAPTURES.thumbnail,
          stills.thumbnailSize,
          stills.thumbnailEverySeconds,
          stills.thumbnails + 1,
        ),
      ],
    });
  }
  if (input.storyboard) {
    const { storyboard } = input;
    outputGroups.push({
      Name: 'Storyboard',
      OutputGroupSettings: {
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: { Destination: `${storyboard.uri.replace(/\/?$/, '/')}${storyboard.base}` },
      },
      Outputs: [frameCapture(undefined, storyboard.size, storyboard.everySeconds, storyboard.frames)],
    });
  }
  return {
    Role: input.roleArn,
    UserMetadata: input.userMetadata ?? {},
    StatusUpdateInterval: 'SECONDS_10',
    Settings: {
      TimecodeConfig: { Source: 'ZEROBASED' },
      Inputs: [
        {
          FileInput: input.sourceUri,
          TimecodeSource: 'ZEROBASED',
          VideoSelector: { Rotate: 'AUTO' },
          ...(input.hasAudio ? { AudioSelectors: { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } } } : {}),
        },
      ],
      OutputGroups: outputGroups,
    },
  };
}
