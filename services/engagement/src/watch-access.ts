import { z } from 'zod';
import { AppError } from '#shared/errors.js';

/** May the viewer watch a title now, and until when (ms since the epoch; null = no end of its own). */
export interface WatchDecision {
  canWatch: boolean;
  expiresAt: number | null;
}

/** Who asks: the viewer's id and the bearer header they called with (entitlement reads the same token). */
export interface Viewer {
  userId: string;
  authorization: string;
}

/**
 * The engagement service's port to the entitlement decision. Engagement never decides access
 * itself (one rule, one place: entitlement's `decideAccess`); it asks, as the viewer.
 */
export interface WatchAccess {
  decide(viewer: Viewer, videoIds: readonly string[]): Promise<Record<string, WatchDecision>>;
}

const Answer = z.record(z.string(), z.object({ canWatch: z.boolean(), expiresAt: z.string().nullable() }).loose());

/** The entitlement API takes at most this many ids per call. */
const BATCH = 100;

export interface EntitlementAccessOptions {
  /** The entitlement API's base, e.g. `https://api.example/api/entitlement` (no trailing slash). */
  baseUrl: string;
  /** `fetch`, or (standalone) the entitlement app's own `request` in the same process. */
  fetch?: (request: Request) => Promise<Response>;
  timeoutMs?: number;
}

/**
 * `POST <entitlement>/access` as the viewer, the public contract's own call. An entitlement API
 * that does not answer well becomes 503 `unavailable` here: a position is never stored unchecked.
 */
export function entitlementAccess({
  baseUrl,
  fetch: send = (request) => fetch(request),
  timeoutMs = 5_000,
}: EntitlementAccessOptions): WatchAccess {
  return {
    async decide(viewer, videoIds) {
      const decisions: Record<string, WatchDecision> = {};
      const ids = [...new Set(videoIds)];
      for (let start = 0; start < ids.length; start += BATCH) {
        let response: Response;
        try {
          response = await send(
            new Request(`${baseUrl}/access`, {
              method: 'POST',
              headers: {
                authorization: viewer.authorization,
                'content-type': 'application/json',
                accept: 'application/json',
              },
              body: JSON.stringify({ videoIds: ids.slice(start, start + BATCH) }),
              signal: AbortSignal.timeout(timeoutMs),
            }),
          );
        } catch {
          throw new AppError('unavailable', 'entitlement could not be asked just now');
        }
        const parsed = Answer.safeParse(response.ok ? await response.json().catch(() => undefined) : undefined);
        if (!parsed.success) throw new AppError('unavailable', `entitlement answered ${response.status}`);
        for (const [videoId, decision] of Object.entries(parsed.data)) {
          decisions[videoId] = {
            canWatch: decision.canWatch,
            expiresAt: decision.expiresAt === null ? null : Date.parse(decision.expiresAt),
          };
        }
      }
      return decisions;
    },
  };
}

export interface CachedAccessOptions {
  /** How long a decision is reused; never past the access's own end. Default 60 s. */
  ttlMs?: number;
  now?: () => number;
  /** Decisions kept at most (oldest forgotten first). */
  maxEntries?: number;
}

/**
 * Remembers decisions per (viewer, title) briefly: a player reports every ten seconds, and asking
 * entitlement each time would double the work of every report. A rental that ends inside the TTL
 * is not trusted past its end. Refusals are remembered too (a flood for a title one cannot watch
 * costs one call).
 */
export function cachedAccess(
  inner: WatchAccess,
  { ttlMs = 60_000, now = Date.now, maxEntries = 50_000 }: CachedAccessOptions = {},
): WatchAccess {
  const cache = new Map<string, { decision: WatchDecision; until: number }>();
  return {
    async decide(viewer, videoIds) {
      const at = now();
      const known: Record<string, WatchDecision> = {};
      const missing: string[] = [];
      for (const videoId of new Set(videoIds)) {
        const entry = cache.get(`${viewer.userId}/${videoId}`);
        if (entry && entry.until > at) known[videoId] = entry.decision;
        else missing.push(videoId);
      }
      if (missing.length === 0) return known;
      const fresh = await inner.decide(viewer, missing);
      for (const [videoId, decision] of Object.entries(fresh)) {
        const until = Math.min(
          at + ttlMs,
          decision.canWatch && decision.expiresAt !== null ? decision.expiresAt : Infinity,
        );
        const key = `${viewer.userId}/${videoId}`;
        cache.delete(key);
        cache.set(key, { decision, until });
        if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return { ...known, ...fresh };
    },
  };
}
