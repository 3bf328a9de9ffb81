import type { Rung } from '../../shared/ports/transcoder.js';

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
  /** s3://bucket/media/videos/<id>/ — the poster frame capture goes here (poster.0000000.jpg). */
  stillsUri?: string;
}

const AUDIO_GROUP = 'program_audio';
const SEGMENT_SECONDS = 6;
const GOP_SECONDS = 2;
const AUDIO_BITRATE = 128_000;

/**
 * The MediaConvert CreateJob input for one video, as plain JSON (the Step Functions
 * `mediaconvert:createJob.sync` task sends it as is). One HLS output group with fMP4 (CMFC)
 * segments of 6 s, one H.264 High output per rung (QVBR capped by the rung's MaxBitrate, a closed
 * GOP of 2 s with no scene-cut IDRs, so IDRs align across rungs), AAC-LC stereo 48 kHz as one
 * audio rendition group (CMFC carries one track per output), and a frame capture for the poster.
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
          RateControlMode: 'QVBR',
          QvbrSettings: { QvbrQualityLevel: 7 },
          MaxBitrate: rung.maxBitrate,
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
  if (input.stillsUri) {
    outputGroups.push({
      Name: 'Poster',
      OutputGroupSettings: {
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: { Destination: `${input.stillsUri.replace(/\/?$/, '/')}poster` },
      },
      Outputs: [
        {
          ContainerSettings: { Container: 'RAW' },
          VideoDescription: {
            CodecSettings: {
              Codec: 'FRAME_CAPTURE',
              FrameCaptureSettings: { FramerateNumerator: 1, FramerateDenominator: 10, MaxCaptures: 1, Quality: 80 },
            },
          },
        },
      ],
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
