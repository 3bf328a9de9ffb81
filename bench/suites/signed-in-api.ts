import { z } from 'zod';
import type { Benchmark, Row } from '../lib.js';
import { load, loadInterleaved } from '../lib.js';
import { startScript, stop } from '../process.js';

const Ready = z.object({ port: z.number(), token: z.string() });

/**
 * A signed-in API call (`GET /api/entitlement/me`: RS256 token verified, one Table query on SQLite)
 * against a bare Hono handler returning the same JSON, each in its own process, 50 connections,
 * in alternating 2 s slices (5 each) so both sides see the same machine; medians of the slices.
 */
export const signedInApi: Benchmark = {
  name: 'signed-in API call',
  async run() {
    const subject = await startScript('bench/servers/api-server.ts', ['subject']);
    const baseline = await startScript('bench/servers/api-server.ts', ['baseline']);
    try {
      const target = (line: string) => {
        const { port, token } = Ready.parse(JSON.parse(line));
        return { url: `http://127.0.0.1:${port}/api/entitlement/me`, headers: { authorization: `Bearer ${token}` } };
      };
      const s = target(subject.firstLine);
      const b = target(baseline.firstLine);
      // Warm-up (JIT, SQLite cache), then the measured slices.
      await load({ ...b, durationSec: 1, connections: 10 });
      await load({ ...s, durationSec: 1, connections: 10 });
      const measured = await loadInterleaved(s, b);
      const notes = `errors ${measured.subject.errors}/${measured.baseline.errors}; slice ratios ${measured.ratios.map((r) => r.toFixed(2)).join(' ')}`;
      const rows: Row[] = [
        {
          benchmark: this.name,
          metric: 'requests per second',
          unit: 'req/s',
          subject: measured.subject.rps,
          baseline: measured.baseline.rps,
          ratio: measured.subject.rps / measured.baseline.rps,
          goal: '>= 0.5',
          notes,
        },
        {
          benchmark: this.name,
          metric: 'p50 latency',
          unit: 'ms',
          subject: measured.subject.p50,
          baseline: measured.baseline.p50,
          ratio: measured.subject.p50 / Math.max(measured.baseline.p50, 1),
        },
        {
          benchmark: this.name,
          metric: 'p99 latency',
          unit: 'ms',
          subject: measured.subject.p99,
          baseline: measured.baseline.p99,
          ratio: measured.subject.p99 / Math.max(measured.baseline.p99, 1),
        },
      ];
      return rows;
    } finally {
      await Promise.all([stop(subject.child), stop(baseline.child)]);
    }
  },
};
