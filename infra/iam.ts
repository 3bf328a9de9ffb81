import * as pulumi from '@pulumi/pulumi';

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
