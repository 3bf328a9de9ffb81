import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OBJECT_PREFIX, type BucketKind, type StackBucket } from './buckets.js';
import type { StackConfig } from './config.js';
import { LOG_DELIVERY_ACTIONS, policyDocument, serviceAssumeRole, type Grant } from './iam.js';
import { deadLetterQueue, eventBridgeMayDeadLetter, stateMachineFailureAlarms } from './alarms.js';
import { FFPROBE_LAYER_PATH, functionLogGroup, nodeFunction, onFailureToQueue } from './lambda.js';
import { serviceEnvironment, tableGrants, type ServiceExtras } from './services.js';
import type { ServiceTable } from './tables.js';

/** The workflow both runtimes run (standalone with ffmpeg, here with MediaConvert). */
export const MEDIA_PIPELINE_DEFINITION = fileURLToPath(
  new URL('../workflows/media-pipeline.asl.json', import.meta.url),
);

/**
 * The definition's placeholders and the media bundle's export each Lambda task runs
 * (`runtime/aws/media.ts` must export `probe`, `finalize` and `publish`).
 */
export const PIPELINE_TASKS = {
  ProbeFunctionArn: 'probe',
  FinalizeFunctionArn: 'finalize',
  PublishFunctionArn: 'publish',
} as const;
export type PipelinePlaceholder = keyof typeof PIPELINE_TASKS;

/** The EventBridge rule Step Functions manages to learn when a MediaConvert job ends (.sync). */
export const MEDIACONVERT_SYNC_RULE = 'StepFunctionsGetEventsForMediaConvertJobRule';

/** Where a Lambda layer's `bin/` lands at run time. */
export const FFPROBE_IN_LAYER = '/opt/bin/ffprobe';

/** How often the stuck-video recovery runs (runtime/aws/media.ts `recover`). */
export const RECOVER_SCHEDULE = 'rate(15 minutes)';

/** The function that turns MediaConvert's job state changes into the video's progress. */
export const MEDIACONVERT_PROGRESS_FUNCTION = 'kinema-media-progress';

/**
 * MediaConvert's job state changes Kinema reads (runtime/aws/media.ts `onMediaConvert`):
 * progress, completion and errors of jobs that carry Kinema's user metadata.
 */
export const MEDIACONVERT_PROGRESS_PATTERN = {
  source: ['aws.mediaconvert'],
  'detail-type': ['MediaConvert Job State Change'],
  detail: {
    status: ['STATUS_UPDATE', 'COMPLETE', 'ERROR'],
    userMetadata: { videoId: [{ exists: true }] },
  },
};

/**
 * Replaces each `${Name}` placeholder of an ASL text with its value. A placeholder without a
 * value, or any `${` left over, is an error: a state machine must never reach AWS half-filled.
 */
