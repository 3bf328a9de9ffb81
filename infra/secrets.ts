import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';

/** A Secrets Manager secret a function reads at run time: its ARN goes in the environment, never its value. */
export interface RuntimeSecret {
  arn: pulumi.Output<string>;
  name: string;
}

/**
 * Every secret value Kinema's functions read at cold start. The stack creates each secret EMPTY
 * (no version, so no value ever enters Pulumi state, a stack output or a Lambda configuration)
 * and the operator fills it once, in the primary region (README: "Fill the secrets"); the replica
 * in the peer region follows. Until then the parts that need it answer 503, and `pulumi up` on
 * empty secrets succeeds because nothing reads a value at deploy time.
 */
export const SECRET_NAMES = {
  cloudFrontPrivateKey: 'kinema/cloudfront-private-key',
  stripeSecretKey: 'kinema/stripe-secret-key',
  stripeWebhookSecret: 'kinema/stripe-webhook-secret',
  auth0PlanSyncSecret: 'kinema/auth0-plan-sync-client-secret',
} as const;

/**
 * One runtime secret. The primary creates it with a replica in the peer region; the standby finds
 * that replica by name (two stacks owning one secret would fight over it).
 */
export function runtimeSecret(
  config: StackConfig,
  resourceName: string,
  name: string,
  description: string,
): RuntimeSecret {
  if (config.role === 'secondary') {
    return { arn: aws.secretsmanager.getSecretOutput({ name }).arn, name };
  }
  const secret = new aws.secretsmanager.Secret(resourceName, {
    name,
    description: `${description}; filled by the operator, read at run time (README: Fill the secrets)`,
    replicas: [{ region: config.peerRegion }],
    recoveryWindowInDays: 30,
  });
  return { arn: secret.arn, name };
}
