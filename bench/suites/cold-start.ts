import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { Benchmark } from '../lib.js';
import { cpuTimeMs, peakRss } from '../lib.js';
import { freePort, repoRoot, stop, waitFor200 } from '../process.js';

interface Start {
  ms: number;
  /** CPU time (user + system) the process had used when /healthz first said 200. */
  cpuMs?: number;
  rss?: number;
  /** Time to the first rendered page (`GET /`, 200), from the same start; subject only. */
  pageMs?: number;
  pageRss?: number;
}

async function coldStart(script: string, env: Record<string, string>, page: boolean): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port), KINEMA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const ms = await waitFor200(`http://127.0.0.1:${port}/healthz`, started);
    const cpuMs = child.pid ? cpuTimeMs(child.pid) : undefined;
    const rss = child.pid ? peakRss(child.pid) : undefined;
    const result: Start = { ms };
    if (cpuMs !== undefined) result.cpuMs = cpuMs;
    if (rss !== undefined) result.rss = rss;
    if (page) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      if (res.status === 200) result.pageMs = performance.now() - started;
      const pageRss = child.pid ? peakRss(child.pid) : undefined;
      if (pageRss !== undefined) result.pageRss = pageRss;
    }
    return result;
  } finally {
    await stop(child);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * Cold start of the standalone server (a fresh data folder each time, so keys, databases and the
 * issuer are created from nothing) to its first `/healthz` 200, against a bare Hono server started
 * the same way (node + tsx), then to its first rendered page (`GET /`). Median of 3, alternating.
 */
export const coldStartBench: Benchmark = {
  name: 'standalone cold start',
  async run() {
    const subject: Start[] = [];
    const baseline: Start[] = [];
    for (let i = 0; i < 3; i++) {
      baseline.push(await coldStart('bench/servers/bare-server.ts', {}, false));
      const data = mkdtempSync(join(tmpdir(), 'kinema-cold-'));
      try {
        subject.push(await coldStart('runtime/standalone/main.ts', { KINEMA_DATA: data }, true));
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    }
    const s = median(subject.map((r) => r.ms));
    const b = median(baseline.map((r) => r.ms));
    const page = median(subject.map((r) => r.pageMs ?? NaN));
    const pageRss = median(subject.map((r) => r.pageRss ?? NaN)) / 1024 ** 2;
    const sRss = median(subject.map((r) => r.rss ?? NaN)) / 1024 ** 2;
    const bRss = median(baseline.map((r) => r.rss ?? NaN)) / 1024 ** 2;
    const sCpu = median(subject.map((r) => r.cpuMs ?? NaN));
    const bCpu = median(baseline.map((r) => r.cpuMs ?? NaN));
    const all = (runs: Start[], pick: (r: Start) => number | undefined) =>
      runs.map((r) => Math.round(pick(r) ?? NaN)).join(' / ');
    return [
      {
        benchmark: this.name,
        metric: 'time to /healthz 200',
        unit: 'ms',
        subject: s,
        baseline: b,
        ratio: s / b,
        goal: '<= 2',
        notes: `runs ${all(subject, (r) => r.ms)} ms vs ${all(baseline, (r) => r.ms)} ms`,
      },
      {
        benchmark: this.name,
        metric: 'CPU (user + system) to /healthz 200',
        unit: 'ms',
        subject: sCpu,
        baseline: bCpu,
        ratio: sCpu / bCpu,
        goal: 'report',
        notes: `runs ${all(subject, (r) => r.cpuMs)} ms vs ${all(baseline, (r) => r.cpuMs)} ms; load disturbs it less than wall time`,
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
      {
        benchmark: this.name,
        metric: 'time to the first rendered page (GET / after /healthz)',
        unit: 'ms',
        subject: page,
        baseline: b,
        ratio: page / b,
        goal: 'report',
        notes: `runs ${all(subject, (r) => r.pageMs)} ms; peak RSS after it ${Math.round(pageRss)} MiB; the web build must exist (npm run bench builds it)`,
      },
    ];
  },
};
