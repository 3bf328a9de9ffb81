import type { LiveOptions } from './live';

/** Where browsers subscribe on AWS: the Event API's two DNS names and the subscribe-only API key. */
export interface AppSyncLive {
  kind: 'appsync';
  /** `dns.HTTP`: named in the authorization the API key travels in. */
  httpHost: string;
  /** `dns.REALTIME`: the WebSocket endpoint. */
  realtimeHost: string;
  apiKey: string;
}

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/**
 * The live like count of one video from AppSync Events, over its WebSocket protocol: connect with
 * the `aws-appsync-event-ws` subprotocol and the API key in a `header-…` subprotocol, send
 * `connection_init`, subscribe to `/likes/<videoId>` once acknowledged, and read `data` messages
 * (the event is the published JSON as a string). A socket that closes, or that hears no keep-alive
 * within `connectionTimeoutMs`, is reopened with a growing delay; after each subscription
 * `onReconnect` asks the page to refetch what it may have missed.
 */
export function connectAppSync(
  videoId: string,
  live: AppSyncLive,
  options: LiveOptions & { WebSocketImpl?: typeof WebSocket },
): () => void {
  const Socket = options.WebSocketImpl ?? WebSocket;
  const delay = options.retryDelayMs ?? ((attempt: number) => Math.min(30_000, 1000 * 2 ** attempt));
  const authorization = { host: live.httpHost, 'x-api-key': live.apiKey };
  let socket: WebSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let silence: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;

  const reopenLater = () => {
    clearTimeout(silence);
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      open();
    }, delay(attempt++));
  };

  const open = () => {
    const current = new Socket(`wss://${live.realtimeHost}/event/realtime`, [
      'aws-appsync-event-ws',
      `header-${base64url(JSON.stringify(authorization))}`,
    ]);
    socket = current;
    let timeoutMs = 300_000;
    const heard = () => {
      clearTimeout(silence);
      silence = setTimeout(() => current.close(), timeoutMs);
    };
    current.addEventListener('open', () => current.send(JSON.stringify({ type: 'connection_init' })));
    current.addEventListener('message', (event) => {
      let message: { type?: string; connectionTimeoutMs?: unknown; event?: unknown };
      try {
        message = JSON.parse(String((event as MessageEvent).data)) as typeof message;
      } catch {
        return;
      }
      heard();
      if (message.type === 'connection_ack') {
        if (typeof message.connectionTimeoutMs === 'number') timeoutMs = message.connectionTimeoutMs;
        heard();
        current.send(
          JSON.stringify({ type: 'subscribe', id: crypto.randomUUID(), channel: `/likes/${videoId}`, authorization }),
        );
      } else if (message.type === 'subscribe_success') {
        // Unlike the SSE stream, a subscription brings no current state: refetch it every time.
        attempt = 0;
        options.onReconnect?.();
      } else if (message.type === 'data' && typeof message.event === 'string') {
        try {
          const count = (JSON.parse(message.event) as { count?: unknown }).count;
          if (typeof count === 'number' && Number.isInteger(count) && count >= 0) options.onCount(count);
        } catch {
          // not a like update
        }
      } else if (message.type === 'subscribe_error' || message.type === 'connection_error') {
        current.close();
      }
    });
    current.addEventListener('close', () => {
      if (socket === current) reopenLater();
    });
  };
  open();

  return () => {
    stopped = true;
    clearTimeout(retry);
    clearTimeout(silence);
    socket?.close();
  };
}
