import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Prober } from '../../../services/media/src/pipeline.js';
import { outcomeFromFfprobe } from '../../../services/media/src/domain/ffprobe.js';
import type { ProbeOutcome, SourceFacts } from '../../../services/media/src/domain/source.js';
import type { ObjectStore } from '../../../shared/ports/object-store.js';
import { runProcess } from './run.js';

export interface ProbeOptions {
  ffprobePath: string;
  /** With ffmpeg, a trial decode of a few frames tells a readable header from a decodable picture. */
  ffmpegPath?: string;
}

/**
 * ffprobe's JSON → the facts the ladder rules read (the same pure mapping the AWS probe uses), plus
 * a trial decode. An unreadable file is an outcome, not an error.
 */
export async function probe(file: string, options: ProbeOptions): Promise<ProbeOutcome> {
  const result = await runProcess(
    options.ffprobePath,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
    { keepStdout: true, stallMs: 60_000 },
  );
  const outcome = outcomeFromFfprobe({ code: result.code, stdout: result.stdout, stderr: result.stderrTail });
  if (outcome.kind !== 'probed') return outcome;
  const facts: SourceFacts = { ...outcome.facts, sizeBytes: outcome.facts.sizeBytes || (await stat(file)).size };
  if (facts.video && options.ffmpegPath) {
    const trial = await trialDecode(file, options.ffmpegPath);
    if (!trial.ok) facts.video = { ...facts.video, decodable: false, decodeError: trial.error };
  }
  return { kind: 'probed', facts };
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
      if (!object) return { kind: 'unreadable', detail: `the uploaded file ${sourceKey} is gone` };
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
