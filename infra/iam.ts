import * as pulumi from '@pulumi/pulumi';

/**
 * The actions CloudWatch Logs' vended-log delivery (Step Functions logging) authorises on
 * `Resource: "*"` only: AWS documents no resource-level permission for them. They are the one
 * exception to "never `*`", and the tests allow it for exactly these actions.
 */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

/** An allow statement; every Action and Resource is named, never `*` (the tests hold that). */
export interface Grant {
  Action: string[];
  Resource: pulumi.Input<string>[];
}

/** An IAM policy document of allow statements, resolved once every ARN is known. */
export function policyDocument(grants: Grant[]): pulumi.Output<string> {
  const statements = grants.map((grant) =>
    pulumi.all(grant.Resource).apply((resources) => ({ Effect: 'Allow', Action: grant.Action, Resource: resources })),
  );
  return pulumi.all(statements).apply((Statement) => JSON.stringify({ Version: '2012-10-17', Statement }));
}

/** The trust policy letting one AWS service assume a role. */
export function serviceAssumeRole(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
