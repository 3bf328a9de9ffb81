import { z } from 'zod';
import type { TranscodePlan } from './domain/ladder.js';

/** What the media-pipeline workflow (`workflows/media-pipeline.asl.json`) and its tasks agree on. */

/** The workflow's name. */
export const MEDIA_PIPELINE = 'media-pipeline';

/**
 * The transcode state's job: MediaConvert's CreateJob input on AWS (built by
 * `platform/aws/mediaconvert-job.ts` in the probe Lambda); standalone a descriptive stand-in, since
 * the local transcode reads the plan from the record.
 */
export interface MediaJob {
  Role: string;
  Settings: Record<string, unknown>;
  UserMetadata: Record<string, string>;
  StatusUpdateInterval: string;
}
export type JobBuilder = (input: {
  videoId: string;
  run: number;
  sourceKey: string;
  outputPrefix: string;
  plan: TranscodePlan;
}) => MediaJob;

export const localJob: JobBuilder = ({ videoId, run, outputPrefix, plan }) => ({
  Role: 'local',
  Settings: { engine: 'ffmpeg', outputPrefix, rungs: plan.ladder.map((rung) => rung.name) },
  UserMetadata: { videoId, run: String(run) },
  StatusUpdateInterval: 'SECONDS_10',
});

/** The execution input (and what every task receives, through the state's Parameters). */
export const PipelineInput = z.object({ videoId: z.string(), sourceKey: z.string(), run: z.number().int() });
export type PipelineInput = z.infer<typeof PipelineInput>;
