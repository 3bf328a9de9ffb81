import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { createEntitlementApp } from '#services/entitlement/src/http.js';
import { CSV_COLUMNS } from '#services/entitlement/src/admin-reports.js';
import { jstDate, paymentEntry } from '#services/entitlement/src/domain/ledger.js';
import { ledgerStore, paymentWrites } from '#services/entitlement/src/ledger.js';
import { sqliteTable } from '#platform/local/sqlite-table.js';
import type { Write } from '#shared/ports/table.js';
import { testAuth } from '#test/support/auth.js';
import type { Benchmark, Row } from '../lib.js';

const ENTRIES = 60_000;
const T0 = Date.UTC(2029, 0, 1);
const SPAN_MS = 2 * 365 * 24 * 3600 * 1000;

/**
 * The ledger CSV over two years of 60,000 payments: `GET /admin/payments.csv` streaming month by
 * month (subject) against reading every entry first and stringifying at once (baseline, what a
 * buffering export does), in this process. Figures: time to the first byte, total time, and the
 * largest heap growth seen while the export runs (sampled per chunk / per page).
 */
export const ledgerCsvBench: Benchmark = {
  name: 'ledger-csv',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'kinema-bench-ledger-'));
    const table = sqliteTable({ file: join(dir, 'entitlement.db'), now: () => T0 + SPAN_MS });
    try {
      let batch: Write[] = [];
      for (let i = 0; i < ENTRIES; i++) {
        const at = T0 + Math.floor((i / ENTRIES) * SPAN_MS);
        const entry = paymentEntry({
          line: i % 3 === 0 ? 'subscription' : 'rental',
          userId: `u${i % 997}`,
          providerRef: `pi_${i}`,
          at,
          amountJpy: i % 3 === 0 ? 990 : 440,
          videoId: i % 3 === 0 ? null : `v${i % 50}`,
          title: i % 3 === 0 ? null : `作品 ${i % 50}`,
        });
        batch.push(...paymentWrites(entry));
        if (batch.length >= 98) {
          await table.transact(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await table.transact(batch);

      const auth = await testAuth(() => T0 + SPAN_MS);
      const app = createEntitlementApp({ table, verifier: auth.verifier, clock: { now: () => T0 + SPAN_MS } });
      const headers = await auth.bearer('boss', ['admin']);
      const from = jstDate(T0);
      const to = jstDate(T0 + SPAN_MS);
      global.gc?.();

      const streamed = async () => {
        const base = process.memoryUsage().heapUsed;
        let peak = 0;
        const started = performance.now();
        const response = await app.request(`/admin/payments.csv?from=${from}&to=${to}`, { headers });
        const reader = response.body!.getReader();
        let first = 0;
        let bytes = 0;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (!first) first = performance.now() - started;
          bytes += value.byteLength;
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        }
        return { first, total: performance.now() - started, peak, bytes };
      };
      const buffered = async () => {
        const base = process.memoryUsage().heapUsed;
        let peak = 0;
        const started = performance.now();
        const all = [];
        for await (const page of ledgerStore(table).between(Date.parse(`${from}T00:00:00+09:00`), T0 + SPAN_MS * 2)) {
          all.push(...page.map((entry) => ({ ...entry, date: jstDate(Date.parse(entry.at)) })));
          peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        }
        const text = stringify(all, { header: true, bom: true, columns: [...CSV_COLUMNS] });
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
        const total = performance.now() - started;
        return { first: total, total, peak, bytes: Buffer.byteLength(text) };
      };
      await streamed(); // warm-up
      global.gc?.();
      const subject = await streamed();
      global.gc?.();
      const baseline = await buffered();
      const mb = (value: number) => Math.round((value / 1e6) * 10) / 10;
      const row = (metric: string, unit: string, s: number, b: number, notes?: string): Row => ({
        benchmark: this.name,
        metric,
        unit,
        subject: unit === 'MB' ? mb(s) : Math.round(s),
        baseline: unit === 'MB' ? mb(b) : Math.round(b),
        ratio: s / Math.max(b, 1e-9),
        ...(notes ? { notes } : {}),
      });
      return [
        row('time to first byte', 'ms', subject.first, baseline.first, `${ENTRIES} entries, 2 years`),
        row('total time', 'ms', subject.total, baseline.total, `${mb(subject.bytes)} MB of CSV`),
        row('peak heap growth', 'MB', subject.peak, baseline.peak, 'sampled per chunk / page'),
      ];
    } finally {
      table.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
