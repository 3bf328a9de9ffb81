import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { z } from 'zod';
import type { Benchmark } from '../lib.js';
import { startScript, stop } from '../process.js';

const MiB = 1024 ** 2;
const SIZE = Number(process.env.BENCH_UPLOAD_BYTES ?? 1024 * MiB);
const PART = 8 * MiB;
const PARALLEL = 4;
/** Baseline and upload alternate this many times; each side keeps its best (the least disturbed) run. */
const ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 2);

/** The bytes of part n: one random 8 MiB block, reused, so generating input costs nothing. */
const block = randomBytes(PART);
const partBytes = (partNumber: number) => {
  const start = (partNumber - 1) * PART;
  return block.subarray(0, Math.min(PART, SIZE - start));
};

/** Baseline: the same bytes written to local disk with a plain stream, flushed to disk at the end. */
async function plainWrite(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-plain-'));
  const file = join(dir, 'plain.bin');
  try {
    const started = performance.now();
    const out = createWriteStream(file);
    for (let n = 1; (n - 1) * PART < SIZE; n++) {
      if (!out.write(partBytes(n))) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const handle = await open(file, 'r+');
    await handle.sync();
    await handle.close();
    return performance.now() - started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One part PUT with node:http on a keep-alive agent. The admin's browser sends from another
 * machine; here the sender shares the server's two cores, and undici's fetch spent about 3.5 s of
 * CPU per GiB sent, so the bench uses the lighter client (the server sees the same requests).
 */
function putPart(agent: Agent, url: string, body: Buffer): Promise<{ status: number; etag: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent, headers: { 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: String(res.headers.etag ?? '') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const Start = z.object({ uploadId: z.string(), parts: z.array(z.object({ partNumber: z.number(), url: z.string() })) });
const Stats = z.object({ peakRss: z.number().optional(), cpuMs: z.number() });
const stats = async (base: string) => Stats.parse(await (await fetch(`${base}/__bench/rss`)).json());

interface UploadRun {
  ms: number;
  partsMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
}

/** One 1 GiB upload through the store server at `base`: start, parts (4 in flight), complete. */
async function upload(base: string, agent: Agent): Promise<UploadRun> {
  const serverBefore = (await stats(base)).cpuMs;
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const plan = Start.parse(await (await fetch(`${base}/__bench/start?size=${SIZE}&partSize=${PART}`)).json());
  const etags: { partNumber: number; etag: string }[] = [];
  const queue = [...plan.parts];
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let part = queue.shift(); part; part = queue.shift()) {
        const res = await putPart(agent, part.url, partBytes(part.partNumber));
        if (res.status !== 200) throw new Error(`part ${part.partNumber}: ${res.status}`);
        etags.push({ partNumber: part.partNumber, etag: res.etag });
      }
    }),
  );
  etags.sort((a, b) => a.partNumber - b.partNumber);
  const partsMs = performance.now() - started;
  const done = await fetch(`${base}/__bench/complete`, {
    method: 'POST',
    body: JSON.stringify({ uploadId: plan.uploadId, parts: etags }),
  });
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
  const ms = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  return {
    ms,
    partsMs,
    serverCpuMs: (await stats(base)).cpuMs - serverBefore,
    clientCpuMs: (client.user + client.system) / 1000,
  };
}

/**
 * A 1 GiB upload through the local presigned-part flow (8 MiB parts, 4 in flight, as the admin
 * page sends them; parts hashed and fsynced; completion keeps them as the object's parts, no copy)
 * against writing the same bytes to disk with a plain stream. Throughput ratio and the store
 * server's peak memory. The two alternate `ROUNDS` times and each keeps its fastest run: on a
 * shared machine the slow runs measure the neighbours.
 */
export const uploadBench: Benchmark = {
  name: 'upload 1 GiB',
  async run() {
    const { child, firstLine } = await startScript('bench/servers/store-server.ts');
    const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
    try {
      const { port } = z.object({ port: z.number() }).parse(JSON.parse(firstLine));
      const base = `http://127.0.0.1:${port}`;
      const baselines: number[] = [];
      const runs: UploadRun[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        baselines.push(await plainWrite());
        runs.push(await upload(base, agent));
      }
      const baselineMs = Math.min(...baselines);
      const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      const { peakRss } = await stats(base);
      const mibPerSecond = (ms: number) => SIZE / MiB / (ms / 1000);
      return [
        {
          benchmark: this.name,
          metric: 'throughput',
          unit: 'MiB/s',
          subject: mibPerSecond(best.ms),
          baseline: mibPerSecond(baselineMs),
          ratio: baselineMs / best.ms,
          goal: '>= 0.7',
          notes:
            `${SIZE / MiB} MiB, ${PARALLEL} parts in flight, best of ${ROUNDS}: parts ${Math.round(best.partsMs)} ms + ` +
            `complete ${Math.round(best.ms - best.partsMs)} ms; CPU server ${Math.round(best.serverCpuMs)} ms, ` +
            `client ${Math.round(best.clientCpuMs)} ms; all runs ${runs.map((r) => Math.round(r.ms)).join('/')} ms ` +
            `vs baseline ${baselines.map(Math.round).join('/')} ms`,
        },
        {
          benchmark: this.name,
          metric: 'store server peak RSS',
          unit: 'MiB',
          subject: (peakRss ?? NaN) / MiB,
          baseline: 200,
          ratio: (peakRss ?? NaN) / MiB / 200,
          goal: 'subject < 200 MiB',
        },
      ];
    } finally {
      agent.destroy();
      await stop(child);
    }
  },
};
