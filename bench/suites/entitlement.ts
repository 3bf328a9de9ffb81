import { z } from 'zod';
import type { Benchmark, Row } from '../lib.js';
import { load } from '../lib.js';
import { startScript, stop } from '../process.js';

const Ready = z.object({ port: z.number(), token: z.string(), videoIds: z.array(z.string()), rented: z.string() });

/**
 * `POST /api/entitlement/access` for a page of 48 titles and `POST /api/entitlement/playback/:id`
 * for a rented title (decision from the store, cookies signed), each at concurrency 50 for 5 s,
 * against a bare Hono handler replaying the same JSON (and cookies) in the same run.
 */
export const entitlementBench: Benchmark = {
  name: 'entitlement',
  async run() {
    const measure = async (kind: 'subject' | 'baseline') => {
      const { child, firstLine } = await startScript('bench/servers/entitlement-server.ts', [kind]);
      try {
        const ready = Ready.parse(JSON.parse(firstLine));
        const base = `http://127.0.0.1:${ready.port}/api/entitlement`;
        const headers = { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' };
        const access = {
          url: `${base}/access`,
          method: 'POST',
          headers,
          body: JSON.stringify({ videoIds: ready.videoIds }),
        };
        const playback = { url: `${base}/playback/${ready.rented}`, method: 'POST', headers };
        await load({ ...access, durationSec: 1, connections: 10 });
        const accessLoad = await load({ ...access, durationSec: 5, connections: 50 });
        await load({ ...playback, durationSec: 1, connections: 10 });
        const playbackLoad = await load({ ...playback, durationSec: 5, connections: 50 });
        return { access: accessLoad, playback: playbackLoad };
      } finally {
        await stop(child);
      }
    };
    const baseline = await measure('baseline');
    const subject = await measure('subject');
    const rows: Row[] = [];
    for (const route of ['access', 'playback'] as const) {
      const name = route === 'access' ? 'POST /access (48 titles)' : 'POST /playback/:id (rental)';
      const s = subject[route];
      const b = baseline[route];
      rows.push(
        {
          benchmark: this.name,
          metric: `${name} throughput`,
          unit: 'req/s',
          subject: s.rps,
          baseline: b.rps,
          ratio: s.rps / b.rps,
          notes: `c=50; errors ${s.errors}/${b.errors}`,
        },
        {
          benchmark: this.name,
          metric: `${name} p50`,
          unit: 'ms',
          subject: s.p50,
          baseline: b.p50,
          ratio: s.p50 / Math.max(b.p50, 1),
        },
        {
          benchmark: this.name,
          metric: `${name} p99`,
          unit: 'ms',
          subject: s.p99,
          baseline: b.p99,
          ratio: s.p99 / Math.max(b.p99, 1),
        },
      );
    }
    return rows;
  },
};
