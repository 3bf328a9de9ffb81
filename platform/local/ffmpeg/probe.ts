import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '#shared/ports/object-store.js';
import type { ProbeReport, Prober } from '#shared/ports/transcoder.js';
import { runProcess } from './run.js';

export interface ProbeOptions {
  ffprobePath: string;
  /** With ffmpeg, a trial decode of a few frames tells a readable header from a decodable picture. */
  ffmpegPath?: string;
}

/**
 * Runs ffprobe on a local file and, when it read the file, a trial decode of the first frames (a
 * readable header is not yet a decodable picture). The media service reads the report.
 */
export async function probe(file: string, options: ProbeOptions): Promise<ProbeReport> {
  const result = await runProcess(
    options.ffprobePath,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    { keepStdout: true, stallMs: 60_000 },
  );
  const report: ProbeReport = {
    kind: 'ffprobe',
    run: { code: result.code, stdout: result.stdout, stderr: result.stderrTail },
    sizeBytes: (await stat(file)).size,
  };
  if (result.code === 0 && options.ffmpegPath && /"codec_type":\s*"video"/.test(result.stdout)) {
    const trial = await trialDecode(file, options.ffmpegPath);
    if (!trial.ok) report.decodeError = trial.error;
  }
  return report;
}

async function trialDecode(file: string, ffmpegPath: string): Promise<{ ok: true } | { ok: false; error: string }> {
  let frames = 0;
  const result = await runProcess(
    ffmpegPath,
    [
      '-nostdin',
      '-v',
      'error',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-frames:v',
      '3',
      '-f',
      'null',
      '-progress',
      'pipe:1',
      '-',
    ],
    {
      stallMs: 60_000,
      onLine: (line) => {
        if (line.startsWith('frame=')) frames = Math.max(frames, Number(line.slice(6)) || 0);
      },
    },
  );
  if (frames > 0) return { ok: true };
  const last = result.stderrTail.split('\n').pop()?.trim();
  return { ok: false, error: last ? last.slice(0, 200) : 'no picture could be decoded' };
}

/**
 * The standalone Prober: copies the source out of the object store into a scratch folder (MP4s
 * need random access; the store's file may be replaced meanwhile), probes it, removes the copy.
 */
export function storeProber(options: ProbeOptions & { sources: ObjectStore; workDir: string }): Prober {
  return {
    async probe(sourceKey) {
      const object = await options.sources.get(sourceKey);
      if (!object) return { kind: 'missing', detail: `the uploaded file ${sourceKey} is gone` };
      await mkdir(options.workDir, { recursive: true });
      const dir = await mkdtemp(join(options.workDir, 'probe-'));
      try {
        const file = join(dir, 'source');
        await pipeline(object.body, createWriteStream(file));
        return await probe(file, options);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
