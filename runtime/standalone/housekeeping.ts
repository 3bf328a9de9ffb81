import type { Logger } from '#shared/log.js';
import type { LocalAdapters } from './adapters.js';
import type { WiredService } from './services.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Work the standalone runtime does by the clock, where AWS has a managed service doing it. */
export interface Timer {
  name: string;
  everyMs: number;
  run(): Promise<unknown> | unknown;
  /** Also run (and wait for) once at start. */
  atStart?: boolean;
  /** Also run whenever the dev clock is advanced: for work that comes due by the clock. */
  onClockAdvance?: boolean;
}

/**
 * The housekeeping timers, in one list. A new timer is one entry here: a name, a period and what
 * to run.
 */
export function housekeepingTimers(a: LocalAdapters, services: WiredService[], logger: Logger): Timer[] {
  return [
    {
      // Stripe renews subscriptions and retries webhooks on AWS; the sandbox does it on its tick.
      name: 'sandbox-payments',
      everyMs: MINUTE,
      run: () => a.sandbox.tick(),
      onClockAdvance: true,
    },
    {
      // S3's lifecycle rule aborts abandoned multipart uploads on AWS; DynamoDB's TTL expires items.
      name: 'sweep',
      everyMs: HOUR,
      atStart: true,
      run: async () => {
        const count = await a.objects.sweepAbandoned(24 * HOUR);
        if (count) logger.info('swept abandoned uploads', { count });
        for (const table of Object.values(a.tables)) table.sweepExpired();
      },
    },
    {
      name: 'recovery',
      everyMs: 5 * MINUTE,
      atStart: true,
      run: () => Promise.all(services.map((service) => service.recover?.())),
    },
  ];
}

export interface RunningTimers {
  /** Runs every `onClockAdvance` timer now (the dev clock moved). */
  clockMoved(): void;
  stop(): void;
}

/** Starts the timers (unref'd, so they never hold the process open); failures are logged, not thrown. */
export async function startTimers(timers: Timer[], logger: Logger): Promise<RunningTimers> {
  const run = async (timer: Timer) => {
    try {
      await timer.run();
    } catch (error) {
      logger.error('housekeeping failed', { timer: timer.name, err: error });
    }
  };
  await Promise.all(timers.filter((timer) => timer.atStart).map(run));
  const intervals = timers.map((timer) => {
    const interval = setInterval(() => void run(timer), timer.everyMs);
    interval.unref();
    return interval;
  });
  return {
    clockMoved() {
      for (const timer of timers) if (timer.onClockAdvance) void run(timer);
    },
    stop() {
      for (const interval of intervals) clearInterval(interval);
    },
  };
}
