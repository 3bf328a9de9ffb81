import type { Json } from './table.js';

/**
 * Push to every viewer of a channel (`likes/<videoId>`). Publishing is the service's side; who
 * listens, and how, is the runtime's: browsers subscribe to AppSync Events over its WebSocket
 * protocol on AWS, and to the standalone server's SSE hub (`LiveFeed`) locally.
 *
 * Messages are state, not a log: a listener that misses one is brought up to date by the next,
 * so adapters may drop intermediate messages for a slow listener but never reorder them.
 */
export interface Realtime {
  /** Resolves when the message is accepted for delivery (AWS: the `/event` endpoint answered). */
  publish(channel: string, message: Json): Promise<void>;
}

export interface LiveOpenOptions {
  /** The SSE `event:` name the messages go out under (e.g. `likes`). */
  event: string;
  /** The browser's `Last-Event-ID` on a reconnect; the feed refuses a malformed one (invalid_input). */
  lastEventId?: string;
  /** The channel's current state, sent first unless `lastEventId` shows the listener already has it. */
  current: () => Promise<Json>;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
}

/**
 * The standalone hub's listening side: an HTTP response streaming a channel as server-sent events,
 * or a 503 `unavailable` with `Retry-After` when the hub is full.
 */
export interface LiveFeed {
  open(channel: string, options: LiveOpenOptions): Promise<Response>;
}
