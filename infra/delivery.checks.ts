import { describe, expect, it } from 'vitest';
import type { StackExpectations } from './buckets.checks.js';
import { asList, statementsOf, type MockedProgram, type Recorded, type Statement } from './test-support.js';

/** A value that looks like a secret itself (not a name or an ARN of one). */
const SECRET_VALUE = /^(sk_(live|test)_|rk_(live|test)_|whsec_|-----BEGIN)|PRIVATE KEY/;
/** A variable name that would carry a secret value (names of ARNs, ids and key pair ids are fine). */
const SECRET_NAME = /(SECRET|PASSWORD|PRIVATE_KEY|TOKEN|API_KEY)$/;

/**
 * Nothing is lost silently, and nothing secret is deployed: policy tests over every function,
 * rule target, queue and alarm of a stack, whichever module made them.
 */
export function deliveryChecks(program: () => MockedProgram, stack: StackExpectations) {
  const account = '123456789012';
  const ofType = (type: string) => program().ofType(type);
  const functions = () => ofType('aws:lambda/function:Function');
  const targets = () => ofType('aws:cloudwatch/eventTarget:EventTarget');
  const queues = () => ofType('aws:sqs/queue:Queue');
  const fnArn = (fn: Recorded) => `arn:aws:lambda:${fn.region}:${account}:function:${String(fn.inputs.name)}`;

  describe(`delivery (${stack.region}): nothing lost silently`, () => {
    it('gives every rule target a dead-letter queue of this stack, and a queue policy letting only its rules write it', () => {
      expect(targets().length).toBeGreaterThan(5);
      const queueArns = new Set(queues().map((queue) => `arn:aws:sqs:${stack.region}:${account}:${queue.inputs.name}`));
      for (const target of targets()) {
        const arn = (target.inputs.deadLetterConfig as { arn?: string } | undefined)?.arn;
        expect(arn, target.name).toBeDefined();
        expect(queueArns.has(arn!), `${target.name} → ${arn}`).toBe(true);
      }
      const policies = ofType('aws:sqs/queuePolicy:QueuePolicy');
      const written = new Set(
        targets().map((target) => (target.inputs.deadLetterConfig as { arn: string }).arn.split(':').pop()),
      );
      for (const queue of written) {
        const policy = policies.find((found) => String(found.inputs.queueUrl).endsWith(`/${queue}`));
        expect(policy, `queue policy of ${queue}`).toBeDefined();
        const [statement] = statementsOf(policy!.inputs.policy) as (Statement & { Condition?: unknown })[];
        expect(statement?.Principal).toEqual({ Service: 'events.amazonaws.com' });
        expect(JSON.stringify(statement?.Condition)).toContain('aws:SourceArn');
      }
    });

    it('gives every asynchronously invoked function (a rule target) an SQS on-failure destination', () => {
      const invokeConfigs = ofType('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig');
      const lambdaTargets = targets()
        .map((target) => String(target.inputs.arn))
        .filter((arn) => arn.startsWith('arn:aws:lambda:'));
      const asyncFunctions = functions().filter((fn) => lambdaTargets.includes(fnArn(fn)));
      expect(asyncFunctions.length).toBeGreaterThanOrEqual(5);
      for (const fn of asyncFunctions) {
        const config = invokeConfigs.find((found) => found.inputs.functionName === fn.inputs.name);
        expect(config, String(fn.inputs.name)).toBeDefined();
        const destination = (config!.inputs.destinationConfig as { onFailure: { destination: string } }).onFailure
          .destination;
        expect(destination).toMatch(new RegExp(`^arn:aws:sqs:${stack.region}:${account}:kinema-.+-dlq$`));
        // The function's role may send there (Lambda uses the function's role for destinations).
        const roleName = String(fn.inputs.role).split('/').pop();
        const role = ofType('aws:iam/role:Role').find((found) => found.inputs.name === roleName)!;
        const grants = ofType('aws:iam/rolePolicy:RolePolicy')
          .filter((policy) => policy.inputs.role === `${role.name}-id`)
          .flatMap((policy) => statementsOf(policy.inputs.policy))
          .filter((statement) => asList(statement.Action).includes('sqs:SendMessage'))
          .flatMap((statement) => asList(statement.Resource));
        expect(grants, String(fn.inputs.name)).toContain(destination);
      }
    });

    it('alarms on the depth of every dead-letter queue, to the alarm topic', () => {
      const alarms = ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
      const topic = `arn:aws:sns:${stack.region}:${account}:kinema-alarms`;
      for (const queue of queues()) {
        const alarm = alarms.find(
          (found) => (found.inputs.dimensions as { QueueName?: string } | undefined)?.QueueName === queue.inputs.name,
        );
        expect(alarm, String(queue.inputs.name)).toBeDefined();
        expect(alarm!.inputs).toMatchObject({
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          threshold: 0,
          comparisonOperator: 'GreaterThanThreshold',
          alarmActions: [topic],
        });
      }
    });

    it('alarms on every Pipe failing, the state machine failing and the API 5xx rate; the topic mails the operator', () => {
      const alarms = ofType('aws:cloudwatch/metricAlarm:MetricAlarm');
      for (const pipe of ofType('aws:pipes/pipe:Pipe')) {
        const alarm = alarms.find(
          (found) => (found.inputs.dimensions as { PipeName?: string } | undefined)?.PipeName === pipe.inputs.name,
        );
        expect(alarm?.inputs, String(pipe.inputs.name)).toMatchObject({
          namespace: 'AWS/EventBridge/Pipes',
          metricName: 'ExecutionFailed',
        });
      }
      const machine = `arn:aws:states:${stack.region}:${account}:stateMachine:kinema-media-pipeline`;
      const failed = alarms
        .filter(
          (found) => (found.inputs.dimensions as { StateMachineArn?: string } | undefined)?.StateMachineArn === machine,
        )
        .map((found) => found.inputs.metricName);
      expect(failed.sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      const api = program().named('aws:cloudwatch/metricAlarm:MetricAlarm', 'api-5xx-rate').inputs;
      const queries = api.metricQueries as { id: string; metric?: { metricName: string; dimensions: unknown } }[];
      expect(queries.map((query) => query.metric?.metricName)).toEqual(['5xx', 'Count', undefined]);
      expect(queries[0]?.metric?.dimensions).toEqual({ ApiId: 'api-id', Stage: '$default' });
      const subscription = program().named('aws:sns/topicSubscription:TopicSubscription', 'alarms-email').inputs;
      expect(subscription).toMatchObject({ protocol: 'email', endpoint: 'ops@kinema.app' });
      // Each alarm notifies its own region's topic (CloudFront's metrics, and so its alarm, are in us-east-1).
      for (const alarm of alarms) {
        const topic = alarm.region === 'us-east-1' ? 'kinema-site-alarms' : 'kinema-alarms';
        expect(alarm.inputs.alarmActions, alarm.name).toEqual([`arn:aws:sns:${alarm.region}:${account}:${topic}`]);
      }
      if (stack.role === 'primary') {
        const site = program().named('aws:cloudwatch/metricAlarm:MetricAlarm', 'site-5xx-rate');
        expect(site.region).toBe('us-east-1');
        expect(site.inputs).toMatchObject({
          namespace: 'AWS/CloudFront',
          metricName: '5xxErrorRate',
          dimensions: { DistributionId: 'site-cdn-id', Region: 'Global' },
        });
        const mail = program().named('aws:sns/topicSubscription:TopicSubscription', 'site-alarms-email');
        expect(mail.inputs).toMatchObject({ protocol: 'email', endpoint: 'ops@kinema.app' });
      }
    });

    it('runs the stuck-video recover task on a schedule, as the media service', () => {
      const rule = program().named('aws:cloudwatch/eventRule:EventRule', 'media-recover-schedule').inputs;
      expect(rule.scheduleExpression).toBe('rate(15 minutes)');
      const fn = program().named('aws:lambda/function:Function', 'media-recover-fn').inputs;
      expect(fn).toMatchObject({
        handler: 'index.recover',
        role: `arn:aws:iam::${account}:role/kinema-${stack.region}-media`,
      });
      expect(program().named('aws:cloudwatch/eventTarget:EventTarget', 'media-recover-target').inputs.arn).toBe(
        `arn:aws:lambda:${stack.region}:${account}:function:kinema-media-recover`,
      );
    });
  });

  describe(`packaging and secrets (${stack.region})`, () => {
    it('puts no secret value, and no variable named like one, in any function environment', () => {
      for (const fn of functions()) {
        const variables =
          (fn.inputs.environment as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
        for (const [name, value] of Object.entries(variables)) {
          expect(name, `${fn.name}.${name}`).not.toMatch(SECRET_NAME);
          expect(String(value), `${fn.name}.${name}`).not.toMatch(SECRET_VALUE);
        }
      }
      // The checker itself catches what it is for.
      expect('AUTH0_MGMT_CLIENT_SECRET').toMatch(SECRET_NAME);
      expect('STRIPE_SECRET_KEY_SECRET_ARN').not.toMatch(SECRET_NAME);
      expect('-----BEGIN PRIVATE KEY-----').toMatch(SECRET_VALUE);
    });

    it('ships ffprobe as a layer on the probe alone (x86_64), never inside a bundle', () => {
      const layer = program().named('aws:lambda/layerVersion:LayerVersion', 'ffprobe-layer').inputs;
      expect(layer).toMatchObject({ layerName: 'kinema-ffprobe', compatibleArchitectures: ['x86_64'] });
      for (const fn of functions()) {
        const layers = (fn.inputs.layers as string[] | undefined) ?? [];
        if (fn.name === 'media-probe-fn') {
          expect(layers).toEqual([`arn:aws:lambda:${stack.region}:${account}:layer:kinema-ffprobe:1`]);
          expect((fn.inputs.environment as { variables: Record<string, string> }).variables.FFPROBE_PATH).toBe(
            '/opt/bin/ffprobe',
          );
        } else {
          expect(layers, fn.name).toEqual([]);
        }
      }
    });
  });
}
