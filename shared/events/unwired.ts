import type { Clock } from '../ports/clock.js';
import type { Table } from '../ports/table.js';

/**
 * Infra reads a service's subscription list only for its names and events (to build bus rules);
 * it never runs the handlers. These stand in for the real adapters there and fail loudly if used.
 */
const fail = (): never => {
  throw new Error('this subscription was listed without adapters (infra only); it cannot handle events');
};

export const unwiredTable: Table = {
  get: fail,
  getMany: fail,
  put: fail,
  update: fail,
  delete: fail,
  query: fail,
  transact: fail,
};

export const unwiredClock: Clock = { now: fail };
