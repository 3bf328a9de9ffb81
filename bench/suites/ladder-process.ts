import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LadderJob } from '#shared/ports/transcoder.js';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { X264_THREADS_PER_RUNG, ladderArgs } from '#platform/local/ffmpeg/transcoder.js';
import { AUDIO_BITRATE, KEYFRAME_SECONDS, SEGMENT_SECONDS, ladderFor } from '#services/media/src/domain/ladder.js';
import type { Benchmark, Row } from '../lib.js';
import { round } from '../lib.js';
import { source1080p } from './media.js';

/**
 * The ladder's process design on the media bench's 60 s 1080p30 source (6 capped-quality rungs,
 * with audio): ONE ffmpeg (decode once, split, N encodes) against one ffmpeg per rung run one after
 * another, and one-process variants that set x264's threads and preset per rung. Wall time and CPU
 * seconds (user + sys, from /usr/bin/time) per run, and CPU seconds per rung from the per-rung runs:
 * on a 2-core machine the CPU seconds bound the wall time (wall ≥ CPU / 2).
 */

const SOURCE_SECONDS = Number(process.env.BENCH_SOURCE_SECONDS ?? 60);
const { ffmpegPath } = ffmpegBinaries(process.env.PATH);
const TIME = '/usr/bin/time';

interface Measured {
  wallSeconds: number;
  cpuSeconds: number;
}

/** Runs ffmpeg under nice and /usr/bin/time; wall from here, CPU (user + sys of ffmpeg) from time's report. */
async function timed(args: string[], work: string): Promise<Measured> {
  const report = join(work, `time-${Math.random().toString(36).slice(2)}.txt`);
  const command = existsSync(TIME) ? TIME : undefined;
  const argv = command
    ? ['-o', report, '-f', '%U %S', 'nice', '-n', '10', ffmpegPath, ...args]
    : ['-n', '10', ffmpegPath, ...args];
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command ?? 'nice', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (!command) return { wallSeconds, cpuSeconds: NaN };
  const [user, sys] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallSeconds, cpuSeconds: (user ?? NaN) + (sys ?? NaN) };
}

function jobFor(ladder: LadderJob['ladder']): LadderJob {
  return {
    videoId: 'bench',
    sourceKey: 'bench',
    outputPrefix: 'bench',
    ladder,
    hasAudio: true,
    durationSeconds: SOURCE_SECONDS,
    frameRate: 30,
    gopFrames: 30 * KEYFRAME_SECONDS,
    segmentSeconds: SEGMENT_SECONDS,
    keyframeSeconds: KEYFRAME_SECONDS,
    audioBitrate: AUDIO_BITRATE,
    stills: [],
  };
}

/** Per-rung encoder options put just before the output (ffmpeg applies the more specific later option). */
function withPerRung(args: string[], perRung: string[][]): string[] {
  const extra = perRung.flatMap((options, index) =>
    options.flatMap((option, at) => (at % 2 === 0 ? [`${option}:v:${index}`] : [option])),
  );
  return [...args.slice(0, -1), ...extra, args.at(-1)!];
}

