import * as pulumi from '@pulumi/pulumi';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LOG_DELIVERY_ACTIONS } from './iam.js';

/** One resource the program registered, with its inputs as the engine would receive them. */
export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The region the resource lands in: its explicit provider's, else the stack's. */
  region: string;
}

export interface MockedProgram {
  resources: Recorded[];
  calls: { token: string; inputs: Record<string, unknown> }[];
  /** Resolves once no resource has been registered for a few turns of the event loop. */
  settled(): Promise<void>;
  ofType(type: string): Recorded[];
  named(type: string, name: string): Recorded;
}

const ACCOUNT = '123456789012';

/**
 * Reads a stack file's `config:` block. The stack files are kept to flat `key: value` lines (no
 * nesting, no lists) precisely so this small reader is honest; anything else is an error.
 */
export function readStackFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  let inConfig = false;
  for (const [index, raw] of readFileSync(path, 'utf8').split('\n').entries()) {
    const line = raw.replace(/\s+#.*$/, '').trimEnd();
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (line === 'config:') {
      inConfig = true;
      continue;
    }
    const match = /^ {2}([a-z0-9]+:[A-Za-z0-9]+): (.+)$/.exec(line);
    if (!inConfig || !match) throw new Error(`${path}:${index + 1}: not a flat config line: ${raw}`);
    values[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

/**
 * The stack file's config plus what an operator sets with `pulumi config set` before deploying
 * (a fresh CloudFront public key: its value is per deployment, never committed).
 */
export function deployableConfig(stackFile: Record<string, string>): Record<string, string> {
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    ...stackFile,
    // Only the primary makes the key group; the standby reads its id from the primary's outputs.
    ...(stackFile['kinema:role'] === 'primary'
      ? { 'kinema:cloudFrontPublicKey': Buffer.from(publicKey).toString('base64') }
      : {}),
    // What `npm run build:edge` would leave in dist/edge, small and fixed.
    'kinema:edgeDir': new URL('./fixtures/edge', import.meta.url).pathname,
    // Algolia's application and admin key (`pulumi config set --secret algolia:adminKey`).
    'algolia:appId': 'KINEMA1APP',
    'algolia:adminKey': 'algolia-admin-key-set-as-secret',
  };
}

/**
 * What the primary stack exports for the standby (infra/peer.ts), as the primary's own mocked
 * program yields them; primary.test.ts checks its exports equal these.
 */
export const PRIMARY_OUTPUTS = {
  siteDistributionArn: `arn:aws:cloudfront::${ACCOUNT}:distribution/ESITE-CDN`,
  playbackKeyPairId: 'playback-public-key-id',
  planSyncClientId: 'client-plan-sync',
};

/** Fake ARNs and ids shaped like AWS's, so policies and routes can be checked by value. */
function stateFor(type: string, name: string, inputs: Record<string, unknown>, region: string, id?: string) {
  // A resource read with `.get(name, id)` is known by its id (a Lambda's id is its name).
  const given = typeof inputs.name === 'string' ? inputs.name : (id ?? name);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${ACCOUNT}:${resource}`;
  switch (type) {
    // ClientCredentials reveals the secret Auth0 generated for a client.
    case 'auth0:index/clientCredentials:ClientCredentials':
      return { clientSecret: `${name}-client-secret` };
    case 'aws:dynamodb/table:Table': {
      const tableArn = arn('dynamodb', `table/${given}`);
      return { arn: tableArn, streamArn: `${tableArn}/stream/2025-01-01T00:00:00.000` };
    }
    case 'aws:lambda/function:Function': {
      const fnArn = arn('lambda', `function:${given}`);
      const version = inputs.publish === true ? '1' : '$LATEST';
      return {
        arn: fnArn,
        version,
        qualifiedArn: `${fnArn}:${version}`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
      };
    }
    case 'aws:acm/certificate:Certificate':
      return {
        arn: arn('acm', 'certificate/1a2b3c4d-0000-1111-2222-333344445555'),
        domainValidationOptions: [
          {
            domainName: inputs.domainName,
            resourceRecordName: `_0123456789abcdef.${String(inputs.domainName)}.`,
            resourceRecordType: 'CNAME',
            resourceRecordValue: '_fedcba9876543210.xlfgrmvvlj.acm-validations.aws.',
          },
        ],
      };
    case 'aws:acm/certificateValidation:CertificateValidation':
      return { certificateArn: inputs.certificateArn };
    case 'aws:route53/record:Record':
      return { fqdn: String(inputs.name).replace(/\.$/, '') };
    case 'aws:lambda/layerVersion:LayerVersion': {
      const layerArn = arn('lambda', `layer:${String(inputs.layerName)}`);
      return { layerArn, arn: `${layerArn}:1`, version: '1' };
    }
    case 'aws:apigatewayv2/domainName:DomainName':
      return {
        arn: `arn:aws:apigateway:${region}::/domainnames/${String(inputs.domainName)}`,
        domainNameConfiguration: {
          ...(inputs.domainNameConfiguration as object),
          targetDomainName: `d-abcdef1234.execute-api.${region}.amazonaws.com`,
          hostedZoneId: region === 'ap-northeast-1' ? 'Z1YSHQZHG15GKL' : 'ZL327KTPIQFUL',
        },
      };
    case 'aws:sns/topic:Topic':
      return { arn: arn('sns', given) };
    case 'pulumi:pulumi:StackReference':
      return { outputs: PRIMARY_OUTPUTS };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { arn: arn('logs', `log-group:${given}`) };
    case 'aws:cloudwatch/eventBus:EventBus':
      return { arn: arn('events', `event-bus/${given}`) };
    case 'aws:cloudwatch/eventRule:EventRule':
      // A rule on a custom bus is `rule/<bus>/<name>`; on the default bus (AWS services' events) `rule/<name>`.
      return {
        arn: arn('events', `rule/${typeof inputs.eventBusName === 'string' ? `${inputs.eventBusName}/` : ''}${given}`),
      };
    case 'aws:sqs/queue:Queue':
      return { arn: arn('sqs', given), url: `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${given}` };
    // Algolia (infra/algolia.ts): an API key resource answers with the key Algolia generated.
    case 'pulumi-nodejs:dynamic:Resource':
      return Array.isArray(inputs.acl) ? { key: `${name}-generated-key` } : {};
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${given}` };
    case 'aws:apigatewayv2/api:Api':
      return {
        apiEndpoint: `https://abc123.execute-api.${region}.amazonaws.com`,
        executionArn: arn('execute-api', 'abc123'),
      };
    case 'aws:s3/bucket:Bucket': {
      const bucket = String(inputs.bucket ?? given);
      return {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
      };
    }
    case 'aws:cloudfront/distribution:Distribution':
      return {
        arn: `arn:aws:cloudfront::${ACCOUNT}:distribution/E${name.toUpperCase()}`,
        domainName: `d-${name}.cloudfront.net`,
        // CloudFront's one hosted zone for alias records.
        hostedZoneId: 'Z2FDTNDATAQYW2',
      };
    case 'aws:sfn/stateMachine:StateMachine':
      return { arn: arn('states', `stateMachine:${given}`) };
    case 'aws:secretsmanager/secret:Secret':
      return { arn: arn('secretsmanager', `secret:${given}-AbCdEf`) };
    case 'auth0:index/client:Client':
      return { clientId: `client-${name}` };
    default:
      return { arn: arn('mock', `${type}/${given}`) };
  }
}

