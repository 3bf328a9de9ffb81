import { invalidInput } from '#shared/errors.js';
import { errorBody } from '#shared/http/app.js';
import type { LiveFeed, LiveOpenOptions, Realtime } from '#shared/ports/realtime.js';
import type { Json } from '#shared/ports/table.js';

export interface SseHubOptions {
  /** Open streams at most; the next is refused with 503 and `Retry-After`. Default 10,000. */
  maxConnections?: number;
  /** A comment line this often keeps proxies from timing the stream out. Default 15 s. */
  heartbeatMs?: number;
  /** The reconnect delay EventSource is told to use. Default 2 s. */
  retryMs?: number;
  /** Seconds a refused client is asked to wait. Default 30. */
  refusalRetryAfterSeconds?: number;
}

interface Connection {
  controller: ReadableStreamDefaultController<Uint8Array>;
  event: string;
  /** The newest frame the client has not taken yet: one slot, so a slow reader costs one frame. */
  pending: Uint8Array | undefined;
  channel: Channel;
}

interface Channel {
  name: string;
  seq: number;
  connections: Set<Connection>;
}

/** `<epoch>.<seq>`: the hub's start in base 36, then the hub's message number. */
const EVENT_ID = /^([0-9a-z]{1,12})\.(\d{1,15})$/;
const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(': keep-alive\n\n');

/**
 * The standalone runtime's Realtime adapter: an in-process hub that streams each channel to its
 * listeners as server-sent events.
 *
 * - Messages are state: a listener that cannot keep up keeps only the newest frame (one stream
 *   chunk queued plus one pending slot), so memory per connection is bounded whatever it is sent.
 * - Event ids are `<hub epoch>.<sequence>`. A reconnect whose `Last-Event-ID` is this hub's and
 *   current is not sent the state again; any other (older, another run of the server) gets the
 *   current state first. A malformed id is refused (400), not silently ignored.
 * - One timer sends heartbeats to every stream; closed clients are dropped at once.
 *
 * Hono's `streamSSE` is not used: it queues every write without a bound, and a live count must
 * drop stale frames for a slow reader rather than buffer them.
 */
export function sseHub(
  options: SseHubOptions = {},
): Realtime & LiveFeed & { readonly connections: number; close(): void } {
  const { maxConnections = 10_000, heartbeatMs = 15_000, retryMs = 2000, refusalRetryAfterSeconds = 30 } = options;
  const epoch = Date.now().toString(36);
  const channels = new Map<string, Channel>();
  let connections = 0;
  // One sequence for the whole hub: a channel dropped when its last listener left and opened again
  // never reuses a number a client may still hold.
  let sequence = 0;

  const frame = (event: string, id: string, message: Json) =>
    encoder.encode(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(message)}\n\n`);

  const send = (connection: Connection, bytes: Uint8Array) => {
    if ((connection.controller.desiredSize ?? 0) > 0) {
      connection.pending = undefined;
      connection.controller.enqueue(bytes);
    } else {
      connection.pending = bytes; // replaces an older frame the client never took
    }
  };

  const drop = (connection: Connection) => {
    const { channel } = connection;
    if (!channel.connections.delete(connection)) return;
    connections--;
    if (channel.connections.size === 0) channels.delete(channel.name);
  };

  const heartbeat = setInterval(() => {
    for (const channel of channels.values()) {
      for (const connection of channel.connections) {
        try {
          if ((connection.controller.desiredSize ?? 0) > 0) connection.controller.enqueue(HEARTBEAT);
        } catch {
          drop(connection);
        }
      }
    }
  }, heartbeatMs);
  heartbeat.unref();

  const parseLastEventId = (value: string | undefined) => {
    if (value === undefined || value === '') return undefined;
    const match = EVENT_ID.exec(value);
    if (!match) throw invalidInput('Last-Event-ID is not an id this server sent (expected <epoch>.<number>)');
    return { epoch: match[1], seq: Number(match[2]) };
  };

  return {
    get connections() {
      return connections;
    },

    async publish(channelName, message) {
      const channel = channels.get(channelName);
      if (!channel) return; // nobody listens; a newcomer is sent the current state anyway
      channel.seq = ++sequence;
      const id = `${epoch}.${channel.seq}`;
      const frames = new Map<string, Uint8Array>();
      for (const connection of channel.connections) {
        let bytes = frames.get(connection.event);
        if (!bytes) frames.set(connection.event, (bytes = frame(connection.event, id, message)));
        try {
          send(connection, bytes);
        } catch {
          drop(connection);
        }
      }
    },

    async open(channelName: string, { event, lastEventId, current, signal }: LiveOpenOptions) {
      const resume = parseLastEventId(lastEventId);
      if (connections >= maxConnections) {
        return new Response(
          JSON.stringify(errorBody('unavailable', 'too many live connections on this server; try again later')),
          {
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after': String(refusalRetryAfterSeconds) },
          },
        );
      }
      let channel = channels.get(channelName);
      if (!channel)
        channels.set(channelName, (channel = { name: channelName, seq: ++sequence, connections: new Set() }));
      const joined = channel;
      let connection!: Connection;
      const stream = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            connection = { controller, event, pending: undefined, channel: joined };
            joined.connections.add(connection);
            connections++;
            controller.enqueue(encoder.encode(`retry: ${retryMs}\n\n`));
          },
          pull() {
            if (connection.pending) {
              const bytes = connection.pending;
              connection.pending = undefined;
              connection.controller.enqueue(bytes);
            }
          },
          cancel() {
            drop(connection);
          },
        },
        { highWaterMark: 1 },
      );
      signal?.addEventListener('abort', () => {
        drop(connection);
        try {
          connection.controller.close();
        } catch {
          // already closed or errored
        }
      });

      const upToDate = resume?.epoch === epoch && resume.seq === joined.seq;
      if (!upToDate) {
        const seqBefore = joined.seq;
        try {
          const state = await current();
          // A publish during the read carried a state at least as new: do not send an older one after it.
          if (joined.seq === seqBefore) send(connection, frame(event, `${epoch}.${joined.seq}`, state));
        } catch (error) {
          drop(connection);
          throw error;
        }
      }
      return new Response(stream, {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          'x-accel-buffering': 'no',
        },
      });
    },

    close() {
      clearInterval(heartbeat);
      for (const channel of channels.values()) {
        for (const connection of channel.connections) {
          try {
            connection.controller.close();
          } catch {
            // already closed
          }
        }
      }
      channels.clear();
      connections = 0;
    },
  };
}
