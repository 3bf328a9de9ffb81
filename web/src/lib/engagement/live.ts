import { connectAppSync } from './appsync-live';
import type { AppSyncLive } from './appsync-live';

/**
 * The live like count of one video over server-sent events (`GET …/live`, event `likes`, data
 * `{count}`). EventSource reconnects by itself after a dropped connection, resuming with
 * `Last-Event-ID`; when the server refuses outright (the hub is full, a restart) it gives up, so
 * this reopens with a growing delay. After any reconnection `onReconnect` runs, for the page to
 * refetch what it may have missed (the viewer's own `liked`, changed in another tab).
 */
export interface LiveOptions {
  onCount(count: number): void;
  onReconnect?(): void;
  /** Injected in tests; the browser's otherwise. */
  EventSourceImpl?: typeof EventSource;
  /** Delay before reopening after the browser gave up: 1 s, 2 s, 4 s… up to 30 s. */
  retryDelayMs?(attempt: number): number;
}

const CLOSED = 2;

export function connectLive(url: string, options: LiveOptions): () => void {
  const Source = options.EventSourceImpl ?? EventSource;
  const delay = options.retryDelayMs ?? ((attempt: number) => Math.min(30_000, 1000 * 2 ** attempt));
  let source: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let dropped = false;
  let stopped = false;

  const open = () => {
    source = new Source(url);
    source.addEventListener('likes', (event) => {
      const count = (JSON.parse((event as MessageEvent<string>).data) as { count?: unknown }).count;
      if (typeof count === 'number' && Number.isInteger(count) && count >= 0) options.onCount(count);
    });
    source.addEventListener('open', () => {
      attempt = 0;
      if (dropped) options.onReconnect?.();
      dropped = false;
    });
    source.addEventListener('error', () => {
      dropped = true;
      if (source?.readyState !== CLOSED || stopped) return; // the browser is reconnecting by itself
      source.close();
      timer = setTimeout(open, delay(attempt++));
    });
  };
  open();

  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}

/** How this deployment pushes counts: the standalone server's SSE hub, or AppSync Events on AWS. */
export type LiveSource = { kind: 'sse' } | AppSyncLive;

/** Follows one video's like count from whichever source the deployment has. */
export function connectLikes(videoId: string, source: LiveSource, options: LiveOptions): () => void {
  if (source.kind === 'appsync') return connectAppSync(videoId, source, options);
  return connectLive(`/api/engagement/videos/${encodeURIComponent(videoId)}/live`, options);
}
