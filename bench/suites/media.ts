import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ffmpegBinaries } from '#platform/local/ffmpeg/binaries.js';
import { ladderArgs } from '#platform/local/ffmpeg/transcoder.js';
import { AUDIO_BITRATE, KEYFRAME_SECONDS, SEGMENT_SECONDS, ladderFor } from '#services/media/src/domain/ladder.js';
import type { Benchmark, HttpLoad, Row } from '../lib.js';
import { load, loadWithWrk } from '../lib.js';
import { freePort, repoRoot, stop, waitFor200 } from '../process.js';

const SOURCE_SECONDS = Number(process.env.BENCH_SOURCE_SECONDS ?? 60);
const { ffmpegPath } = ffmpegBinaries(process.env.PATH);

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

/** A 1080p30 test source with audio, made once and kept in the temp folder between runs. */
export async function source1080p(): Promise<string> {
  const file = join(tmpdir(), `kinema-bench-1080p-${SOURCE_SECONDS}s.mp4`);
  if (existsSync(file)) return file;
  await run(ffmpegPath, [
    ...['-nostdin', '-v', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${SOURCE_SECONDS}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SOURCE_SECONDS}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '8M', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    `${file}.tmp.mp4`,
  ]);
  copyFileSync(`${file}.tmp.mp4`, file);
  rmSync(`${file}.tmp.mp4`);
  return file;
}

/** Encodes `rungs` of the 1080p ladder in one ffmpeg process, as Kinema does; returns wall ms. */
async function encodeLadder(source: string, rungIndexes: number[], outDir: string): Promise<number> {
  const ladder = ladderFor({ width: 1920, height: 1080 }).filter((_, index) => rungIndexes.includes(index));
  ladder.forEach((_, index) => mkdirSync(join(outDir, String(index)), { recursive: true }));
  const job = {
    videoId: 'bench',
    sourceKey: 'bench',
    outputPrefix: 'bench',
    ladder,
    hasAudio: true,
    durationSeconds: SOURCE_SECONDS,
    frameRate: 30,
    gopFrames: 60,
    segmentSeconds: SEGMENT_SECONDS,
    keyframeSeconds: KEYFRAME_SECONDS,
    audioBitrate: AUDIO_BITRATE,
    stills: [],
  };
  const started = performance.now();
  await run(ffmpegPath, ladderArgs(job, { source, outDir }));
  return performance.now() - started;
}

async function cli(env: Record<string, string>, ...argv: string[]): Promise<string> {
  return (await run(process.execPath, ['runtime/standalone/bin/kinema.js', ...argv], env)).trim();
}

