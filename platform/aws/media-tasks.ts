import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { ObjectStore } from '#shared/ports/object-store.js';
import { STILL_CAPTURES } from './mediaconvert-job.js';

/**
 * The AWS-only parts of the media pipeline's Lambda tasks: ffprobe over a presigned URL (probe),
 * MediaConvert's frame captures moved to the keys the service expects (finalize), and
 * MediaConvert's job state events read into progress reports (onMediaConvert). The service's own
 * task functions do the rest; `runtime/aws/media.ts` composes them.
 */

export interface FfprobeUrlOptions {
  ffprobePath: string;
  /** The whole run, after which ffprobe is killed (its `code` is then null). */
  timeoutMs?: number;
  /** Written instead of the URL in ffprobe's messages: a presigned URL is a credential. */
  label?: string;
}

const STDERR_TAIL = 4096;

/**
 * Runs ffprobe on an HTTP(S) URL. ffprobe reads an MP4's header and index with range requests,
 * so a many-gigabyte source is probed without being downloaded. Resolves with the exit code,
 * stdout and the end of stderr; never rejects for what ffprobe says about the file.
 */
export function ffprobeUrl(
  url: string,
  options: FfprobeUrlOptions,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [
    '-v',
    'error',
    // A stalled connection fails the read (microseconds) instead of hanging the Lambda.
    '-rw_timeout',
    '30000000',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffprobePath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = err.split(url).join(options.label ?? 'the source');
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/**
 * A path to the binary that this process may execute. A Lambda package's files keep the modes the
 * archive gave them; when the executable bit got lost on the way, a copy in scratch space (/tmp)
 * is made executable instead, once per container.
 */
export function executablePath(path: string, scratchDir: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    mkdirSync(scratchDir, { recursive: true });
    const copy = join(scratchDir, path.split('/').pop() ?? 'binary');
    try {
      accessSync(copy, constants.X_OK);
    } catch {
      copyFileSync(path, copy);
      chmodSync(copy, 0o755);
    }
    return copy;
  }
}

export interface StillKeys {
  /** The video's media root, `media/videos/<id>/`: MediaConvert's captures are under it. */
  root: string;
  poster: string;
  thumbnail: (index: number) => string;
  thumbnails: number;
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Moves MediaConvert's frame captures (see `mediaConvertJobSettings` `stills`) to the poster and
 * thumbnail keys: capture 0 of each series is the first frame and is skipped unless it is the only
 * one (a very short video). The captures are removed after the copies, so a repeat (a retried
 * Lambda) finds nothing to do and the stills already in place.
 */
export async function promoteStills(
  media: ObjectStore,
  keys: StillKeys,
): Promise<{ posterKey?: string; thumbnailKeys: string[] }> {
  const prefix = `${keys.root}${STILL_CAPTURES.prefix}`;
  const captures = (await media.list(prefix)).map((object) => object.key).sort();
  const series = (modifier: string) =>
    captures.filter((key) => key.startsWith(`${prefix}${STILL_CAPTURES.base}${modifier}.`) && key.endsWith('.jpg'));
  const pick = (keys: string[], count: number) => (keys.length > 1 ? keys.slice(1, 1 + count) : keys.slice(0, count));

  const copy = async (from: string, to: string) => {
    const object = await media.get(from);
    if (!object) throw new Error(`the frame capture ${from} disappeared`);
    await media.put(to, await readAll(object.body), { contentType: 'image/jpeg' });
  };
  const [poster] = pick(series(STILL_CAPTURES.poster), 1);
  if (poster) await copy(poster, keys.poster);
  const thumbnailKeys: string[] = [];
  for (const [index, capture] of pick(series(STILL_CAPTURES.thumbnail), keys.thumbnails).entries()) {
    await copy(capture, keys.thumbnail(index));
    thumbnailKeys.push(keys.thumbnail(index));
  }
  for (const key of captures) await media.delete(key);
  return { ...(poster ? { posterKey: keys.poster } : {}), thumbnailKeys };
}

/**
 * EventBridge's "MediaConvert Job State Change" (source `aws.mediaconvert`, default bus). Only
 * the fields Kinema reads; the rest of MediaConvert's detail passes through unchecked.
 */
export const MediaConvertJobStateChange = z.object({
  source: z.literal('aws.mediaconvert'),
  'detail-type': z.literal('MediaConvert Job State Change'),
  detail: z.looseObject({
    jobId: z.string(),
    status: z.string(),
    userMetadata: z.record(z.string(), z.string()).default({}),
    jobProgress: z.looseObject({ jobPercentComplete: z.number().min(0).max(100).optional() }).optional(),
    errorCode: z.number().optional(),
    errorMessage: z.string().optional(),
  }),
});

const KinemaJob = z.object({ videoId: z.string().min(1), run: z.coerce.number().int().nonnegative() });

export type JobReport =
  | { kind: 'progress'; jobId: string; videoId: string; run: number; percent: number }
  | { kind: 'error'; jobId: string; videoId: string; run: number; message: string }
  | { kind: 'ignored'; jobId: string; reason: string };

/**
 * What a job state change means for Kinema: STATUS_UPDATE with a percentage and COMPLETE (100)
 * are progress, ERROR is a failure the workflow will publish itself (the `.sync` task fails);
 * anything else, a job without Kinema's user metadata or an update without a percentage, is
 * ignored. Throws (zod) on an event that is not a job state change at all.
 */
export function readJobStateChange(event: unknown): JobReport {
  const { detail } = MediaConvertJobStateChange.parse(event);
  const job = KinemaJob.safeParse(detail.userMetadata);
  if (!job.success) return { kind: 'ignored', jobId: detail.jobId, reason: 'not a Kinema media job' };
  const { videoId, run } = job.data;
  switch (detail.status) {
    case 'STATUS_UPDATE': {
      const percent = detail.jobProgress?.jobPercentComplete;
      return percent === undefined
        ? { kind: 'ignored', jobId: detail.jobId, reason: 'no percentage yet' }
        : { kind: 'progress', jobId: detail.jobId, videoId, run, percent };
    }
    case 'COMPLETE':
      return { kind: 'progress', jobId: detail.jobId, videoId, run, percent: 100 };
    case 'ERROR':
      return {
        kind: 'error',
        jobId: detail.jobId,
        videoId,
        run,
        message: detail.errorMessage ?? `MediaConvert error ${detail.errorCode ?? 'unknown'}`,
      };
    default:
      return { kind: 'ignored', jobId: detail.jobId, reason: `status ${detail.status}` };
  }
}
