import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VideoCreated } from '#shared/events/catalog.js';
import { newId } from '#shared/ids.js';
import type { Write } from '#shared/ports/table.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import { backupDataFolder, restoreDataFolder } from '#runtime/standalone/backup.js';
import type { Benchmark, Row } from '../lib.js';

const run = promisify(execFile);
const VIDEOS = 10_000;
const MEDIA_BYTES = 1024 ** 3;
const SEGMENT_BYTES = 4 * 1024 ** 2;
const SEGMENTS_PER_TITLE = 16;

/**
 * A data folder as a standalone site with 10,000 titles would have it: their catalog records and
 * VideoCreated events, media records and entitlement facts in the SQLite files, and 1 GiB of HLS
 * output (4 MiB segments with their sidecars) in the object store.
 */
async function makeDataFolder(dir: string): Promise<void> {
  const now = Date.now();
  const catalog = sqliteTable({ file: join(dir, 'catalog.db') });
  const media = sqliteTable({ file: join(dir, 'media.db') });
  const entitlement = sqliteTable({ file: join(dir, 'entitlement.db') });
  const ids = Array.from({ length: VIDEOS }, (_, i) => newId(now + i));
  for (let start = 0; start < VIDEOS; start += 50) {
    const batch = ids.slice(start, start + 50);
    const facts = batch.map((videoId, i) => ({
      videoId,
      title: `作品 ${start + i} — 夜明けの駅`,
      description: '終電を逃した二人が、始発までの数時間を歩く。'.repeat(8),
      cast: ['山田 花子', 'John Smith', '佐藤 一郎'],
      genres: ['ドラマ', 'ロードムービー'],
      priceJpy: 440,
      freePreview: false,
    }));
    const writes: Write[] = facts.map((fact) => ({
      put: {
        pk: `video#${fact.videoId}`,
        sk: 'video',
        gsi1pk: 'videos',
        gsi1sk: `${now}#${fact.videoId}`,
        ...fact,
        status: 'ready',
        published: true,
        createdAt: new Date(now).toISOString(),
      },
    }));
    await catalog.transact(writes, { events: facts.map((fact) => VideoCreated.create(fact, now)) });
    await media.transact(
      facts.map((fact) => ({
        put: {
          pk: `media#${fact.videoId}`,
          sk: 'state',
          state: 'ready',
          progress: 100,
          renditions: ['1080p', '720p', '480p', '360p'].map((name) => ({
            name,
            bandwidth: 5_000_000,
            codecs: 'avc1.640028,mp4a.40.2',
            playlist: `media/${fact.videoId}/hls/${name}/index.m3u8`,
          })),
        },
      })),
    );
    await entitlement.transact(
      facts.map((fact) => ({
        put: { pk: `video#${fact.videoId}`, sk: 'facts', priceJpy: fact.priceJpy, published: true, deleted: false },
      })),
    );
  }
  for (const table of [catalog, media, entitlement]) table.close();

  const segment = randomBytes(SEGMENT_BYTES);
  const segments = MEDIA_BYTES / SEGMENT_BYTES;
  for (let n = 0; n < segments; n++) {
    const key = `media/${ids[Math.floor(n / SEGMENTS_PER_TITLE)]}/hls/1080p/segment-${n % SEGMENTS_PER_TITLE}.m4s`;
    const data = join(dir, 'objects', 'objects', ...key.split('/'));
    const meta = join(dir, 'objects', 'meta', ...`${key}.json`.split('/'));
    mkdirSync(join(data, '..'), { recursive: true });
    mkdirSync(join(meta, '..'), { recursive: true });
    segment.writeUInt32BE(n, 0); // each file its own bytes
    writeFileSync(data, segment);
    writeFileSync(meta, JSON.stringify({ etag: `"${n}"`, size: SEGMENT_BYTES, mtimeMs: 0, lastModified: '' }));
  }
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ sessionSecret: randomBytes(32).toString('base64url') }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const seconds = async (task: () => Promise<unknown>) => {
  const started = performance.now();
  await task();
  return (performance.now() - started) / 1000;
};

/**
 * `kinema backup` and `kinema restore` of that folder (every file flushed to disk, every byte
 * hashed with SHA-256, databases through SQLite's online backup API) against a plain `cp -r` of the
 * same stopped folder (no flush, no checksum), in the same run. Median of 3, interleaved.
 */
export const backupBench: Benchmark = {
  name: 'standalone backup and restore',
  async run(): Promise<Row[]> {
    const root = mkdtempSync(join(tmpdir(), 'kinema-bench-backup-'));
    try {
      const data = join(root, 'data');
      mkdirSync(data);
      await makeDataFolder(data);
      const times = { backup: [] as number[], restore: [] as number[], copy: [] as number[], hashed: [] as number[] };
      let bytes = 0;
      let files = 0;
      for (let round = 0; round < 3; round++) {
        const copy = join(root, `copy-${round}`);
        const backup = join(root, `backup-${round}`);
        const restored = join(root, `restored-${round}`);
        times.copy.push(await seconds(() => run('cp', ['-r', data, copy])));
        rmSync(copy, { recursive: true, force: true });
        // The same work as a backup's checksums, with the system's tools: copy, then sha256sum every file.
        times.hashed.push(
          await seconds(() =>
            run('sh', [
              '-c',
              'cp -r "$1" "$2" && find "$2" -type f -print0 | xargs -0 sha256sum > /dev/null',
              'sh',
              data,
              copy,
            ]),
          ),
        );
        times.backup.push(
          await seconds(async () => {
            const summary = await backupDataFolder({ dataDir: data, target: backup });
            bytes = summary.bytes;
            files = summary.files;
          }),
        );
        times.restore.push(await seconds(() => restoreDataFolder({ backupDir: backup, dataDir: restored })));
        for (const dir of [copy, backup, restored]) rmSync(dir, { recursive: true, force: true });
      }
      const copy = median(times.copy);
      const notes = `${files} files, ${(bytes / 1024 ** 3).toFixed(2)} GiB, ${VIDEOS} videos' records; each flushed and SHA-256 checked; cp -r neither`;
      const row = (step: 'backup' | 'restore', baselineName: string, baseline: number): Row => {
        const subject = median(times[step]);
        return {
          benchmark: this.name,
          metric: `kinema ${step} vs ${baselineName}`,
          unit: 's',
          subject,
          baseline,
          ratio: subject / baseline,
          notes: `${notes}; ${(bytes / 1024 ** 2 / subject).toFixed(0)} MiB/s`,
        };
      };
      const hashed = median(times.hashed);
      return [
        row('backup', 'cp -r of the stopped folder', copy),
        row('restore', 'cp -r of the stopped folder', copy),
        row('backup', 'cp -r + sha256sum of every file (the same checksums)', hashed),
        row('restore', 'cp -r + sha256sum of every file (the same checksums)', hashed),
      ];
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
