import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '#shared/errors.js';
import type { Logger } from '#shared/log.js';
import { silentLogger } from '#shared/log.js';
import type { ExecutionStatus, Workflow } from '#shared/ports/workflow.js';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); Node 20 lacks it.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      return { promise, resolve, reject };
    },
  });
}
// The runner (and the ASL validator it builds each machine with: ~1 s of start-up on this machine,
// most of it compiling JSON schemas) is imported on the first execution, not at start: the first
// request never needs it. Imported after the polyfill on purpose (a static import would be
// hoisted above it).
type StateMachine = import('aws-local-stepfunctions').StateMachine;
type MachineDefinition = ConstructorParameters<typeof import('aws-local-stepfunctions').StateMachine>[0];

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalWorkflowOptions {
  /** ASL definitions by workflow name, as in `workflows/` (with `${Name}` resource placeholders). */
  definitions: Record<string, unknown>;
  /** Per workflow, a local function for EVERY Task state: nothing is ever sent to AWS. */
  handlers: Record<string, Record<string, TaskHandler>>;
  logger?: Logger;
}

interface Execution {
  executionId: string;
  name: string;
  inputText: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  settled: Promise<void>;
  abort: () => void;
}

export type LocalWorkflow = Workflow & {
  /** Resolves when the execution has ended, whatever its status (tests, shutdown). */
  settled(executionId: string): Promise<{ status: ExecutionStatus; output?: unknown; error?: string }>;
  /** Aborts running executions; restart recovery (the service's) picks their work up again. */
  close(): Promise<void>;
};

interface AslState {
  Type?: string;
  Resource?: unknown;
  Branches?: { States?: Record<string, AslState> }[];
  Iterator?: { States?: Record<string, AslState> };
  ItemProcessor?: { States?: Record<string, AslState> };
}

function taskStates(states: Record<string, AslState> | undefined): string[] {
  return Object.entries(states ?? {}).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [name] : []),
    ...(state.Branches ?? []).flatMap((branch) => taskStates(branch.States)),
    ...taskStates(state.Iterator?.States),
    ...taskStates(state.ItemProcessor?.States),
  ]);
}

/**
 * The Workflow port standalone: the SAME ASL JSON Step Functions runs, executed in-process by
 * aws-local-stepfunctions with each Task state mapped to a local function. Executions live in
 * memory; a restart loses them, which is why the services recover their own unfinished work.
 * Start with the same execution name is idempotent, as in Step Functions.
 */
export function localWorkflow(options: LocalWorkflowOptions): LocalWorkflow {
  const logger = options.logger ?? silentLogger;
  const definitions = new Map<string, { definition: MachineDefinition; handlers: Record<string, TaskHandler> }>();
  for (const [name, definition] of Object.entries(options.definitions)) {
    const handlers = options.handlers[name] ?? {};
    const tasks = taskStates((definition as { States?: Record<string, AslState> }).States);
    const missing = tasks.filter((task) => !handlers[task]);
    if (missing.length > 0) {
      throw new Error(`workflow ${name}: no local handler for Task state(s) ${missing.join(', ')}`);
    }
    // Resources are never called (every Task is overridden); placeholders become valid local ARNs.
    const local = JSON.parse(
      JSON.stringify(definition).replace(
        /\$\{([A-Za-z0-9_]+)\}/g,
        (_match, placeholder: string) => `arn:aws:lambda:local:000000000000:function:${placeholder}`,
      ),
    ) as MachineDefinition;
    definitions.set(name, { definition: local, handlers });
  }
  // Built once, on the first start of that workflow (the constructor validates the definition).
  const machines = new Map<string, Promise<StateMachine>>();
  const machineOf = (name: string, definition: MachineDefinition) => {
    let machine = machines.get(name);
    if (!machine) {
      machine = import('aws-local-stepfunctions').then(({ StateMachine }) => new StateMachine(definition));
      machine.catch(() => machines.delete(name));
      machines.set(name, machine);
    }
    return machine;
  };

  const executions = new Map<string, Execution>();
  const byName = new Map<string, string>();

  const find = (executionId: string) => {
    const execution = executions.get(executionId);
    if (!execution) throw notFound(`execution ${executionId}`);
    return execution;
  };

  return {
    async start(name, input, executionName) {
      const entry = definitions.get(name);
      if (!entry) throw notFound(`workflow ${name}`);
      const machine = await machineOf(name, entry.definition);
      const runName = executionName ?? randomUUID();
      const inputText = JSON.stringify(input ?? {});
      const known = byName.get(`${name}:${runName}`);
      if (known) {
        const existing = find(known);
        if (existing.inputText !== inputText) throw conflict(`execution ${runName} already exists with another input`);
        return { executionId: existing.executionId };
      }
      const executionId = `arn:kinema:local:execution:${name}:${runName}`;
      const run = machine.run(JSON.parse(inputText) as never, {
        overrides: { taskResourceLocalHandlers: entry.handlers as never },
        noThrowOnAbort: true,
      });
      const execution: Execution = {
        executionId,
        name,
        inputText,
        status: 'RUNNING',
        abort: () => run.abort(),
        settled: Promise.resolve(),
      };
      execution.settled = run.result.then(
        (output: unknown) => {
          if (execution.status === 'RUNNING') {
            execution.status = output === null ? 'ABORTED' : 'SUCCEEDED';
            execution.output = output;
          }
        },
        (error: unknown) => {
          // The runner wraps the state's error in an ExecutionError; the state's own is its cause.
          const outer = error as { name?: string; message?: string; cause?: unknown };
          const inner = outer.cause as { name?: string; message?: string } | undefined;
          const failure = inner && typeof inner === 'object' && inner.name ? inner : outer;
          execution.status = failure.name === 'StatesTimeoutError' ? 'TIMED_OUT' : 'FAILED';
          execution.error = `${failure.name ?? 'Error'}: ${failure.message ?? String(error)}`;
          logger.warn('workflow execution failed', { workflow: name, executionId, error: execution.error });
        },
      );
      executions.set(executionId, execution);
      byName.set(`${name}:${runName}`, executionId);
      logger.info('workflow execution started', { workflow: name, executionId });
      return { executionId };
    },

    async describe(executionId) {
      const execution = find(executionId);
      return {
        status: execution.status,
        ...(execution.output !== undefined ? { output: execution.output } : {}),
        ...(execution.error !== undefined ? { error: execution.error } : {}),
      };
    },

    async settled(executionId) {
      const execution = find(executionId);
      await execution.settled;
      return this.describe(executionId);
    },

    async close() {
      const running = [...executions.values()].filter((execution) => execution.status === 'RUNNING');
      for (const execution of running) {
        execution.status = 'ABORTED';
        execution.abort();
      }
      await Promise.all(running.map((execution) => execution.settled));
    },
  };
}
