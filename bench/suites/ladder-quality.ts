import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rung } from '#shared/ports/transcoder.js';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { ladderArgs } from '#platform/local/ffmpeg/transcoder.js';
import {
  AUDIO_BITRATE,
  KEYFRAME_SECONDS,
  SEGMENT_SECONDS,
  fixedBitrate,
  ladderFor,
} from '#services/media/src/domain/ladder.js';
import { perTitleLadder } from '#services/media/src/domain/per-title.js';
import type { Benchmark, Row } from '../lib.js';
import { round } from '../lib.js';

/**
 * Capped-quality per-title ladder vs Apple's fixed-bitrate ladder, on generated sources of
 * different complexity (10 s, 1280x720, 30 fps, no audio: audio is the same in both ladders), made
 * once with ffmpeg's lavfi sources and kept in the temp folder.
 * Both ladders are encoded by the production `ladderArgs` (one ffmpeg, x264 veryfast); each rung is
 * scaled back to the source size and compared with ffmpeg's `ssim` filter. A rung the per-title
 * rule drops is scored with the rung a player gets instead (the kept one below) and costs no bytes.
 */

export const SECONDS = Number(process.env.BENCH_LADDER_SECONDS ?? 10);
const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;
const { ffmpegPath } = ffmpegBinaries(process.env.PATH);

/** A frozen first frame, `frames` long. */
const frozen = (source: string) =>
  `${source},trim=end_frame=1,loop=loop=${SECONDS * FPS - 1}:size=1:start=0,setpts=N/(${FPS}*TB)`;

export const SOURCES = [
  {
    name: 'static slide',
    named: true,
    graph: frozen(`testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=1`),
  },
  {
    // A soft, still background and a detailed region that moves a little, as a face does.
    name: 'talking head',
    named: true,
    graph:
      `${frozen(`testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=1`)},gblur=sigma=3[bg];` +
      `mandelbrot=size=360x360:rate=${FPS}[fg];` +
      `[bg][fg]overlay=x='460+24*sin(t*1.3)':y='180+12*sin(t*0.9)':shortest=1,trim=duration=${SECONDS}`,
  },
  {
    // Everything moves and fresh grain every frame: the hardest picture for an encoder.
    name: 'high-motion noise',
    named: true,
    graph: `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=${SECONDS},noise=alls=16:allf=t+u`,
  },
  {
    // Out of focus throughout: above some size the rungs hold no more picture, only more pixels.
    name: 'defocused',
    named: false,
    graph: `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS}:duration=${SECONDS},gblur=sigma=8`,
  },
  {
    // Standard-definition material delivered at 720p: the rungs above 360p hold no more picture.
    name: 'upscaled SD',
    named: false,
    graph: `testsrc2=size=640x360:rate=${FPS}:duration=${SECONDS},scale=${WIDTH}:${HEIGHT}:flags=bicubic`,
  },
] as const;

export function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', ffmpegPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.resume();
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

/** The source, made once (near-lossless x264) and kept in the temp folder between runs. */
export async function makeSource(source: (typeof SOURCES)[number]): Promise<string> {
  const file = join(tmpdir(), `kinema-bench-ladder-${source.name.replace(/\W+/g, '-')}-${SECONDS}s.mp4`);
  if (existsSync(file)) return file;
  await run([
    ...['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', source.graph],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '10', '-pix_fmt', 'yuv420p', '-r', String(FPS)],
    `${file}.tmp.mp4`,
  ]);
  copyFileSync(`${file}.tmp.mp4`, file);
  rmSync(`${file}.tmp.mp4`);
  return file;
}

const bytesUnder = (dir: string) => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

export interface EncodedRung {
  rung: Rung;
  playlist: string;
  bytes: number;
  /** Measured average video bitrate, bits/s. */
  videoBitrate: number;
}

/** Encodes a ladder as production does (one ffmpeg, `ladderArgs`) and measures each rung's bytes. */
export async function encode(source: string, ladder: Rung[], outDir: string): Promise<EncodedRung[]> {
  ladder.forEach((_, index) => mkdirSync(join(outDir, String(index)), { recursive: true }));
  const job = {
    videoId: 'bench',
    sourceKey: 'bench',
    outputPrefix: 'bench',
    ladder,
    hasAudio: false,
    durationSeconds: SECONDS,
    frameRate: FPS,
    gopFrames: FPS * KEYFRAME_SECONDS,
    segmentSeconds: SEGMENT_SECONDS,
    keyframeSeconds: KEYFRAME_SECONDS,
    audioBitrate: AUDIO_BITRATE,
    stills: [],
  };
  await run(ladderArgs(job, { source, outDir }));
  return ladder.map((rung, index) => {
    const bytes = bytesUnder(join(outDir, String(index)));
    return {
      rung,
      playlist: join(outDir, String(index), 'index.m3u8'),
      bytes,
      videoBitrate: Math.round((bytes * 8) / SECONDS),
    };
  });
}

