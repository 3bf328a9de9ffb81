import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.js';
import { sentCommands } from '#test/support/aws-mock.js';
import { executionArn, executionName, stepFunctionsWorkflow } from './step-functions.js';

/**
 * Recorded-shape tests with aws-sdk-client-mock: Step Functions answers with execution ARNs and
 * dates, and its own error classes, as the service does.
 */

const MACHINE = 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:kinema-media-pipeline';
const EXECUTION = 'arn:aws:states:ap-northeast-1:123456789012:execution:kinema-media-pipeline:v1-r1';

function harness(configure: (sfn: AwsClientStub<SFNClient>) => void = () => {}) {
  const client = new SFNClient({
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
  });
  const sfn = mockClient(client);
  configure(sfn);
  const workflow = stepFunctionsWorkflow({ client, stateMachineArns: { 'media-pipeline': MACHINE } });
  return { workflow, sfn, sent: () => sentCommands(sfn) };
}

const STARTED = new Date('2030-01-01T00:00:00Z');
const alreadyExists = new ExecutionAlreadyExists({
  message:
    "Execution Already Exists: 'arn:aws:states:ap-northeast-1:123456789012:execution:kinema-media-pipeline:v1-r1'",
  $metadata: { httpStatusCode: 400 },
});
/** What DescribeExecution answers besides the fields a test sets. */
const described = { executionArn: EXECUTION, stateMachineArn: MACHINE, name: 'v1-r1', startDate: STARTED };
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
const input = { videoId: 'v1', sourceKey: 'sources/v1/source', run: 1 };

describe('stepFunctionsWorkflow.start', () => {
  it('starts the named state machine with a deterministic execution name and the input as JSON', async () => {
    const { workflow, sfn } = harness((sfn) =>
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: STARTED }),
    );
    expect(await workflow.start('media-pipeline', input, 'v1-r1')).toEqual({ executionId: EXECUTION });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'v1-r1',
      input: JSON.stringify(input),
    });
    expect(sfn.calls()).toHaveLength(1);
  });

  it('treats ExecutionAlreadyExists with the same input as the execution already started', async () => {
    const { workflow, sfn, sent } = harness((sfn) => {
      sfn.on(StartExecutionCommand).rejects(alreadyExists);
      sfn.on(DescribeExecutionCommand).resolves({ ...described, status: 'RUNNING', input: JSON.stringify(input) });
    });
    expect(await workflow.start('media-pipeline', input, 'v1-r1')).toEqual({ executionId: EXECUTION });
    expect(sent().map((entry) => entry.command)).toEqual(['StartExecutionCommand', 'DescribeExecutionCommand']);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: EXECUTION });
  });

  it('refuses a second execution of the same name with another input (conflict)', async () => {
    const { workflow } = harness((sfn) => {
      sfn.on(StartExecutionCommand).rejects(alreadyExists);
      sfn.on(DescribeExecutionCommand).resolves({
        ...described,
        status: 'SUCCEEDED',
        input: JSON.stringify({ ...input, sourceKey: 'sources/v1/other' }),
      });
    });
    expect(await codeOf(workflow.start('media-pipeline', input, 'v1-r1'))).toBe('conflict');
  });

  it('names an unnamed execution itself, and refuses an unknown workflow without calling AWS', async () => {
    const { workflow, sfn, sent } = harness((sfn) =>
      sfn.on(StartExecutionCommand).callsFake((request: { name: string }) => ({
        executionArn: executionArn(MACHINE, request.name),
        startDate: STARTED,
      })),
    );
    const { executionId } = await workflow.start('media-pipeline', input);
    const name = String(sent()[0]?.input.name);
    expect(name).toMatch(/^[0-9a-f-]{36}$/);
    expect(executionId).toBe(`${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`);
    expect(await codeOf(workflow.start('search-sync', input))).toBe('not_found');
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('passes other errors through', async () => {
    const { workflow } = harness((sfn) =>
      sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })),
    );
    await expect(workflow.start('media-pipeline', input, 'v1-r1')).rejects.toThrow(/Rate exceeded/);
  });
});

describe('stepFunctionsWorkflow.describe', () => {
  it('reads status, parsed output and "error: cause"', async () => {
    const { workflow, sfn, sent } = harness((sfn) =>
      sfn
        .on(DescribeExecutionCommand)
        .resolvesOnce({ ...described, status: 'SUCCEEDED', output: '{"published":true}' })
        .resolvesOnce({ ...described, status: 'FAILED', error: 'MediaFailed', cause: 'the reason is on the video' })
        .resolvesOnce({ ...described, status: 'PENDING_REDRIVE' })
        .resolvesOnce({ ...described, status: 'TIMED_OUT', error: 'States.Timeout' }),
    );
    expect(await workflow.describe(EXECUTION)).toEqual({ status: 'SUCCEEDED', output: { published: true } });
    expect(await workflow.describe(EXECUTION)).toEqual({
      status: 'FAILED',
      error: 'MediaFailed: the reason is on the video',
    });
    expect(await workflow.describe(EXECUTION)).toEqual({ status: 'RUNNING' });
    expect(await workflow.describe(EXECUTION)).toEqual({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(sent().every((entry) => entry.command === 'DescribeExecutionCommand')).toBe(true);
    expect(sfn).toHaveReceivedNthCommandWith(DescribeExecutionCommand, 1, { executionArn: EXECUTION });
  });

  it('maps ExecutionDoesNotExist to not_found', async () => {
    const { workflow } = harness((sfn) =>
      sfn
        .on(DescribeExecutionCommand)
        .rejects(
          new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } }),
        ),
    );
    expect(await codeOf(workflow.describe(EXECUTION))).toBe('not_found');
  });
});

describe('execution names and ARNs', () => {
  it('keeps a loggable name and maps any other deterministically to one', () => {
    expect(executionName('v1-r1')).toBe('v1-r1');
    const odd = executionName('video one/r:1');
    expect(odd).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(executionName('video one/r:1')).toBe(odd);
    expect(executionName('video one/r:2')).not.toBe(odd);
    expect(executionName('x'.repeat(200))).toHaveLength(80);
  });

  it("derives an execution's ARN from its state machine's", () => {
    expect(executionArn(MACHINE, 'v1-r1')).toBe(EXECUTION);
    expect(() => executionArn('arn:aws:lambda:ap-northeast-1:1:function:x', 'n')).toThrow(/state machine/);
  });
});