export const ladderProcessBench: Benchmark = {
  name: 'ladder process',
  async run() {
    const source = await source1080p();
    const work = mkdtempSync(join(tmpdir(), 'kinema-bench-ladder-process-'));
    const ladder = ladderFor({ width: 1920, height: 1080 });
    const outDir = (name: string, count: number) => {
      const dir = join(work, name);
      for (let index = 0; index < count; index++) mkdirSync(join(dir, String(index)), { recursive: true });
      return dir;
    };
    const once = (name: string, perRung: string[][] = []) =>
      timed(withPerRung(ladderArgs(jobFor(ladder), { source, outDir: outDir(name, ladder.length) }), perRung), work);
    try {
      const perRung: (Measured & { name: string })[] = [];
      for (const rung of ladder) {
        const measured = await timed(
          // Alone on the machine a rung gets x264's own thread count (0 = auto).
          ladderArgs(jobFor([rung]), { source, outDir: outDir(`rung-${rung.name}`, 1) }, 'veryfast', 0),
          work,
        );
        perRung.push({ name: rung.name, ...measured });
      }
      const baseline = {
        wallSeconds: perRung.reduce((sum, rung) => sum + rung.wallSeconds, 0),
        cpuSeconds: perRung.reduce((sum, rung) => sum + rung.cpuSeconds, 0),
      };
      // x264 threads in proportion to each rung's pixels (at least 1), about 2 per core in all.
      const pixels = ladder.map((rung) => rung.width * rung.height);
      const total = pixels.reduce((sum, value) => sum + value, 0);
      const threads = pixels.map((value) => ['-threads', String(Math.max(1, Math.round((value / total) * 6)))]);
      // One x264 thread (encoding in ffmpeg's main thread) below 720p, x264's own choice above.
      const smallSingle = ladder.map((rung) => ['-threads', rung.height < 720 ? '1' : '0']);
      const twoEach = ladder.map(() => ['-threads', '2']);
      const oneEach = ladder.map(() => ['-threads', '1']);
      // Cheaper presets where the pixels are: the two largest rungs at superfast.
      const presets = ladder.map((rung) => ['-preset', rung.height >= 720 ? 'superfast' : 'veryfast']);
      // Two ffmpeg processes at once, the rungs shared out by their measured CPU seconds (largest
      // first to the lighter process): two main threads for the serial part (scaling, AAC, muxing).
      const groups: number[][] = [[], []];
      const load = [0, 0];
      for (const index of ladder.map((_, i) => i).sort((a, b) => perRung[b]!.cpuSeconds - perRung[a]!.cpuSeconds)) {
        const lighter = load[0]! <= load[1]! ? 0 : 1;
        groups[lighter]!.push(index);
        load[lighter]! += perRung[index]!.cpuSeconds;
      }
      const twoStarted = performance.now();
      const halves = await Promise.all(
        groups.map((group, half) => {
          const rungs = group.sort((a, b) => a - b).map((index) => ladder[index]!);
          return timed(ladderArgs(jobFor(rungs), { source, outDir: outDir(`half-${half}`, rungs.length) }), work);
        }),
      );
      const two = {
        wallSeconds: (performance.now() - twoStarted) / 1000,
        cpuSeconds: halves.reduce((sum, half) => sum + half.cpuSeconds, 0),
      };
      const variants: { name: string; measured: Measured; notes: string }[] = [
        {
          name: 'one process (production)',
          measured: await once('single'),
          notes: `x264 threads ${X264_THREADS_PER_RUNG || 'auto'} per rung`,
        },
        { name: 'one process, 2 threads per rung', measured: await once('two-each', twoEach), notes: 'threads 2 each' },
        { name: 'one process, 1 thread per rung', measured: await once('one-each', oneEach), notes: 'threads 1 each' },
        {
          name: 'one process, threads by pixels',
          measured: await once('threads', threads),
          notes: `threads ${threads.map((option) => option[1]).join('/')}`,
        },
        {
          name: 'one process, 1 thread below 720p',
          measured: await once('small-single', smallSingle),
          notes: `threads ${smallSingle.map((option) => (option[1] === '0' ? 'auto' : option[1])).join('/')}`,
        },
        {
          name: 'one process, preset per rung',
          measured: await once('presets', presets),
          notes: `presets ${presets.map((option) => option[1]).join('/')}`,
        },
        {
          name: 'two processes at once',
          measured: two,
          notes: `rungs ${groups.map((group) => group.map((index) => ladder[index]!.height).join('+')).join(' | ')}`,
        },
      ];
      const rows: (Row & { goal: string; met: boolean })[] = [];
      for (const variant of variants) {
        const ratio = variant.measured.wallSeconds / baseline.wallSeconds;
        const ofSource = variant.measured.wallSeconds / SOURCE_SECONDS;
        rows.push({
          benchmark: this.name,
          metric: `${variant.name}: ${ladder.length} rungs, ${SOURCE_SECONDS}s 1080p30`,
          unit: 's wall',
          subject: variant.measured.wallSeconds,
          baseline: baseline.wallSeconds,
          ratio,
          goal: '≤ 0.8 and ≤ 1.0× source duration',
          met: ratio <= 0.8 && ofSource <= 1,
          notes: `${round(ofSource)}× source; CPU ${round(variant.measured.cpuSeconds, 1)} s vs ${round(baseline.cpuSeconds, 1)} s per rung in all; ${variant.notes}`,
        });
      }
      // CPU seconds are what a shared machine measures best: the design's ratio on them, and the
      // wall time they bound on two idle cores (wall ≥ CPU / 2).
      const production = variants[0]!.measured;
      rows.push({
        benchmark: this.name,
        metric: `one process (production): CPU s vs one ffmpeg per rung`,
        unit: 'CPU s',
        subject: production.cpuSeconds,
        baseline: baseline.cpuSeconds,
        ratio: production.cpuSeconds / baseline.cpuSeconds,
        goal: 'report (the wall goal ≤ 0.8 on CPU)',
        met: true,
        notes: `CPU / 2 cores = ${round(production.cpuSeconds / 2 / SOURCE_SECONDS)}× source duration (the wall time two idle cores could reach)`,
      });
      for (const rung of perRung) {
        rows.push({
          benchmark: this.name,
          metric: `${rung.name} alone`,
          unit: 'CPU s',
          subject: rung.cpuSeconds,
          baseline: SOURCE_SECONDS,
          ratio: rung.cpuSeconds / SOURCE_SECONDS,
          goal: 'report (what bounds the ladder)',
          met: true,
          notes: `wall ${round(rung.wallSeconds, 1)} s; CPU s per source second ${round(rung.cpuSeconds / SOURCE_SECONDS)}`,
        });
      }
      return rows;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
