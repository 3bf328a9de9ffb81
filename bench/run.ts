import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, Row } from './lib.js';
import { judge, markdown, summary } from './lib.js';
import { repoRoot } from './process.js';
import { coldStartBench } from './suites/cold-start.js';
import { signedInApi } from './suites/signed-in-api.js';
import { uploadBench } from './suites/upload.js';
import { mediaBench } from './suites/media.js';
import { mediaEdgeBench } from './suites/media-edge.js';
import { ladderQualityBench } from './suites/ladder-quality.js';
import { ladderProcessBench } from './suites/ladder-process.js';
import { entitlementBench } from './suites/entitlement.js';
import { likesBench } from './suites/likes.js';
import { progressBench } from './suites/progress.js';
import { timersBench } from './suites/timers.js';
import { searchBench } from './suites/search.js';
import { backupBench } from './suites/backup.js';
import { playbackStartBench } from './suites/playback-start.js';
import { subtitlesBench } from './suites/subtitles.js';
import { growthBench } from './suites/growth.js';
import { ledgerCsvBench } from './suites/ledger-csv.js';

/**
 * `npm run bench [-- name-filter]`: runs each benchmark's subject and baseline in this run, prints
 * a Markdown table of ratios, then a summary of the goals (each row's `goal`, and whether it is
 * `met`), and writes bench/results.json. Loopback traffic only, bounded in time.
 */
const benchmarks: Benchmark[] = [
  signedInApi,
  coldStartBench,
  entitlementBench,
  growthBench,
  uploadBench,
  mediaBench,
  mediaEdgeBench,
  ladderQualityBench,
  ladderProcessBench,
  likesBench,
  progressBench,
  timersBench,
  searchBench,
  backupBench,
  playbackStartBench,
  subtitlesBench,
  ledgerCsvBench,
];

const filter = process.argv[2]?.toLowerCase();
const rows: Row[] = [];
for (const benchmark of benchmarks) {
  if (filter && !benchmark.name.toLowerCase().includes(filter)) continue;
  process.stderr.write(`running: ${benchmark.name}\n`);
  rows.push(...(await benchmark.run()).map(judge));
}
process.stdout.write(markdown(rows) + '\n\n' + summary(rows) + '\n');
// A filtered run replaces only its own benchmarks' rows; the others keep their last figures.
const resultsFile = join(repoRoot, 'bench', 'results.json');
const ran = new Set(rows.map((row) => row.benchmark));
const kept =
  filter && existsSync(resultsFile) ? previousRows(resultsFile).filter((row) => !ran.has(row.benchmark)) : [];
writeFileSync(
  resultsFile,
  JSON.stringify({ at: new Date().toISOString(), node: process.version, rows: [...kept, ...rows] }, null, 2) + '\n',
);

function previousRows(file: string): Row[] {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { rows?: Row[] };
    return Array.isArray(parsed.rows) ? parsed.rows.map(judge) : [];
  } catch {
    return [];
  }
}
