/**
 * A process that commits an order and its event, then dies by SIGKILL at one of three points:
 *   commit   right after the commit, before any dispatcher ran
 *   relay    after the dispatcher made the deliveries durable, before it marked the outbox relayed
 *   handled  after the subscriber ran and its inbox was written, before the delivery was marked done
 * Usage: node --import tsx platform/local/crash-fixture.ts <commit|relay|handled> <dir> <event id>
 */
import { createDispatcher } from './dispatcher.js';
import { CrashTested, crashFiles, crashSubscription } from './crash-fixture-subscription.js';
import { sqliteTable, type SqliteTable } from './sqlite-table.js';

const [point, dir, eventId] = process.argv.slice(2);
if (!point || !dir || !eventId) throw new Error('usage: crash-fixture.ts <commit|relay|handled> <dir> <event id>');
const files = crashFiles(dir);
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

const source = sqliteTable({ file: files.source });
await source.transact([{ put: { pk: 'order#1', sk: 'meta', state: 'placed' }, when: [{ kind: 'notExists' }] }], {
  events: [CrashTested.create({ orderId: '1' }, Date.now(), eventId)],
});
if (point === 'commit') die();

const inbox = sqliteTable({ file: files.inbox });
const sourceThatDies: SqliteTable = { ...source, outbox: { ...source.outbox, markRelayed: die } };
const inboxThatDies: SqliteTable = {
  ...inbox,
  async put(item, when) {
    await inbox.put(item, when);
    die();
  },
};
const dispatcher = createDispatcher({
  file: files.bus,
  sources: [{ name: 'source', table: point === 'relay' ? sourceThatDies : source }],
  subscriptions: [{ subscription: crashSubscription(dir), inbox: point === 'handled' ? inboxThatDies : inbox }],
  now: Date.now,
});
await dispatcher.drain();
throw new Error(`the fixture should have died at ${point}`);
