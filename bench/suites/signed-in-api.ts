import { z } from 'zod';
import type { Benchmark, Row } from '../lib.js';
import { load } from '../lib.js';
import { startScript, stop } from '../process.js';

const Ready = z.object({ port: z.number(), token: z.string() });

/**
 * A signed-in API call (`GET /api/entitlement/me`: RS256 token verified, one Table query) against
 * a bare Hono handler returning the same JSON, each in its own process, 50 connections, 5 s.
 */
export const signedInApi: Benchmark = {
  name: 'signed-in API call',
  async run() {
    const measure = async (kind: 'subject' | 'baseline') => {
      const { child, firstLine } = await startScript('bench/servers/api-server.ts', [kind]);
      try {
        const { port, token } = Ready.parse(JSON.parse(firstLine));
        const url = `http://127.0.0.1:${port}/api/entitlement/me`;
        const headers = { authorization: `Bearer ${token}` };
        await load({ url, headers, durationSec: 1, connections: 10 }); // warm-up (JIT, SQLite cache)
        return await load({ url, headers, durationSec: 5, connections: 50 });
      } finally {
        await stop(child);
      }
    };
    const baseline = await measure('baseline');
    const subject = await measure('subject');
    const notes = `errors ${subject.errors}/${baseline.errors}`;
    const rows: Row[] = [
      {
        benchmark: this.name,
        metric: 'requests per second',
        unit: 'req/s',
        subject: subject.rps,
        baseline: baseline.rps,
        ratio: subject.rps / baseline.rps,
        notes,
      },
      {
        benchmark: this.name,
        metric: 'p50 latency',
        unit: 'ms',
        subject: subject.p50,
        baseline: baseline.p50,
        ratio: subject.p50 / Math.max(baseline.p50, 1),
      },
      {
        benchmark: this.name,
        metric: 'p99 latency',
        unit: 'ms',
        subject: subject.p99,
        baseline: baseline.p99,
        ratio: subject.p99 / Math.max(baseline.p99, 1),
      },
    ];
    return rows;
  },
};