/** Mean SSIM (All) of each playlist against the source, each scaled back to the source size, in one ffmpeg. */
export async function ssim(source: string, playlists: string[]): Promise<number[]> {
  const inputs = [source, ...playlists].flatMap((file) => ['-i', file]);
  const n = playlists.length;
  const graph = [
    `[0:v]split=${n}${playlists.map((_, i) => `[ref${i}]`).join('')}`,
    ...playlists.map(
      (_, i) =>
        `[${i + 1}:v]scale=${WIDTH}:${HEIGHT}:flags=bicubic,format=yuv420p[up${i}];[up${i}][ref${i}]ssim[s${i}]`,
    ),
  ].join(';');
  const outputs = playlists.flatMap((_, i) => ['-map', `[s${i}]`, '-f', 'null', '-']);
  const log = await run(['-nostdin', '-hide_banner', ...inputs, '-filter_complex', graph, ...outputs]);
  // Each ssim filter logs when the graph closes, in no set order; its instance number follows the graph's order.
  const scores = [...log.matchAll(/Parsed_ssim_(\d+) @ [^\]]*\] SSIM .*All:([\d.]+)/g)]
    .map((match) => ({ at: Number(match[1]), score: Number(match[2]) }))
    .sort((a, b) => a.at - b.at)
    .map((entry) => entry.score);
  if (scores.length !== n) throw new Error(`expected ${n} SSIM lines, got ${scores.length}: ${log.slice(-800)}`);
  return scores;
}

export interface LadderComparison {
  source: string;
  rungs: {
    name: string;
    fixedBytes: number;
    cappedBytes: number;
    /** 0 when dropped: a player never fetches it. */
    keptBytes: number;
    fixedSsim: number;
    cappedSsim: number;
    /** The SSIM a player gets at this rung: its own, or the kept rung's below when dropped. */
    perTitleSsim: number;
    servedBy: string;
  }[];
}

/** One source through both ladders. */
export async function compare(
  sourceName: string,
  source: string,
  work: string,
  capped: Rung[],
): Promise<LadderComparison> {
  const fixed = await encode(source, fixedBitrate(capped), join(work, 'fixed'));
  const quality = await encode(source, capped, join(work, 'capped'));
  const fixedSsim = await ssim(
    source,
    fixed.map((rung) => rung.playlist),
  );
  const cappedSsim = await ssim(
    source,
    quality.map((rung) => rung.playlist),
  );
  const decision = perTitleLadder(quality.map((encoded) => ({ ...encoded.rung, videoBitrate: encoded.videoBitrate })));
  const servedBy = (name: string) => decision.dropped.find((drop) => drop.name === name)?.servedBy ?? name;
  const index = (name: string) => capped.findIndex((rung) => rung.name === name);
  return {
    source: sourceName,
    rungs: capped.map((rung, i) => {
      const served = servedBy(rung.name);
      return {
        name: rung.name,
        fixedBytes: fixed[i]!.bytes,
        cappedBytes: quality[i]!.bytes,
        keptBytes: served === rung.name ? quality[i]!.bytes : 0,
        fixedSsim: fixedSsim[i]!,
        cappedSsim: cappedSsim[i]!,
        perTitleSsim: cappedSsim[index(served)]!,
        servedBy: served,
      };
    }),
  };
}

/** Rows with their goals: per source and rung, then the totals the issue's goal is about. */
export function rowsOf(benchmark: string, comparisons: LadderComparison[]): (Row & { goal: string; met: boolean })[] {
  const rows: (Row & { goal: string; met: boolean })[] = [];
  const worstAllowed = -0.005;
  for (const comparison of comparisons) {
    const fixedBytes = comparison.rungs.reduce((sum, rung) => sum + rung.fixedBytes, 0);
    const keptBytes = comparison.rungs.reduce((sum, rung) => sum + rung.keptBytes, 0);
    const dropped = comparison.rungs.filter((rung) => rung.servedBy !== rung.name);
    rows.push({
      benchmark,
      metric: `${comparison.source}: ladder bytes`,
      unit: 'bytes',
      subject: keptBytes,
      baseline: fixedBytes,
      ratio: keptBytes / fixedBytes,
      goal: "report (the goal is on the named sources' mean)",
      met: true,
      notes: `capped quality before the per-title drop ${comparison.rungs.reduce((sum, rung) => sum + rung.cappedBytes, 0)} B; dropped: ${dropped.map((rung) => `${rung.name}→${rung.servedBy}`).join(', ') || 'none'}`,
    });
    rows.push({
      benchmark,
      metric: `${comparison.source}: per-title rungs kept`,
      unit: 'rungs',
      subject: comparison.rungs.length - dropped.length,
      baseline: comparison.rungs.length,
      ratio: (comparison.rungs.length - dropped.length) / comparison.rungs.length,
      goal: 'report',
      met: true,
      notes: `video kbps at capped quality: ${comparison.rungs.map((rung) => `${rung.name} ${Math.round((rung.cappedBytes * 8) / SECONDS / 1000)}`).join(', ')}; dropped: ${dropped.map((rung) => `${rung.name}→${rung.servedBy}`).join(', ') || 'none'}`,
    });
    for (const rung of comparison.rungs) {
      const delta = rung.perTitleSsim - rung.fixedSsim;
      rows.push({
        benchmark,
        metric: `${comparison.source}: ${rung.name} SSIM`,
        unit: 'SSIM',
        subject: rung.perTitleSsim,
        baseline: rung.fixedSsim,
        ratio: rung.perTitleSsim / rung.fixedSsim,
        goal: `≥ fixed ${worstAllowed}`,
        met: delta >= worstAllowed,
        notes: `${round(rung.perTitleSsim, 4)} vs ${round(rung.fixedSsim, 4)}, Δ ${delta >= 0 ? '+' : ''}${round(delta, 4)}; ${rung.servedBy === rung.name ? `${rung.cappedBytes} B vs ${rung.fixedBytes} B` : `dropped, served by ${rung.servedBy}`}`,
      });
    }
  }
  const named = new Set<string>(SOURCES.filter((source) => source.named).map((source) => source.name));
  rows.push(
    ...totals(
      benchmark,
      'the three named sources',
      comparisons.filter((c) => named.has(c.source)),
      true,
    ),
  );
  rows.push(...totals(benchmark, 'all sources', comparisons, false));
  return rows;
}

