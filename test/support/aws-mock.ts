import type { AwsStub } from 'aws-sdk-client-mock';

/**
 * The commands a client mocked with `aws-sdk-client-mock` received, in order, as
 * `{command, input}`: for tests that assert the exact sequence across command types (the
 * library's matchers, registered in test/support/vitest-setup.ts, assert one command at a time).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sentCommands(mock: AwsStub<any, any, any>): { command: string; input: Record<string, unknown> }[] {
  return mock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
    return { command: command.constructor.name, input: command.input };
  });
}