/** nginx serving a folder on a port, from Debian's nginx-light; undefined when nginx is not installed. */
async function startNginx(root: string) {
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
  if (!nginx) return undefined;
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'kinema-bench-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'worker_processes 1; daemon off; pid nginx.pid; error_log stderr error;',
      'events { worker_connections 1024; }',
      'http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;',
      '  types { video/iso.segment m4s; application/vnd.apple.mpegurl m3u8; video/mp4 mp4; }',
      `  server { listen 127.0.0.1:${port}; root ${root}; } }`,
    ].join('\n'),
  );
  const child = spawn(nginx, ['-p', prefix, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor200(`http://127.0.0.1:${port}/probe.txt`, performance.now(), 10_000).catch(() => undefined);
  return { port, child, prefix };
}

/**
 * The media pipeline and edge on a generated 60 s 1080p30 source:
 * - transcode wall time (one ffmpeg process, the whole ladder) as a multiple of the source duration,
 *   against one ffmpeg per rung (PeerTube's approach), same encoder settings, same run;
 * - upload-complete → ready through the standalone server (probe, transcode, finalize, events),
 *   against the bare ladder encode;
 * - media-edge segment throughput (signed cookies checked on every request) against nginx
 *   serving the same file (Debian nginx-light), autocannon, 50 connections, 5 s each.
 */
export const mediaBench: Benchmark = {
  name: 'media pipeline and edge',
  async run() {
    const rows: Row[] = [];
    const source = await source1080p();
    const work = mkdtempSync(join(tmpdir(), 'kinema-bench-media-'));
    try {
      const rungs = ladderFor({ width: 1920, height: 1080 }).map((_, index) => index);
      const single = await encodeLadder(source, rungs, join(work, 'single'));
      let perRung = 0;
      for (const index of rungs) perRung += await encodeLadder(source, [index], join(work, `rung-${index}`));
      rows.push({
        benchmark: this.name,
        metric: `transcode ${rungs.length} rungs, ${SOURCE_SECONDS}s 1080p30`,
        unit: 'x source duration',
        subject: single / 1000 / SOURCE_SECONDS,
        baseline: perRung / 1000 / SOURCE_SECONDS,
        ratio: single / perRung,
        notes: 'baseline: one ffmpeg per rung, run one after another (2 cores)',
      });

      // The standalone server: upload through presigned parts, then wait for `ready`.
      const data = join(work, 'data');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = { KINEMA_DATA: data, PORT: String(port), KINEMA_PUBLIC_URL: url, KINEMA_LOG_LEVEL: 'warn' };
      const server = spawn(process.execPath, ['--import', 'tsx', 'runtime/standalone/main.ts'], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      try {
        await waitFor200(`${url}/healthz`, performance.now(), 180_000);
        await cli(
          env,
          'users',
          'add',
          '--email',
          'bench@kinema.test',
          '--password',
          'benchmark password',
          '--role',
          'admin',
        );
        const token = await cli(env, 'token', '--email', 'bench@kinema.test');
        const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const post = async (path: string, body: unknown) => {
          const res = await fetch(`${url}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
          if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
          return res;
        };
        const { videoId } = z
          .object({ videoId: z.string() })
          .parse(await (await post('/api/catalog/videos', { title: 'Bench', priceJpy: 100 })).json());
        const bytes = readFileSync(source);
        const plan = z
          .object({
            uploadId: z.string(),
            partSize: z.number(),
            parts: z.array(z.object({ partNumber: z.number(), url: z.string() })),
          })
          .parse(
            await (
              await post(`/api/catalog/videos/${videoId}/upload`, { size: bytes.length, contentType: 'video/mp4' })
            ).json(),
          );
        const parts = [];
        for (const part of plan.parts) {
          const chunk = bytes.subarray((part.partNumber - 1) * plan.partSize, part.partNumber * plan.partSize);
          const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(chunk) });
          parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag') ?? '' });
        }
        await post(`/api/catalog/videos/${videoId}/upload/complete`, { uploadId: plan.uploadId, parts });
        const completed = performance.now();
        let state = '';
        while (state !== 'ready') {
          if (performance.now() - completed > 15 * 60_000)
            throw new Error('the video did not become ready in 15 minutes');
          await new Promise((resolve) => setTimeout(resolve, 500));
          state = z
            .object({ state: z.string() })
            .parse(await (await fetch(`${url}/api/media/videos/${videoId}`)).json()).state;
          if (state === 'failed') throw new Error('the bench video failed to transcode');
        }
        const toReady = performance.now() - completed;
        rows.push({
          benchmark: this.name,
          metric: 'upload-complete → ready',
          unit: 's',
          subject: toReady / 1000,
          baseline: single / 1000,
          ratio: toReady / single,
          notes: 'baseline: the bare ladder encode above',
        });

        // The edge: one 1080p segment, with cookies, against nginx serving the same bytes.
        const playback = await post(`/api/entitlement/playback/${videoId}`, {});
        const cookie = playback.headers
          .getSetCookie()
          .map((line) => line.split(';')[0])
          .join('; ');
        const segmentDir = join(data, 'objects', 'objects', 'media', 'videos', videoId, 'hls');
        const rendition = readFileSync(join(segmentDir, '1920x1080', 'index.m3u8'), 'utf8');
        const segment = rendition.split('\n').find((line) => line.endsWith('.m4s'))!;
        const segmentUrl = `${url}/media/videos/${videoId}/hls/1920x1080/${segment}`;
        const check = await fetch(segmentUrl, { headers: { cookie } });
        if (check.status !== 200) throw new Error(`the edge answered ${check.status} for a segment`);
        const segmentBytes = (await check.arrayBuffer()).byteLength;
        const nginxRoot = join(work, 'nginx-root');
        mkdirSync(nginxRoot, { recursive: true });
        writeFileSync(join(nginxRoot, 'probe.txt'), 'ok');
        copyFileSync(join(segmentDir, '1920x1080', segment), join(nginxRoot, segment));
        // nginx's workers run as another user: the folders and the file must be readable to it.
        for (const path of [work, nginxRoot]) chmodSync(path, 0o755);
        chmodSync(join(nginxRoot, segment), 0o644);
        const drive = async (target: string, headers: Record<string, string> = {}) =>
          (await loadWithWrk({ url: target, headers, connections: 50, durationSec: 5 })) ??
          (await load({ url: target, headers, connections: 50, durationSec: 5 }));
        const edge = await drive(segmentUrl, { cookie });
        const nginx = await startNginx(nginxRoot);
        if (nginx) {
          try {
            const baseline = await drive(`http://127.0.0.1:${nginx.port}/${segment}`);
            const rate = (load: HttpLoad & { bytesPerSec?: number }) =>
              load.bytesPerSec ? ` (${Math.round(load.bytesPerSec / 1024 ** 2)} MiB/s)` : '';
            rows.push({
              benchmark: this.name,
              metric: `edge segment requests (${Math.round(segmentBytes / 1024)} KiB)`,
              unit: 'req/s',
              subject: edge.rps,
              baseline: baseline.rps,
              ratio: edge.rps / baseline.rps,
              target: '>= 0.8',
              notes: `edge${rate(edge)} vs nginx${rate(baseline)}; p99 ${edge.p99} ms vs ${baseline.p99} ms; errors ${edge.errors}/${baseline.errors}`,
            });
          } finally {
            nginx.child.kill('SIGTERM');
            rmSync(nginx.prefix, { recursive: true, force: true });
          }
        } else {
          rows.push({
            benchmark: this.name,
            metric: 'edge segment requests',
            unit: 'req/s',
            subject: edge.rps,
            baseline: NaN,
            ratio: NaN,
            notes: 'nginx not installed (apt-get install nginx-light) — no baseline',
          });
        }
      } finally {
        await stop(server);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return rows;
  },
};
