import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
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

const Start = z.object({ uploadId: z.string(), parts: z.array(z.object({ partNumber: z.number(), url: z.string() })) });

/**
 * A 1 GiB upload through the local presigned-part flow (8 MiB parts, 4 in flight, as the admin
 * page sends them; parts hashed and fsynced; completion keeps them as the object's parts, no copy)
 * against writing the same bytes to disk with a plain stream. Throughput ratio and the store
 * server's peak memory.
 */
export const uploadBench: Benchmark = {
  name: 'upload 1 GiB',
  async run() {
    const baselineMs = await plainWrite();
    const { child, firstLine } = await startScript('bench/servers/store-server.ts');
    try {
      const { port } = z.object({ port: z.number() }).parse(JSON.parse(firstLine));
      const base = `http://127.0.0.1:${port}`;
      const started = performance.now();
      const plan = Start.parse(await (await fetch(`${base}/__bench/start?size=${SIZE}&partSize=${PART}`)).json());
      const etags: { partNumber: number; etag: string }[] = [];
      const queue = [...plan.parts];
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let part = queue.shift(); part; part = queue.shift()) {
            const res = await fetch(part.url, { method: 'PUT', body: partBytes(part.partNumber) });
            if (res.status !== 200) throw new Error(`part ${part.partNumber}: ${res.status}`);
            etags.push({ partNumber: part.partNumber, etag: res.headers.get('etag') ?? '' });
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
      const subjectMs = performance.now() - started;
      const { peakRss } = z
        .object({ peakRss: z.number().optional() })
        .parse(await (await fetch(`${base}/__bench/rss`)).json());
      const mibPerSecond = (ms: number) => SIZE / MiB / (ms / 1000);
      return [
        {
          benchmark: this.name,
          metric: 'throughput',
          unit: 'MiB/s',
          subject: mibPerSecond(subjectMs),
          baseline: mibPerSecond(baselineMs),
          ratio: baselineMs / subjectMs,
          goal: '>= 0.7',
          notes: `${SIZE / MiB} MiB, ${PARALLEL} parts in flight; parts ${Math.round(partsMs)} ms + complete ${Math.round(subjectMs - partsMs)} ms`,
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
      await stop(child);
    }
  },
};