export function substitute(definition: string, values: Record<string, string>): string {
  const filled = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for the workflow placeholder \${${name}}`);
    return value;
  });
  if (filled.includes('${')) throw new Error('the workflow definition still holds a ${ after substitution');
  JSON.parse(filled); // a value that broke the JSON is caught here, not by Step Functions
  return filled;
}

const objects = (bucket: StackBucket, kind: BucketKind = bucket.kind) =>
  pulumi.interpolate`${bucket.arn}/${OBJECT_PREFIX[kind]}*`;

export interface MediaPipelineArgs {
  config: StackConfig;
  /** The media service's table: the tasks record progress and commit VideoReady/VideoFailed there. */
  table: ServiceTable;
  buckets: Record<BucketKind, StackBucket>;
  /** The ASL file; tests pass a fixture. */
  definitionFile?: string;
}

/**
 * The media pipeline on AWS: the three Lambda tasks (from the media bundle), the MediaConvert
 * role the probe puts in each job, and the Standard state machine (MediaConvert `.sync` needs it)
 * with its own role and log group.
 */
export function mediaPipeline({
  config,
  table,
  buckets,
  definitionFile = MEDIA_PIPELINE_DEFINITION,
}: MediaPipelineArgs) {
  const account = aws.getCallerIdentityOutput().accountId;
  const { uploads, media } = buckets;

  // MediaConvert reads the source and writes the ladder; nothing else.
  const mediaConvertRole = new aws.iam.Role('mediaconvert-role', {
    name: `kinema-${config.region}-mediaconvert`,
    assumeRolePolicy: serviceAssumeRole('mediaconvert.amazonaws.com'),
  });
  const mediaConvertPolicy = new aws.iam.RolePolicy('mediaconvert-policy', {
    role: mediaConvertRole.id,
    policy: policyDocument([
      { Action: ['s3:GetObject'], Resource: [objects(uploads)] },
      { Action: ['s3:PutObject'], Resource: [objects(media)] },
    ]),
  });

  const taskNames = Object.fromEntries(
    Object.entries(PIPELINE_TASKS).map(([placeholder, task]) => [placeholder, `kinema-media-${task}`]),
  ) as Record<PipelinePlaceholder, string>;
  const taskLogs = Object.fromEntries(
    Object.entries(PIPELINE_TASKS).map(([placeholder, task]) => [
      placeholder,
      functionLogGroup(`media-${task}-logs`, taskNames[placeholder as PipelinePlaceholder], config),
    ]),
  ) as Record<PipelinePlaceholder, aws.cloudwatch.LogGroup>;
  const progressLogs = functionLogGroup('media-progress-logs', MEDIACONVERT_PROGRESS_FUNCTION, config);
  // MediaConvert progress and the recover schedule are asynchronous: what fails every retry lands here.
  const deadLetters = deadLetterQueue('media-pipeline-dlq', 'kinema-media-pipeline-dlq');
  const tasksRole = new aws.iam.Role('media-tasks-role', {
    name: `kinema-${config.region}-media-tasks`,
    assumeRolePolicy: serviceAssumeRole('lambda.amazonaws.com'),
  });
  const tasksPolicy = new aws.iam.RolePolicy('media-tasks-policy', {
    role: tasksRole.id,
    policy: policyDocument([
      ...tableGrants(table),
      // The probe reads the source's header by ranges.
      { Action: ['s3:GetObject'], Resource: [objects(uploads)] },
      // Finalize measures renditions and writes the master playlist, poster and thumbnails; the
      // probe clears a previous run's ladder and finalize removes MediaConvert's frame captures.
      { Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [objects(media)] },
      { Action: ['s3:ListBucket'], Resource: [media.arn] },
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [...Object.values(taskLogs), progressLogs].map((group) => pulumi.interpolate`${group.arn}:*`),
      },
      { Action: ['sqs:SendMessage'], Resource: [deadLetters.queue.arn] },
    ]),
  });
  const ffprobeLayer = new aws.lambda.LayerVersion('ffprobe-layer', {
    layerName: 'kinema-ffprobe',
    description: 'ffprobe (static x86-64 build from @ffprobe-installer/linux-x64) at /opt/bin/ffprobe',
    code: new pulumi.asset.FileArchive(FFPROBE_LAYER_PATH),
    compatibleRuntimes: [aws.lambda.Runtime.NodeJS22dX],
    compatibleArchitectures: ['x86_64'],
  });
  const tasks = Object.fromEntries(
    Object.entries(PIPELINE_TASKS).map(([placeholder, task]) => [
      placeholder,
      nodeFunction(`media-${task}-fn`, {
        functionName: taskNames[placeholder as PipelinePlaceholder],
        service: 'media',
        handler: `index.${task}`,
        role: tasksRole,
        logGroup: taskLogs[placeholder as PipelinePlaceholder],
        environment: {
          ...serviceEnvironment('media', table, config),
          UPLOADS_BUCKET: uploads.name,
          MEDIA_BUCKET: media.name,
          MEDIACONVERT_ROLE_ARN: mediaConvertRole.arn,
          ...(task === 'probe' ? { FFPROBE_PATH: FFPROBE_IN_LAYER } : {}),
        },
        // The ASL gives Probe and Finalize 900 s, Lambda's ceiling.
        timeout: 900,
        memorySize: 2048,
        // Only the probe runs ffprobe (a static x86-64 build): it alone has the layer, on x86_64.
        ...(task === 'probe' ? { architecture: 'x86_64' as const, layers: [ffprobeLayer.arn] } : {}),
        dependsOn: [tasksPolicy],
      }),
    ]),
  ) as Record<PipelinePlaceholder, aws.lambda.Function>;

  // MediaConvert reports job progress to the account's default bus; the video's progress follows.
  const progressFn = nodeFunction('media-progress-fn', {
    functionName: MEDIACONVERT_PROGRESS_FUNCTION,
    service: 'media',
    handler: 'index.onMediaConvert',
    role: tasksRole,
    logGroup: progressLogs,
    environment: {
      ...serviceEnvironment('media', table, config),
      UPLOADS_BUCKET: uploads.name,
      MEDIA_BUCKET: media.name,
    },
    timeout: 30,
    dependsOn: [tasksPolicy],
  });
  const progressRule = new aws.cloudwatch.EventRule('mediaconvert-progress', {
    name: 'kinema-mediaconvert-progress',
    description: 'MediaConvert job progress of Kinema media jobs to the media service',
    // No eventBusName: AWS services publish to the default bus.
    eventPattern: JSON.stringify(MEDIACONVERT_PROGRESS_PATTERN),
  });
  const progressTarget = new aws.cloudwatch.EventTarget('mediaconvert-progress-target', {
    rule: progressRule.name,
    arn: progressFn.arn,
    retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
    deadLetterConfig: { arn: deadLetters.queue.arn },
  });
  const progressFailures = onFailureToQueue('media-progress-async', progressFn, deadLetters.queue.arn);
  const progressInvoke = new aws.lambda.Permission('mediaconvert-progress-invoke', {
    action: 'lambda:InvokeFunction',
    function: progressFn.name,
    principal: 'events.amazonaws.com',
    sourceArn: progressRule.arn,
  });

  const logGroup = new aws.cloudwatch.LogGroup('media-pipeline-logs', {
    // The vendedlogs prefix keeps CloudWatch's resource policy for Step Functions small.
    name: '/aws/vendedlogs/states/kinema-media-pipeline',
    retentionInDays: config.logRetentionDays,
  });
  const role = new aws.iam.Role('media-pipeline-role', {
    name: `kinema-${config.region}-media-pipeline`,
    assumeRolePolicy: serviceAssumeRole('states.amazonaws.com'),
  });
  const mediaConvert = (resource: string) =>
    pulumi.interpolate`arn:aws:mediaconvert:${config.region}:${account}:${resource}`;
  const policy = new aws.iam.RolePolicy('media-pipeline-policy', {
    role: role.id,
    policy: policyDocument([
      { Action: ['lambda:InvokeFunction'], Resource: Object.values(tasks).map((fn) => fn.arn) },
      // CreateJob is authorised on the job and the queue (and any preset or template it names);
      // Step Functions tags each job it creates (ManagedByService), which needs TagResource.
      {
        Action: ['mediaconvert:CreateJob', 'mediaconvert:TagResource'],
        Resource: [
          mediaConvert('queues/Default'),
          mediaConvert('jobs/*'),
          mediaConvert('presets/*'),
          mediaConvert('jobTemplates/*'),
        ],
      },
      // .sync polls the job, and cancels it when the execution is stopped.
      { Action: ['mediaconvert:GetJob', 'mediaconvert:CancelJob'], Resource: [mediaConvert('jobs/*')] },
      { Action: ['iam:PassRole'], Resource: [mediaConvertRole.arn] },
      {
        Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        Resource: [pulumi.interpolate`arn:aws:events:${config.region}:${account}:rule/${MEDIACONVERT_SYNC_RULE}`],
      },
      // Log delivery authorises on "*" only (AWS documents no resource-level permission for it).
      { Action: [...LOG_DELIVERY_ACTIONS], Resource: ['*'] },
    ] satisfies Grant[]),
  });
  const text = readFileSync(definitionFile, 'utf8');
  const arns = Object.fromEntries(Object.entries(tasks).map(([placeholder, fn]) => [placeholder, fn.arn]));
  const stateMachine = new aws.sfn.StateMachine(
    'media-pipeline',
    {
      name: 'kinema-media-pipeline',
      type: 'STANDARD',
      roleArn: role.arn,
      definition: pulumi.all(arns).apply((values) => substitute(text, values)),
      loggingConfiguration: {
        logDestination: pulumi.interpolate`${logGroup.arn}:*`,
        includeExecutionData: true,
        level: 'ERROR',
      },
      tags: { service: 'media' },
    },
    { dependsOn: [policy, mediaConvertPolicy] },
  );
  const failureAlarms = stateMachineFailureAlarms('kinema-media-pipeline', stateMachine.arn);
  return {
    stateMachine,
    failureAlarms,
    deadLetters,
    ffprobeLayer,
    role,
    policy,
    logGroup,
    mediaConvertRole,
    mediaConvertPolicy,
    tasks,
    tasksRole,
    tasksPolicy,
    progress: {
      fn: progressFn,
      rule: progressRule,
      target: progressTarget,
      invoke: progressInvoke,
      failures: progressFailures,
    },
  };
}

export type MediaPipeline = ReturnType<typeof mediaPipeline>;

/**
 * The media service's own Lambdas: they start the pipeline, read sources and manage the HLS
 * output (a deleted video's objects go too).
 */
export function mediaServiceExtras(buckets: Record<BucketKind, StackBucket>, pipeline: MediaPipeline): ServiceExtras {
  const { uploads, media } = buckets;
  return {
    environment: {
      UPLOADS_BUCKET: uploads.name,
      MEDIA_BUCKET: media.name,
      MEDIA_PIPELINE_ARN: pipeline.stateMachine.arn,
    },
    grants: [
      { Action: ['s3:GetObject'], Resource: [objects(uploads)] },
      { Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [objects(media)] },
      { Action: ['s3:ListBucket'], Resource: [media.arn] },
      { Action: ['states:StartExecution'], Resource: [pipeline.stateMachine.arn] },
      // A repeated start (ExecutionAlreadyExists) and recovery read the execution back.
      {
        Action: ['states:DescribeExecution'],
        Resource: [pipeline.stateMachine.arn.apply((arn) => `${arn.replace(':stateMachine:', ':execution:')}:*`)],
      },
    ],
  };
}

/**
 * The stuck-video recovery (`index.recover`): on a schedule, it restarts runs that a crash or a
 * lost execution left waiting or processing. It acts as the media service (its role: the table,
 * StartExecution, DescribeExecution), so it shares that role, plus its log group and dead letters.
 */
export function mediaRecovery(args: {
  config: StackConfig;
  pipeline: MediaPipeline;
  service: { role: aws.iam.Role; environment: Record<string, pulumi.Input<string>> };
}) {
  const { config, pipeline, service } = args;
  const functionName = 'kinema-media-recover';
  const logGroup = functionLogGroup('media-recover-logs', functionName, config);
  const policy = new aws.iam.RolePolicy('media-recover-policy', {
    role: service.role.id,
    policy: policyDocument([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [pulumi.interpolate`${logGroup.arn}:*`] },
      { Action: ['sqs:SendMessage'], Resource: [pipeline.deadLetters.queue.arn] },
    ]),
  });
  const fn = nodeFunction('media-recover-fn', {
    functionName,
    service: 'media',
    handler: 'index.recover',
    role: service.role,
    logGroup,
    environment: service.environment,
    timeout: 300,
    dependsOn: [policy],
  });
  const rule = new aws.cloudwatch.EventRule('media-recover-schedule', {
    name: 'kinema-media-recover',
    description: 'Restarts media runs left stuck by a crash or a lost execution',
    // Schedules run on the default bus, and only in the active region: the standby's table is a
    // replica, and restarting its runs there would transcode twice.
    scheduleExpression: RECOVER_SCHEDULE,
    state: config.relayActive ? 'ENABLED' : 'DISABLED',
  });
  const invoke = new aws.lambda.Permission('media-recover-invoke', {
    action: 'lambda:InvokeFunction',
    function: fn.name,
    principal: 'events.amazonaws.com',
    sourceArn: rule.arn,
  });
  const target = new aws.cloudwatch.EventTarget(
    'media-recover-target',
    {
      rule: rule.name,
      arn: fn.arn,
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 900 },
      deadLetterConfig: { arn: pipeline.deadLetters.queue.arn },
    },
    { dependsOn: [invoke] },
  );
  const failures = onFailureToQueue('media-recover-async', fn, pipeline.deadLetters.queue.arn);
  // Only these two rules (progress on the default bus, and this schedule) may dead-letter here.
  const queuePolicy = eventBridgeMayDeadLetter('media-pipeline-dlq-policy', pipeline.deadLetters, [
    pipeline.progress.rule.arn,
    rule.arn,
  ]);
  return { fn, rule, target, invoke, failures, logGroup, policy, queuePolicy };
}
