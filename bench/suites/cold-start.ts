import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Benchmark } from '../lib.js';
import { peakRss } from '../lib.js';
import { freePort, repoRoot, stop, waitFor200 } from '../process.js';

async function coldStart(script: string, env: Record<string, string>): Promise<{ ms: number; rss?: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port), KINEMA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const ms = await waitFor200(`http://127.0.0.1:${port}/healthz`, started);
    const rss = child.pid ? peakRss(child.pid) : undefined;
    return rss === undefined ? { ms } : { ms, rss };
  } finally {
    await stop(child);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * Cold start of the standalone server (a fresh data folder each time, so keys, databases and the
 * issuer are created from nothing) to its first `/healthz` 200, against a bare Hono server started
 * the same way (node + tsx). Median of 3.
 */
export const coldStartBench: Benchmark = {
  name: 'standalone cold start',
  async run() {
    const subject: { ms: number; rss?: number }[] = [];
    const baseline: { ms: number; rss?: number }[] = [];
    for (let i = 0; i < 3; i++) {
      baseline.push(await coldStart('bench/servers/bare-server.ts', {}));
      const data = mkdtempSync(join(tmpdir(), 'kinema-cold-'));
      try {
        subject.push(await coldStart('runtime/standalone/main.ts', { KINEMA_DATA: data }));
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    }
    const s = median(subject.map((r) => r.ms));
    const b = median(baseline.map((r) => r.ms));
    const sRss = median(subject.map((r) => r.rss ?? NaN)) / 1024 ** 2;
    const bRss = median(baseline.map((r) => r.rss ?? NaN)) / 1024 ** 2;
    return [
      {
        benchmark: this.name,
        metric: 'time to /healthz 200',
        unit: 'ms',
        subject: s,
        baseline: b,
        ratio: s / b,
        goal: '<= 2',
      },
      {
        benchmark: this.name,
        metric: 'peak RSS at ready',
        unit: 'MiB',
        subject: sRss,
        baseline: bRss,
        ratio: sRss / bRss,
        goal: 'subject <= 150 MiB',
      },
    ];
  },
};
