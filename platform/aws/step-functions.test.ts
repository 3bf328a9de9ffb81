import { ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { AppError } from '#shared/errors.js';
import { executionArn, executionName, stepFunctionsWorkflow } from './step-functions.js';
import { recordSdkCalls } from '#test/support/aws-sdk.js';
import type { SdkAnswer } from '#test/support/aws-sdk.js';

/** Recorded-shape tests: `client.send` records each command and answers what Step Functions would. */
type Answer = SdkAnswer;

const MACHINE = 'arn:aws:states:ap-northeast-1:123456789012:stateMachine:kinema-media-pipeline';
const EXECUTION = 'arn:aws:states:ap-northeast-1:123456789012:execution:kinema-media-pipeline:v1-r1';

function harness(answers: Record<string, Answer | Answer[]> = {}) {
  const client = new SFNClient({
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret' },
  });
  const sent = recordSdkCalls(client, answers);
  const workflow = stepFunctionsWorkflow({ client, stateMachineArns: { 'media-pipeline': MACHINE } });
  return { workflow, sent };
}

const alreadyExists = () => {
  throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } });
};
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );
const input = { videoId: 'v1', sourceKey: 'sources/v1/source', run: 1 };

describe('stepFunctionsWorkflow.start', () => {
  it('starts the named state machine with a deterministic execution name and the input as JSON', async () => {
    const { workflow, sent } = harness({
      StartExecutionCommand: () => ({ executionArn: EXECUTION, startDate: new Date() }),
    });
    expect(await workflow.start('media-pipeline', input, 'v1-r1')).toEqual({ executionId: EXECUTION });
    expect(sent).toEqual([
      {
        command: 'StartExecutionCommand',
        input: { stateMachineArn: MACHINE, name: 'v1-r1', input: JSON.stringify(input) },
      },
    ]);
  });

  it('treats ExecutionAlreadyExists with the same input as the execution already started', async () => {
    const { workflow, sent } = harness({
      StartExecutionCommand: alreadyExists,
      DescribeExecutionCommand: () => ({
        executionArn: EXECUTION,
        status: 'RUNNING',
        input: JSON.stringify(input),
      }),
    });
    expect(await workflow.start('media-pipeline', input, 'v1-r1')).toEqual({ executionId: EXECUTION });
    expect(sent.map((entry) => entry.command)).toEqual(['StartExecutionCommand', 'DescribeExecutionCommand']);
    expect(sent[1]?.input).toEqual({ executionArn: EXECUTION });
  });

  it('refuses a second execution of the same name with another input (conflict)', async () => {
    const { workflow } = harness({
      StartExecutionCommand: alreadyExists,
      DescribeExecutionCommand: () => ({
        executionArn: EXECUTION,
        status: 'SUCCEEDED',
        input: JSON.stringify({ ...input, sourceKey: 'sources/v1/other' }),
      }),
    });
    expect(await codeOf(workflow.start('media-pipeline', input, 'v1-r1'))).toBe('conflict');
  });

  it('names an unnamed execution itself, and refuses an unknown workflow without calling AWS', async () => {
    const { workflow, sent } = harness({ StartExecutionCommand: () => ({ executionArn: EXECUTION }) });
    await workflow.start('media-pipeline', input);
    expect(sent[0]?.input.name).toMatch(/^[0-9a-f-]{36}$/);
    expect(await codeOf(workflow.start('search-sync', input))).toBe('not_found');
    expect(sent).toHaveLength(1);
  });

  it('passes other errors through', async () => {
    const { workflow } = harness({
      StartExecutionCommand: () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    });
    await expect(workflow.start('media-pipeline', input, 'v1-r1')).rejects.toThrow(/Rate exceeded/);
  });
});

describe('stepFunctionsWorkflow.describe', () => {
  it('reads status, parsed output and "error: cause"', async () => {
    const { workflow, sent } = harness({
      DescribeExecutionCommand: [
        () => ({ executionArn: EXECUTION, status: 'SUCCEEDED', output: '{"published":true}' }),
        () => ({
          executionArn: EXECUTION,
          status: 'FAILED',
          error: 'MediaFailed',
          cause: 'the reason is on the video',
        }),
        () => ({ executionArn: EXECUTION, status: 'PENDING_REDRIVE' }),
        () => ({ executionArn: EXECUTION, status: 'TIMED_OUT', error: 'States.Timeout' }),
      ],
    });
    expect(await workflow.describe(EXECUTION)).toEqual({ status: 'SUCCEEDED', output: { published: true } });
    expect(await workflow.describe(EXECUTION)).toEqual({
      status: 'FAILED',
      error: 'MediaFailed: the reason is on the video',
    });
    expect(await workflow.describe(EXECUTION)).toEqual({ status: 'RUNNING' });
    expect(await workflow.describe(EXECUTION)).toEqual({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(sent.every((entry) => entry.command === 'DescribeExecutionCommand')).toBe(true);
    expect(sent[0]?.input).toEqual({ executionArn: EXECUTION });
  });

  it('maps ExecutionDoesNotExist to not_found', async () => {
    const { workflow } = harness({
      DescribeExecutionCommand: () => {
        throw new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: { httpStatusCode: 400 } });
      },
    });
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
