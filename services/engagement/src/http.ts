import { serviceApp } from '#shared/http/app.js';
import { authenticate } from '#shared/http/auth.js';
import type { Logger } from '#shared/log.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';

export interface EngagementDeps {
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger?: Logger;
}

/** The engagement service's routes; they arrive with the issue that needs them. */
export function createEngagementApp(deps: EngagementDeps) {
  const app = serviceApp({ logger: deps.logger });
  app.use(authenticate(deps.verifier));
  return app;
}
