import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, Row } from './lib.js';
import { markdown } from './lib.js';
import { repoRoot } from './process.js';
import { coldStartBench } from './suites/cold-start.js';
import { signedInApi } from './suites/signed-in-api.js';
import { uploadBench } from './suites/upload.js';
import { mediaBench } from './suites/media.js';
import { ladderQualityBench } from './suites/ladder-quality.js';
import { ladderProcessBench } from './suites/ladder-process.js';
import { entitlementBench } from './suites/entitlement.js';
import { likesBench } from './suites/likes.js';
import { timersBench } from './suites/timers.js';
import { searchBench } from './suites/search.js';
import { backupBench } from './suites/backup.js';
import { playbackStartBench } from './suites/playback-start.js';
import { ledgerCsvBench } from './suites/ledger-csv.js';

/**
 * `npm run bench [-- name-filter]`: runs each benchmark's subject and baseline in this run, prints
 * a Markdown table of ratios and writes bench/results.json. Loopback traffic only, bounded in time.
 */
const benchmarks: Benchmark[] = [
  signedInApi,
  coldStartBench,
  entitlementBench,
  uploadBench,
  mediaBench,
  ladderQualityBench,
  ladderProcessBench,
  likesBench,
  timersBench,
  searchBench,
  backupBench,
  playbackStartBench,
  ledgerCsvBench,
];

const filter = process.argv[2]?.toLowerCase();
const rows: Row[] = [];
for (const benchmark of benchmarks) {
  if (filter && !benchmark.name.toLowerCase().includes(filter)) continue;
  process.stderr.write(`running: ${benchmark.name}\n`);
  rows.push(...(await benchmark.run()));
}
const report = markdown(rows);
process.stdout.write(report + '\n');
writeFileSync(
  join(repoRoot, 'bench', 'results.json'),
  JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n',
);
