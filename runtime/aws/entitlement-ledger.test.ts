import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoTable } from '#platform/aws/dynamo-table.js';
import type { Table, Write } from '#shared/ports/table.js';
import { paymentEntry, refundEntry } from '#services/entitlement/src/domain/ledger.js';
import { ledgerStore, paymentWrites, refundWrites } from '#services/entitlement/src/ledger.js';
import { startDynalite } from '#test/support/dynalite.js';
import type { LocalDynamo } from '#test/support/dynalite.js';

/**
 * The ledger's key design on DynamoDB itself (dynalite): the viewer's partition read newest first
 * with a cursor, the month partitions of gsi2 read across a year boundary, the provider-id
 * reference. dynalite has no transactions, so the writes the store would commit together are
 * applied one by one here; their conditions are DynamoDB's own.
 */
let dynamo: LocalDynamo;
let table: Table;

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable('entitlement');
  table = dynamoTable({ name: 'entitlement', client: dynamo.documents });
});

afterAll(async () => {
  await dynamo?.close();
});

const apply = async (writes: Write[]) => {
  for (const write of writes) {
    if ('put' in write) await table.put(write.put, write.when);
    else if ('update' in write) await table.update(write.update, write.changes, write.when);
  }
};

describe('the payments ledger on DynamoDB (dynalite)', () => {
  it('lists a viewer newest first, reads a range across months, finds payments by provider id', async () => {
    const ledger = ledgerStore(table);
    // 31 Dec 2030 23:30 in Japan is still December; 00:30 on 1 January is January.
    const times = [Date.UTC(2030, 11, 31, 14, 30), Date.UTC(2030, 11, 31, 15, 30), Date.UTC(2031, 0, 15, 3)];
    const entries = times.map((at, i) =>
      paymentEntry({ line: 'rental', userId: 'u1', providerRef: `pi_${i}`, at, amountJpy: 550, videoId: 'v1' }),
    );
    for (const entry of entries) await apply(paymentWrites(entry));
    await apply(
      paymentWrites(
        paymentEntry({ line: 'subscription', userId: 'u2', providerRef: 'in_1', at: times[1]!, amountJpy: 990 }),
      ),
    );
    // The same payment again is refused by the condition, as in the transaction.
    await expect(apply(paymentWrites(entries[0]!))).rejects.toThrow();

    const first = await ledger.ofUser('u1', { limit: 2 });
    expect(first.items.map((e) => e.providerRef)).toEqual(['pi_2', 'pi_1']);
    const rest = await ledger.ofUser('u1', { limit: 2, cursor: first.nextCursor! });
    expect(rest.items.map((e) => e.providerRef)).toEqual(['pi_0']);

    const seen: string[] = [];
    for await (const page of ledger.between(times[0]!, times[2]!, 1)) seen.push(...page.map((e) => e.providerRef));
    // `to` is exclusive; both users; the December and January partitions in order.
    expect(seen[0]).toBe('pi_0');
    expect(seen.slice(1).sort()).toEqual(['in_1', 'pi_1']);

    const paid = await ledger.byProviderRef('pi_1');
    expect(paid?.receiptNo).toBe(entries[1]!.receiptNo);
    const { refund, payment } = refundEntry(paid!, { providerRef: 'pi_1', at: times[2]! + 1 });
    await apply(refundWrites(refund, payment));
    await expect(apply(refundWrites(refund, payment))).rejects.toThrow();
    expect((await ledger.byProviderRef('pi_1'))?.status).toBe('refunded');
    expect(await ledger.receipt('u1', refund.receiptNo)).toMatchObject({ kind: 'refund', refundOf: paid!.receiptNo });
  });
});
