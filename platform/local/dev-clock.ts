import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Clock } from '#shared/ports/clock.js';
import { replaceFileSync } from './durable-fs.js';

export interface DevClock extends Clock {
  /** Moves time forward; the offset is saved, so a restart does not travel back in time. */
  advance(ms: number): number;
  offsetMs(): number;
  /** Called after each advance, so timers that came due can fire at once. */
  onAdvance(listener: (now: number) => void): () => void;
}

const Saved = z.object({ offsetMs: z.number().int().nonnegative() });

/**
 * The standalone dev clock (KINEMA_DEV_CLOCK=1): real time plus an offset that only grows. It
 * lets the 48-hour rental window and the 43-hour reminder be tested in seconds, not days.
 */
export function devClock(options: { file: string; base?: Clock }): DevClock {
  const base = options.base ?? { now: () => Date.now() };
  let offset = existsSync(options.file) ? Saved.parse(JSON.parse(readFileSync(options.file, 'utf8'))).offsetMs : 0;
  const listeners = new Set<(now: number) => void>();
  // Flushed before advance() answers: a clock that jumped back after a power cut would revive expired rentals.
  const save = () => replaceFileSync(options.file, JSON.stringify({ offsetMs: offset }));
  return {
    now: () => base.now() + offset,
    offsetMs: () => offset,
    advance(ms) {
      offset += ms;
      save();
      const now = base.now() + offset;
      for (const listener of listeners) listener(now);
      return now;
    },
    onAdvance(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
