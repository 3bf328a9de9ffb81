import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defineEvent } from '#shared/events/define.js';
import { subscribe } from '#shared/events/subscribe.js';

/** Shared by the crash fixture (a child process) and the dispatcher test that inspects its files. */
export const CrashTested = defineEvent('catalog', 'CrashTested', z.object({ orderId: z.string() }));

export const crashFiles = (dir: string) => ({
  source: join(dir, 'source.db'),
  bus: join(dir, 'bus.db'),
  inbox: join(dir, 'inbox.db'),
  /** One line per handler run: the observable side effect that must happen exactly once. */
  handled: join(dir, 'handled.log'),
});

export const crashSubscription = (dir: string) =>
  subscribe('crash.test', CrashTested, async (detail, envelope) => {
    appendFileSync(crashFiles(dir).handled, `${envelope.id} ${detail.orderId}\n`);
  });
