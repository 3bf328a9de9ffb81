import { z } from 'zod';
import type { Benchmark, Row } from '../lib.js';
import { load, loadInterleaved } from '../lib.js';
import { startScript, stop } from '../process.js';

const Ready = z.object({ port: z.number(), token: z.string(), videoIds: z.array(z.string()), rented: z.string() });

/**
 * `POST /api/entitlement/access` for a page of 48 titles and `POST /api/entitlement/playback/:id`
 * for a rented title (decision from the store, cookies signed), at concurrency 50, against a bare
 * Hono handler replaying the same JSON (and cookies). Both servers run at once and are driven in
 * alternating 2 s slices (5 each), so both sides see the same machine; medians of the slices.
 */
export const entitlementBench: Benchmark = {
  name: 'entitlement',
  async run() {
    const subject = await startScript('bench/servers/entitlement-server.ts', ['subject']);
    const baseline = await startScript('bench/servers/entitlement-server.ts', ['baseline']);
    try {
      const targets = (line: string) => {
        const ready = Ready.parse(JSON.parse(line));
        const base = `http://127.0.0.1:${ready.port}/api/entitlement`;
        const headers = { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' };
        return {
          access: {
            url: `${base}/access`,
            method: 'POST',
            headers,
            body: JSON.stringify({ videoIds: ready.videoIds }),
          },
          playback: { url: `${base}/playback/${ready.rented}`, method: 'POST', headers },
        };
      };
      const s = targets(subject.firstLine);
      const b = targets(baseline.firstLine);
      const rows: Row[] = [];
      for (const route of ['access', 'playback'] as const) {
        await load({ ...b[route], durationSec: 1, connections: 10 });
        await load({ ...s[route], durationSec: 1, connections: 10 });
        const measured = await loadInterleaved(s[route], b[route]);
        const name = route === 'access' ? 'POST /access (48 titles)' : 'POST /playback/:id (rental)';
        const sub = measured.subject;
        const base = measured.baseline;
        rows.push(
          {
            benchmark: this.name,
            metric: `${name} throughput`,
            unit: 'req/s',
            subject: sub.rps,
            baseline: base.rps,
            ratio: sub.rps / base.rps,
            goal: '>= 0.5',
            notes: `c=50; errors ${sub.errors}/${base.errors}; slice ratios ${measured.ratios.map((r) => r.toFixed(2)).join(' ')}`,
          },
          {
            benchmark: this.name,
            metric: `${name} p50`,
            unit: 'ms',
            subject: sub.p50,
            baseline: base.p50,
            ratio: sub.p50 / Math.max(base.p50, 1),
          },
          {
            benchmark: this.name,
            metric: `${name} p99`,
            unit: 'ms',
            subject: sub.p99,
            baseline: base.p99,
            ratio: sub.p99 / Math.max(base.p99, 1),
          },
        );
      }
      return rows;
    } finally {
      await Promise.all([stop(subject.child), stop(baseline.child)]);
    }
  },
};
