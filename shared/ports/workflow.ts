export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** Step Functions on AWS; the same ASL JSON run by aws-local-stepfunctions standalone. */
export interface Workflow {
  start(name: string, input: unknown, executionName?: string): Promise<{ executionId: string }>;
  describe(executionId: string): Promise<{ status: ExecutionStatus; output?: unknown; error?: string }>;
}
