import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import { createHash, randomUUID } from 'node:crypto';
import { conflict, notFound } from '#shared/errors.js';
import type { ExecutionStatus, Workflow } from '#shared/ports/workflow.js';

export interface StepFunctionsWorkflowOptions {
  client: SFNClient;
  /** The deployed state machine of each workflow name (e.g. `media-pipeline` → its ARN). */
  stateMachineArns: Record<string, string>;
}

/**
 * Step Functions keeps execution names for 90 days and logs only names of [A-Za-z0-9_-]; a name
 * outside that (or longer than 80) is mapped to one that is, deterministically, so the same
 * request always names the same execution.
 */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
export function executionName(name: string): string {
  if (SAFE_NAME.test(name)) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 67)}-${digest}`;
}

/** arn:aws:states:<region>:<account>:stateMachine:<machine> → …:execution:<machine>:<name>. */
export function executionArn(stateMachineArn: string, name: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') {
    throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  }
  parts[5] = 'execution';
  return [...parts, name].join(':');
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

/** Step Functions' statuses on the port's; a redrive that is pending will run again. */
function statusOf(status: DescribeExecutionCommandOutput['status']): ExecutionStatus {
  switch (status) {
    case 'SUCCEEDED':
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED':
      return status;
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return 'RUNNING';
    default:
      throw new Error(`Step Functions reported an unknown execution status ${String(status)}`);
  }
}

function parseOutput(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The Workflow port on Step Functions. `start` names the execution (`executionName`), so a
 * repeated start of the same run is the same execution: Step Functions answers a repeat with the
 * same name and input itself while it runs, and with ExecutionAlreadyExists once it has ended or
 * when the input differs; the adapter then looks the execution up and returns it when the input
 * is the same (already started), or refuses with `conflict`. The execution id is its ARN.
 */
export function stepFunctionsWorkflow(options: StepFunctionsWorkflowOptions): Workflow {
  const { client, stateMachineArns } = options;

  const describe = async (arn: string) => {
    try {
      return await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') throw notFound(`execution ${arn}`);
      throw error;
    }
  };

  return {
    async start(name, input, requestedName) {
      const stateMachineArn = stateMachineArns[name];
      if (!stateMachineArn) throw notFound(`workflow ${name}`);
      const runName = executionName(requestedName ?? randomUUID());
      const inputText = JSON.stringify(input ?? {});
      try {
        const out = await client.send(new StartExecutionCommand({ stateMachineArn, name: runName, input: inputText }));
        if (!out.executionArn) throw new Error('Step Functions returned no execution ARN');
        return { executionId: out.executionArn };
      } catch (error) {
        if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
        const arn = executionArn(stateMachineArn, runName);
        const existing = await describe(arn);
        if (existing.input !== undefined && existing.input !== inputText) {
          throw conflict(`execution ${runName} already exists with another input`);
        }
        return { executionId: existing.executionArn ?? arn };
      }
    },

    async describe(executionId) {
      const out = await describe(executionId);
      const status = statusOf(out.status);
      const output = parseOutput(out.output);
      const error = out.error ? (out.cause ? `${out.error}: ${out.cause}` : out.error) : undefined;
      return {
        status,
        ...(output !== undefined ? { output } : {}),
        ...(error !== undefined ? { error } : {}),
      };
    },
  };
}
