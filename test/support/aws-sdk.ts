import { vi } from 'vitest';

/** Answers one SDK command from its input, as the AWS service would. */
export type SdkAnswer = (input: Record<string, unknown>) => unknown;

/**
 * Recorded-shape testing for AWS SDK v3 clients: `client.send` records each command's name and
 * input and answers from `answers` (one answer for every call, or a list used in order); a command
 * with no answer gets `{}`. Nothing leaves the process.
 */
export function recordSdkCalls(client: { send: unknown }, answers: Record<string, SdkAnswer | SdkAnswer[]> = {}) {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const queues = Object.fromEntries(Object.entries(answers).map(([name, a]) => [name, Array.isArray(a) ? [...a] : a]));
  vi.spyOn(client as { send: (...args: never[]) => unknown }, 'send').mockImplementation((async (command: {
    constructor: { name: string };
    input: object;
  }) => {
    const name = command.constructor.name;
    const input = command.input as Record<string, unknown>;
    sent.push({ command: name, input });
    const answer = queues[name];
    const next = Array.isArray(answer) ? answer.shift() : answer;
    return next ? next(input) : {};
  }) as never);
  return sent;
}
