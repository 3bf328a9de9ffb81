import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pairs, type StackExpectations } from './buckets.checks.js';
import { asList, statementsOf, type MockedProgram } from './test-support.js';

const FIXTURE = new URL('./fixtures/media-pipeline.asl.json', import.meta.url).pathname;

interface AslState {
  Type: string;
  Resource?: string;
}

/** Policy tests of infra/media-pipeline.ts: the state machine, its roles and the media grants. */
export function mediaPipelineChecks(program: () => MockedProgram, stack: StackExpectations) {
  const account = '123456789012';
  const fn = (name: string) => `arn:aws:lambda:${stack.region}:${account}:function:${name}`;
  const tasks = ['kinema-media-probe', 'kinema-media-finalize', 'kinema-media-publish'].map(fn);
  const machineArn = `arn:aws:states:${stack.region}:${account}:stateMachine:kinema-media-pipeline`;
  const policyOf = (name: string) => statementsOf(program().named('aws:iam/rolePolicy:RolePolicy', name).inputs.policy);

  describe('substitute (the ASL placeholders)', () => {
    const values = {
      ProbeFunctionArn: fn('kinema-media-probe'),
      FinalizeFunctionArn: fn('kinema-media-finalize'),
      PublishFunctionArn: fn('kinema-media-publish'),
    };

    it('fills every placeholder of the fixture and leaves no ${ behind', async () => {
      const { substitute } = await import('./media-pipeline.js');
      const text = readFileSync(FIXTURE, 'utf8');
      expect(text).toContain('${ProbeFunctionArn}');
      const filled = substitute(text, values);
      expect(filled).not.toContain('${');
      const states = Object.values((JSON.parse(filled) as { States: Record<string, AslState> }).States);
      expect(states.filter((state) => state.Type === 'Task').map((state) => state.Resource)).toEqual([
        values.ProbeFunctionArn,
        'arn:aws:states:::mediaconvert:createJob.sync',
        values.FinalizeFunctionArn,
        values.PublishFunctionArn,
        values.PublishFunctionArn,
      ]);
    });

    it('refuses a placeholder it has no value for, and a value that breaks the JSON', async () => {
      const { substitute } = await import('./media-pipeline.js');
      expect(() => substitute('{"Resource": "${Unknown}"}', values)).toThrow(/\$\{Unknown\}/);
      expect(() => substitute('{"Resource": "${A}"}', { A: '"' })).toThrow();
      expect(() => substitute('{"Resource": "${ not a name }"}', values)).toThrow(/still holds a \$\{/);
    });

    it("fills the real workflow's placeholders, and its Lambda tasks are exactly the three", async () => {
      const { MEDIA_PIPELINE_DEFINITION, PIPELINE_TASKS, substitute } = await import('./media-pipeline.js');
      const text = readFileSync(MEDIA_PIPELINE_DEFINITION, 'utf8');
      const used = [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]))].sort();
      expect(used).toEqual(Object.keys(PIPELINE_TASKS).sort());
      expect(substitute(text, values)).not.toContain('${');
    });
  });

  describe(`media pipeline (${stack.region}): Step Functions with MediaConvert .sync`, () => {
    const definition = () =>
      JSON.parse(String(program().named('aws:sfn/stateMachine:StateMachine', 'media-pipeline').inputs.definition)) as {
        States: Record<string, AslState>;
      };

    it('deploys the definition with every placeholder replaced by a task function ARN', () => {
      const machine = program().named('aws:sfn/stateMachine:StateMachine', 'media-pipeline').inputs;
      expect(machine).toMatchObject({ name: 'kinema-media-pipeline', type: 'STANDARD' });
      expect(String(machine.definition)).not.toContain('${');
      const resources = Object.values(definition().States)
        .filter((state) => state.Type === 'Task')
        .map((state) => state.Resource);
      expect(new Set(resources)).toEqual(new Set([...tasks, 'arn:aws:states:::mediaconvert:createJob.sync']));
    });

    it('runs the tasks from the media bundle, one export each', () => {
      for (const task of ['probe', 'finalize', 'publish']) {
        const { inputs } = program().named('aws:lambda/function:Function', `media-${task}-fn`);
        expect(inputs).toMatchObject({ name: `kinema-media-${task}`, handler: `index.${task}`, timeout: 900 });
        expect((inputs.environment as { variables: Record<string, string> }).variables).toMatchObject({
          SERVICE_NAME: 'media',
          TABLE_NAME: 'kinema-media',
          UPLOADS_BUCKET: `kinema-app-uploads-${stack.region}`,
          MEDIA_BUCKET: `kinema-app-media-${stack.region}`,
          MEDIACONVERT_ROLE_ARN: `arn:aws:iam::${account}:role/kinema-${stack.region}-mediaconvert`,
        });
      }
    });

    it('runs the probe on x86_64 (the packaged ffprobe is x86-64) and the other tasks on arm64', () => {
      const architectures = (task: string) =>
        program().named('aws:lambda/function:Function', `media-${task}-fn`).inputs.architectures;
      expect(architectures('probe')).toEqual(['x86_64']);
      expect(architectures('finalize')).toEqual(['arm64']);
      expect(architectures('publish')).toEqual(['arm64']);
      expect(program().named('aws:lambda/function:Function', 'media-fn').inputs.architectures).toEqual(['arm64']);
    });

    it("routes MediaConvert's job state changes on the default bus to the progress handler", () => {
      const rule = program().named('aws:cloudwatch/eventRule:EventRule', 'mediaconvert-progress').inputs;
      expect(rule.eventBusName).toBeUndefined();
      expect(JSON.parse(String(rule.eventPattern))).toEqual({
        source: ['aws.mediaconvert'],
        'detail-type': ['MediaConvert Job State Change'],
        detail: {
          status: ['STATUS_UPDATE', 'COMPLETE', 'ERROR'],
          userMetadata: { videoId: [{ exists: true }] },
        },
      });
      const progress = fn('kinema-media-progress');
      const { inputs } = program().named('aws:lambda/function:Function', 'media-progress-fn');
      expect(inputs).toMatchObject({ name: 'kinema-media-progress', handler: 'index.onMediaConvert' });
      expect((inputs.environment as { variables: Record<string, string> }).variables).toMatchObject({
        TABLE_NAME: 'kinema-media',
        MEDIA_BUCKET: `kinema-app-media-${stack.region}`,
      });
      expect(program().named('aws:cloudwatch/eventTarget:EventTarget', 'mediaconvert-progress-target').inputs.arn).toBe(
        progress,
      );
      expect(program().named('aws:lambda/permission:Permission', 'mediaconvert-progress-invoke').inputs).toMatchObject({
        principal: 'events.amazonaws.com',
        sourceArn: `arn:aws:events:${stack.region}:${account}:rule/kinema-mediaconvert-progress`,
      });
    });

    it('lets the tasks read, write and delete media objects (stills, a previous ladder) but only read sources', () => {
      const media = `arn:aws:s3:::kinema-app-media-${stack.region}/media/*`;
      const uploads = `arn:aws:s3:::kinema-app-uploads-${stack.region}/sources/*`;
      const s3 = pairs(policyOf('media-tasks-policy')).filter((pair) => pair.startsWith('s3:'));
      expect(s3).toEqual(
        [
          `s3:DeleteObject ${media}`,
          `s3:GetObject ${media}`,
          `s3:GetObject ${uploads}`,
          `s3:ListBucket arn:aws:s3:::kinema-app-media-${stack.region}`,
          `s3:PutObject ${media}`,
        ].sort(),
      );
    });

    it('logs executions to its own log group', () => {
      const machine = program().named('aws:sfn/stateMachine:StateMachine', 'media-pipeline').inputs;
      expect(machine.loggingConfiguration).toMatchObject({
        logDestination: `arn:aws:logs:${stack.region}:${account}:log-group:/aws/vendedlogs/states/kinema-media-pipeline:*`,
      });
    });

    it('lets the state machine invoke exactly its tasks, run MediaConvert, and pass only the MediaConvert role', () => {
      const statements = policyOf('media-pipeline-policy');
      const allowed = (action: string) =>
        statements.filter((statement) => asList(statement.Action).includes(action)).flatMap((s) => asList(s.Resource));
      expect(allowed('lambda:InvokeFunction').sort()).toEqual([...tasks].sort());
      expect(allowed('iam:PassRole')).toEqual([`arn:aws:iam::${account}:role/kinema-${stack.region}-mediaconvert`]);
      // CreateJob is authorised on the job, its queue and any preset/template; Step Functions tags
      // the jobs it creates (ManagedByService), so TagResource goes with it.
      const createJob = ['queues/Default', 'jobs/*', 'presets/*', 'jobTemplates/*'].map(
        (resource) => `arn:aws:mediaconvert:${stack.region}:${account}:${resource}`,
      );
      expect(allowed('mediaconvert:CreateJob').sort()).toEqual([...createJob].sort());
      expect(allowed('mediaconvert:TagResource').sort()).toEqual([...createJob].sort());
      expect(allowed('mediaconvert:GetJob')).toEqual([`arn:aws:mediaconvert:${stack.region}:${account}:jobs/*`]);
      const rule = `arn:aws:events:${stack.region}:${account}:rule/StepFunctionsGetEventsForMediaConvertJobRule`;
      for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
        expect(allowed(action)).toEqual([rule]);
      }
    });

    it('lets MediaConvert read uploads sources/* and write media/*, nothing more', () => {
      expect(pairs(policyOf('mediaconvert-policy'))).toEqual(
        [
          `s3:GetObject arn:aws:s3:::kinema-app-uploads-${stack.region}/sources/*`,
          `s3:PutObject arn:aws:s3:::kinema-app-media-${stack.region}/media/*`,
        ].sort(),
      );
    });

    it('lets the media service start (and read back) executions of this state machine and no other', () => {
      const starts = policyOf('media-fn-policy').filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('states:')),
      );
      expect(starts).toEqual([
        { Effect: 'Allow', Action: ['states:StartExecution'], Resource: [machineArn] },
        {
          Effect: 'Allow',
          Action: ['states:DescribeExecution'],
          Resource: [`arn:aws:states:${stack.region}:${account}:execution:kinema-media-pipeline:*`],
        },
      ]);
      const { variables } = program().named('aws:lambda/function:Function', 'media-fn').inputs.environment as {
        variables: Record<string, string>;
      };
      expect(variables.MEDIA_PIPELINE_ARN).toBe(machineArn);
      for (const policy of program().ofType('aws:iam/rolePolicy:RolePolicy')) {
        // The search sync's rule role starts its own state machine (infra/search.checks.ts).
        if (policy.name === 'media-fn-policy' || policy.name === 'search-sync-rule-policy') continue;
        const actions = statementsOf(policy.inputs.policy).flatMap((statement) => asList(statement.Action));
        expect(
          actions.filter((action) => action.startsWith('states:')),
          policy.name,
        ).toEqual([]);
      }
    });
  });
}