/**
 * Puts Pulumi in mock mode with the given stack config. Call it BEFORE importing the program:
 * the program registers resources (and reads config) while it is imported.
 */
export function mockProgram(config: Record<string, string>, stack: string): MockedProgram {
  const region = config['aws:region'] ?? 'ap-northeast-1';
  const resources: Recorded[] = [];
  const calls: MockedProgram['calls'] = [];
  pulumi.runtime.setAllConfig(config);
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        // An explicit provider (`new aws.Provider('us-east-1', …)`) puts the resource in its region.
        const where = args.provider?.includes('::us-east-1::') ? 'us-east-1' : region;
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          region: where,
        });
        const state = { ...args.inputs, ...stateFor(args.type, args.name, args.inputs, where, args.id) };
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        calls.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
        if (args.token === 'aws:dynamodb/getTable:getTable') {
          const name = String(args.inputs.name);
          const tableArn = `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`;
          return { id: name, name, arn: tableArn, streamArn: `${tableArn}/stream/2025-01-01T00:00:00.000` };
        }
        if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') {
          return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: 'deployer', id: ACCOUNT };
        }
        if (args.token === 'aws:secretsmanager/getSecret:getSecret') {
          const name = String(args.inputs.name);
          const secretArn = `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-AbCdEf`;
          return { arn: secretArn, id: secretArn, name, description: '', recoveryWindowInDays: 30, tags: {} };
        }
        if (args.token === 'aws:route53/getZone:getZone') {
          const name = String(args.inputs.name);
          return { zoneId: 'Z0123456789ABCDEFGHIJ', id: 'Z0123456789ABCDEFGHIJ', name, privateZone: false };
        }
        // An unmodelled data source must be added here with what AWS answers, never an echo of its inputs.
        throw new Error(`the mocks do not answer ${args.token}`);
      },
    },
    'kinema',
    stack,
    false,
  );
  return {
    resources,
    calls,
    async settled() {
      let quiet = 0;
      let count = -1;
      while (quiet < 5) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        quiet = resources.length === count ? quiet + 1 : 0;
        count = resources.length;
      }
    },
    ofType: (type) => resources.filter((resource) => resource.type === type),
    named(type, name) {
      const found = resources.find((resource) => resource.type === type && resource.name === name);
      if (!found) throw new Error(`no ${type} named ${name}`);
      return found;
    },
  };
}

/** The value of an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
}

/** The statements of a policy document given as JSON text. */
export function statementsOf(policy: unknown): Statement[] {
  const document = JSON.parse(String(policy)) as { Statement: Statement | Statement[] };
  return ([] as Statement[]).concat(document.Statement);
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : ([] as string[]).concat(value));

/**
 * What breaks least privilege in a statement: a wildcard action or `Resource: "*"` (except for
 * the log-delivery actions AWS authorises on `*` only, alone in their statement).
 */
export function leastPrivilegeViolations(statement: Statement): string[] {
  const problems: string[] = [];
  const actions = list(statement.Action);
  for (const action of actions) {
    if (action.includes('*')) problems.push(`wildcard action ${action}`);
  }
  const resourceless = new Set<string>(LOG_DELIVERY_ACTIONS);
  const exempt = actions.length > 0 && actions.every((action) => resourceless.has(action));
  for (const resource of list(statement.Resource)) {
    if (resource === '*' && !exempt) problems.push('Resource "*"');
  }
  return problems;
}

export const asList = list;

/**
 * One stack's mocked program, driven by its real stack file (so what is asserted is what
 * `pulumi up` would get), and the CloudFront public key that file carries, as PEM.
 */
export function mockStack(stackFile: string, stack: 'prod-tokyo' | 'prod-singapore') {
  const config = deployableConfig(readStackFile(new URL(`../${stackFile}`, import.meta.url).pathname));
  const program: MockedProgram = mockProgram(config, stack);
  const key = config['kinema:cloudFrontPublicKey'];
  const publicKeyPem = key ? `${Buffer.from(key, 'base64').toString('utf8').trim()}\n` : '';
  return { config, program, publicKeyPem };
}
