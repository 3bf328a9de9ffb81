/** AppSync Events on AWS; an SSE hub standalone. */
export interface Realtime {
  publish(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, listener: (message: unknown) => void): () => void;
}
