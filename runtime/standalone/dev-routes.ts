import { Hono } from 'hono';
import { z } from 'zod';
import { readJson } from '#shared/http/app.js';
import type { AppEnv } from '#shared/http/app.js';
import { authenticate, requireRole } from '#shared/http/auth.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import type { DevClock } from '#platform/local/dev-clock.js';

const AdvanceBody = z.object({
  advanceMs: z
    .number()
    .int()
    .positive()
    .max(366 * 24 * 3600 * 1000),
});

/**
 * `/api/_dev/*`, present only with KINEMA_DEV_CLOCK=1 and never on AWS. `POST /api/_dev/clock
 * {"advanceMs"}` (admin) moves the dev clock forward; whatever listens on the clock (the outbox
 * dispatcher, housekeeping timers marked `onClockAdvance`) runs at once.
 */
export function devRoutes(options: { clock: DevClock; verifier: TokenVerifier; maxJsonBytes: number }) {
  const app = new Hono<AppEnv>();
  app.use('*', authenticate(options.verifier));
  app.post('/clock', async (c) => {
    requireRole(c.get('principal'), 'admin');
    const { advanceMs } = await readJson(c, AdvanceBody, options.maxJsonBytes);
    const at = options.clock.advance(advanceMs);
    return c.json({ now: new Date(at).toISOString() });
  });
  return app;
}