/**
 * The issue's goal over a set of sources: at least 25 % fewer bytes on average (each title weighs
 * the same: the mean of the per-title byte ratios) at equal or better mean SSIM, and no rung worse
 * than the fixed ladder's by more than 0.005 SSIM. `judged` false reports the same figures.
 */
function totals(
  benchmark: string,
  label: string,
  comparisons: LadderComparison[],
  judged: boolean,
): (Row & { goal: string; met: boolean })[] {
  const worstAllowed = -0.005;
  const all = comparisons.flatMap((comparison) => comparison.rungs);
  const totalFixed = all.reduce((sum, rung) => sum + rung.fixedBytes, 0);
  const totalKept = all.reduce((sum, rung) => sum + rung.keptBytes, 0);
  const meanFixed = all.reduce((sum, rung) => sum + rung.fixedSsim, 0) / all.length;
  const meanPerTitle = all.reduce((sum, rung) => sum + rung.perTitleSsim, 0) / all.length;
  const worst = Math.min(...all.map((rung) => rung.perTitleSsim - rung.fixedSsim));
  const perSource = comparisons.map(
    (c) => c.rungs.reduce((s, r) => s + r.keptBytes, 0) / c.rungs.reduce((s, r) => s + r.fixedBytes, 0),
  );
  const meanRatio = perSource.reduce((sum, ratio) => sum + ratio, 0) / perSource.length;
  const goal = (text: string, met: boolean) => (judged ? { goal: text, met } : { goal: `report (${text})`, met: true });
  const names = comparisons.map((c) => c.source).join(', ');
  return [
    {
      benchmark,
      metric: `${label}: mean of the per-title byte ratios`,
      unit: 'ratio',
      subject: meanRatio,
      baseline: 1,
      ratio: meanRatio,
      ...goal('≤ 0.75', meanRatio <= 0.75),
      notes: `each title weighs the same: ${comparisons.map((c, i) => `${c.source} ${round(perSource[i]!, 3)}`).join(', ')}`,
    },
    {
      benchmark,
      metric: `${label}: total ladder bytes`,
      unit: 'bytes',
      subject: totalKept,
      baseline: totalFixed,
      ratio: totalKept / totalFixed,
      goal: "report (titles weigh by the fixed ladder's bytes)",
      met: true,
      notes: `${names}: ${all.length} rungs`,
    },
    {
      benchmark,
      metric: `${label}: mean SSIM per rung`,
      unit: 'SSIM',
      subject: meanPerTitle,
      baseline: meanFixed,
      ratio: meanPerTitle / meanFixed,
      ...goal('≥ fixed', meanPerTitle >= meanFixed),
      notes: `${round(meanPerTitle, 4)} vs ${round(meanFixed, 4)}, Δ ${round(meanPerTitle - meanFixed, 5)}`,
    },
    {
      benchmark,
      metric: `${label}: worst rung SSIM Δ`,
      unit: 'SSIM',
      subject: worst,
      baseline: worstAllowed,
      ratio: worst / worstAllowed,
      ...goal(`≥ ${worstAllowed}`, worst >= worstAllowed),
      notes: `${round(worst, 4)}`,
    },
  ];
}

export const ladderQualityBench: Benchmark = {
  name: 'ladder quality',
  async run() {
    const work = mkdtempSync(join(tmpdir(), 'kinema-bench-ladder-'));
    try {
      const comparisons: LadderComparison[] = [];
      for (const [index, definition] of SOURCES.entries()) {
        const source = await makeSource(definition);
        comparisons.push(
          await compare(
            definition.name,
            source,
            join(work, String(index)),
            ladderFor({ width: WIDTH, height: HEIGHT }),
          ),
        );
      }
      return rowsOf(this.name, comparisons);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
