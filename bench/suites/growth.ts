import { z } from 'zod';
import type { Benchmark, HttpLoad, LoadOptions, Row } from '../lib.js';
import { load } from '../lib.js';
import { startScript, stop } from '../process.js';

const SIZES = [100, 1_000, 10_000] as const;
const Ready = z.object({
  port: z.number(),
  token: z.string(),
  pages: z.array(z.array(z.string())),
  middleCursor: z.string().nullable(),
});

const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/**
 * How the catalog list and `/access` grow with the catalog: one server per size (100, 1,000 and
 * 10,000 published titles, the real apps on SQLite, entitlement's facts cache off), each route
 * driven at c=10 in 2 s slices, the sizes taking turns (3 rounds) so they share the machine's
 * moments; medians of the slices. Flat means the 10,000-title p99 stays within 2x of the 100-title one.
 */
export const growthBench: Benchmark = {
  name: 'growth',
  async run() {
    const servers = [];
    try {
      for (const size of SIZES)
        servers.push({ size, ...(await startScript('bench/servers/growth-server.ts', [String(size)])) });
      const targets = servers.map(({ size, firstLine }) => {
        const ready = Ready.parse(JSON.parse(firstLine));
        const base = `http://127.0.0.1:${ready.port}/api`;
        const headers = { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' };
        const routes: Record<string, LoadOptions> = {
          'GET /catalog/videos (first page of 24)': { url: `${base}/catalog/videos`, headers },
          'GET /catalog/videos (half-way down, cursor)': {
            url: `${base}/catalog/videos?cursor=${encodeURIComponent(ready.middleCursor ?? '')}`,
            headers,
          },
          'POST /entitlement/access (48 titles spread over the catalog)': {
            url: `${base}/entitlement/access`,
            method: 'POST',
            headers,
            body: JSON.stringify({ videoIds: ready.pages[3] }),
          },
        };
        return { size, routes };
      });
      const rows: Row[] = [];
      for (const route of Object.keys(targets[0]!.routes)) {
        const slices = new Map<number, HttpLoad[]>(SIZES.map((size) => [size, []]));
        for (const { routes } of targets) await load({ ...routes[route]!, durationSec: 1, connections: 10 });
        for (let round = 0; round < 3; round++) {
          for (const { size, routes } of targets) {
            slices.get(size)!.push(await load({ ...routes[route]!, durationSec: 2, connections: 10 }));
          }
        }
        const at = (size: number) => {
          const measured = slices.get(size)!;
          return {
            p99: middle(measured.map((m) => m.p99)),
            rps: middle(measured.map((m) => m.rps)),
            errors: measured.reduce((sum, m) => sum + m.errors, 0),
          };
        };
        const [small, mid, large] = SIZES.map(at) as [
          ReturnType<typeof at>,
          ReturnType<typeof at>,
          ReturnType<typeof at>,
        ];
        const notes = SIZES.map((size, i) => {
          const figures = [small, mid, large][i]!;
          return `${size.toLocaleString('en')}: p99 ${figures.p99} ms, ${Math.round(figures.rps)} req/s`;
        }).join('; ');
        rows.push(
          {
            benchmark: this.name,
            metric: `${route} p99, 10,000 vs 100 titles`,
            unit: 'ms',
            subject: large.p99,
            baseline: small.p99,
            ratio: large.p99 / Math.max(small.p99, 1),
            goal: '<= 2',
            notes: `${notes}; errors ${small.errors + mid.errors + large.errors}`,
          },
          {
            benchmark: this.name,
            metric: `${route} throughput, 10,000 vs 100 titles`,
            unit: 'req/s',
            subject: large.rps,
            baseline: small.rps,
            ratio: large.rps / small.rps,
            goal: '>= 0.5',
          },
        );
      }
      return rows;
    } finally {
      await Promise.all(servers.map(({ child }) => stop(child)));
    }
  },
};
