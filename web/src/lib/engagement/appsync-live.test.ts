import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectAppSync } from './appsync-live';

/** A WebSocket stand-in answering as AppSync Events' real-time endpoint does. */
class FakeSocket extends EventTarget {
  static all: FakeSocket[] = [];
  sent: Record<string, unknown>[] = [];
  closed = false;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    super();
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.dispatchEvent(new Event('close'));
  }
  open() {
    this.dispatchEvent(new Event('open'));
  }
  receive(message: unknown) {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
}

const live = {
  kind: 'appsync' as const,
  httpHost: 'abc.appsync-api.ap-northeast-1.amazonaws.com',
  realtimeHost: 'abc.appsync-realtime-api.ap-northeast-1.amazonaws.com',
  apiKey: 'da2-viewerkey',
};

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

function connect() {
  const counts: number[] = [];
  const onReconnect = vi.fn();
  const stop = connectAppSync('01hzy3v4k8', live, {
    onCount: (count) => counts.push(count),
    onReconnect,
    WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
  });
  return { counts, onReconnect, stop };
}

/** Opens the socket and walks the handshake up to a successful subscription. */
function handshake(socket: FakeSocket) {
  socket.open();
  socket.receive({ type: 'connection_ack', connectionTimeoutMs: 300_000 });
  const subscribe = socket.sent.find((message) => message.type === 'subscribe')!;
  socket.receive({ type: 'subscribe_success', id: subscribe.id });
  return subscribe;
}

describe('live like counts from AppSync Events', () => {
  it('connects with the API key in the header subprotocol and subscribes to /likes/<id>', () => {
    const { onReconnect } = connect();
    const socket = FakeSocket.all[0]!;
    expect(socket.url).toBe(`wss://${live.realtimeHost}/event/realtime`);
    expect(socket.protocols[0]).toBe('aws-appsync-event-ws');
    const header = socket.protocols[1]!.replace(/^header-/, '')
      .replace(/-/g, '+')
      .replace(/_/g, '/');
    expect(JSON.parse(atob(header))).toEqual({ host: live.httpHost, 'x-api-key': live.apiKey });
    const subscribe = handshake(socket);
    expect(socket.sent[0]).toEqual({ type: 'connection_init' });
    expect(subscribe).toMatchObject({
      type: 'subscribe',
      channel: '/likes/01hzy3v4k8',
      authorization: { host: live.httpHost, 'x-api-key': live.apiKey },
    });
    expect(subscribe.id).toEqual(expect.any(String));
    expect(onReconnect).toHaveBeenCalledTimes(1); // a subscription carries no state: refetch it
  });

  it('passes on the counts of data messages and ignores anything else', () => {
    const { counts } = connect();
    const socket = FakeSocket.all[0]!;
    const { id } = handshake(socket);
    socket.receive({ type: 'ka' });
    socket.receive({ type: 'data', id, event: JSON.stringify({ count: 7 }) });
    socket.receive({ type: 'data', id, event: JSON.stringify({ count: -2 }) });
    socket.receive({ type: 'data', id, event: 'not json' });
    socket.receive({ type: 'data', id, event: JSON.stringify({ count: 8 }) });
    expect(counts).toEqual([7, 8]);
  });

  it('reopens after a close or a silent connection, with a growing delay, and refetches', () => {
    const { onReconnect, stop } = connect();
    handshake(FakeSocket.all[0]!);
    FakeSocket.all[0]!.close();
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(2);
    // No keep-alive within connectionTimeoutMs: the client gives the socket up.
    const second = FakeSocket.all[1]!;
    second.open();
    second.receive({ type: 'connection_ack', connectionTimeoutMs: 5000 });
    vi.advanceTimersByTime(5000);
    expect(second.closed).toBe(true);
    vi.advanceTimersByTime(2000);
    expect(FakeSocket.all).toHaveLength(3);
    handshake(FakeSocket.all[2]!);
    expect(onReconnect).toHaveBeenCalledTimes(2);
    stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(3);
  });

  it('gives a refused subscription up and tries again later', () => {
    connect();
    const socket = FakeSocket.all[0]!;
    socket.open();
    socket.receive({ type: 'connection_ack', connectionTimeoutMs: 300_000 });
    socket.receive({ type: 'subscribe_error', errors: [{ errorType: 'UnauthorizedException' }] });
    expect(socket.closed).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(2);
  });
});
