import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Benchmark, Row } from '../lib.js';
import { repoRoot } from '../process.js';

const exec = promisify(execFile);
const PENDING = 100_000;
const BURST = 1000;

interface Figures {
  memory: number;
  restartMs: number;
  lateMs: number;
  addPerSec: number;
  pending: number;
}

const worker = async (...args: string[]) => {
  const { stdout } = await exec(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/servers/timers-worker.ts', ...args],
    { cwd: repoRoot, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Figures;
};

/**
 * The standalone Scheduler (durable SQLite timers, platform/local/timers.ts) holding 100,000
 * pending reminders, against the same number of in-memory `setTimeout`s restored from a JSON
 * snapshot (the cheapest way an in-memory scheduler could survive a restart at all). Each side
 * runs in its own process: memory held by the pending timers (RSS after a GC, less the process's
 * before), restart to the first fire of a timer that came due while down, and how late the last
 * of 1,000 timers due in the same second fires (goal: under 1 s).
 */
export const timersBench: Benchmark = {
  name: 'standalone timers',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-timers-'));
    try {
      await worker('seed-sqlite', join(dir, 'timers.db'), String(PENDING), String(BURST));
      await worker('seed-json', join(dir, 'timers.json'), String(PENDING), String(BURST));
      const s = await worker('sqlite', join(dir, 'timers.db'), String(PENDING), String(BURST));
      const b = await worker('settimeout', join(dir, 'timers.json'), String(PENDING), String(BURST));
      const mib = (bytes: number) => Math.max(bytes, 0) / 1024 ** 2;
      const row = (metric: string, unit: string, subject: number, baseline: number, extra: Partial<Row> = {}): Row => ({
        benchmark: this.name,
        metric,
        unit,
        subject,
        baseline,
        ratio: subject / baseline,
        ...extra,
      });
      return [
        row(`memory held by ${PENDING.toLocaleString('en')} pending timers`, 'MiB', mib(s.memory), mib(b.memory), {
          notes: 'RSS after GC minus before opening; SQLite keeps them on disk (page cache only)',
        }),
        row('restart to first fire (a timer due while down)', 'ms', s.restartMs, b.restartMs, {
          notes: 'baseline: parse a JSON snapshot and arm every setTimeout',
        }),
        row(`lateness of the last of ${BURST} timers due in one second`, 'ms', s.lateMs, b.lateMs, {
          goal: 'subject < 1000 ms',
        }),
        row('timers set per second', '1/s', s.addPerSec, b.addPerSec, {
          notes: 'subject: one durable commit (synchronous=FULL) per at(); baseline: in memory, nothing durable',
        }),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
