import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet } from 'jose';
import { z } from 'zod';
import { jwtVerifier } from '#shared/auth/jwt-verifier.js';
import { parseConfig } from '#shared/config.js';
import { createLogger } from '#shared/log.js';
import type { Logger } from '#shared/log.js';
import { systemClock } from '#shared/ports/clock.js';
import type { Clock } from '#shared/ports/clock.js';
import type { Table } from '#shared/ports/table.js';
import type { TokenVerifier } from '#shared/ports/token-verifier.js';
import { dynamoTable } from '#platform/aws/dynamo-table.js';

/** What infra/services.ts puts in every service Lambda's environment. */
export const LambdaEnv = z.object({
  SERVICE_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(1),
  BUS_NAME: z.string().min(1),
  /** Auth0's issuer, with its trailing slash, e.g. https://kinema.jp.auth0.com/ */
  AUTH_ISSUER: z.url(),
  AUTH_AUDIENCE: z.string().min(1),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type LambdaEnv = z.infer<typeof LambdaEnv>;

export interface AwsServiceDeps {
  env: LambdaEnv;
  table: Table;
  verifier: TokenVerifier;
  clock: Clock;
  logger: Logger;
}

/**
 * The AWS wiring shared by the five `runtime/aws/<name>.ts`: the service's
 * DynamoDB table and the Auth0 JWKS verifier. Built once per Lambda container, at cold start.
 */
export function awsServiceDeps(environment: Record<string, string | undefined>): AwsServiceDeps {
  const env = parseConfig(LambdaEnv, environment);
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const jwksUrl = new URL(
    '.well-known/jwks.json',
    env.AUTH_ISSUER.endsWith('/') ? env.AUTH_ISSUER : `${env.AUTH_ISSUER}/`,
  );
  return {
    env,
    table: dynamoTable({ name: env.TABLE_NAME, client }),
    verifier: jwtVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, keys: createRemoteJWKSet(jwksUrl) }),
    clock: systemClock,
    logger: createLogger({ level: env.LOG_LEVEL, base: { service: env.SERVICE_NAME } }),
  };
}
