import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { secretsManagerSecrets } from './secrets.js';

const arn = (name: string) => `arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:${name}-AbCdEf`;
const IDS = { stripeKey: arn('kinema/stripe-secret-key'), cookieKey: arn('kinema/cloudfront-private-key') };

/** What Secrets Manager answers for a secret created without a value (no AWSCURRENT version). */
const noValue = () =>
  new ResourceNotFoundException({
    $metadata: { httpStatusCode: 400 },
    message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
  });

/** A GetSecretValue answer as AWS shapes it (ARN, name, version id, stages). */
const answer = (id: string, value: string) => ({
  ARN: id,
  Name: id.replace(/^.*:secret:/, '').replace(/-[A-Za-z0-9]{6}$/, ''),
  VersionId: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
  SecretString: value,
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-01-01T00:00:00Z'),
});

describe('secretsManagerSecrets', () => {
  const sm = mockClient(SecretsManagerClient);
  beforeEach(() => sm.reset());

  it('reads every secret once, then serves the cache until it is stale', async () => {
    sm.on(GetSecretValueCommand, { SecretId: IDS.stripeKey }).resolves(answer(IDS.stripeKey, 'sk_test_1'));
    sm.on(GetSecretValueCommand, { SecretId: IDS.cookieKey }).resolves(answer(IDS.cookieKey, 'PEM-1'));
    let clock = 0;
    const secrets = secretsManagerSecrets({
      client: new SecretsManagerClient({}),
      ids: IDS,
      maxAgeMs: 1000,
      now: () => clock,
    });
    await expect(secrets.get()).resolves.toEqual({ stripeKey: 'sk_test_1', cookieKey: 'PEM-1' });
    await secrets.get();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    clock = 1000;
    sm.on(GetSecretValueCommand, { SecretId: IDS.stripeKey }).resolves(answer(IDS.stripeKey, 'sk_test_2'));
    await expect(secrets.get()).resolves.toMatchObject({ stripeKey: 'sk_test_2' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });

  it('leaves out a secret the operator has not filled yet, and an empty string', async () => {
    sm.on(GetSecretValueCommand, { SecretId: IDS.stripeKey }).rejects(noValue());
    sm.on(GetSecretValueCommand, { SecretId: IDS.cookieKey }).resolves(answer(IDS.cookieKey, '  '));
    const secrets = secretsManagerSecrets({ client: new SecretsManagerClient({}), ids: IDS });
    await expect(secrets.get()).resolves.toEqual({});
  });

  it('reads again on refresh (a rotated key after a signature failure)', async () => {
    sm.on(GetSecretValueCommand).resolves(answer(IDS.stripeKey, 'old'));
    const secrets = secretsManagerSecrets({ client: new SecretsManagerClient({}), ids: { stripeKey: IDS.stripeKey } });
    await expect(secrets.get()).resolves.toEqual({ stripeKey: 'old' });
    sm.on(GetSecretValueCommand).resolves(answer(IDS.stripeKey, 'new'));
    await expect(secrets.get()).resolves.toEqual({ stripeKey: 'old' });
    await expect(secrets.refresh()).resolves.toEqual({ stripeKey: 'new' });
    await expect(secrets.get()).resolves.toEqual({ stripeKey: 'new' });
  });

  it('shares one read between concurrent callers', async () => {
    sm.on(GetSecretValueCommand).resolves(answer(IDS.stripeKey, 'v'));
    const secrets = secretsManagerSecrets({ client: new SecretsManagerClient({}), ids: { stripeKey: IDS.stripeKey } });
    await Promise.all([secrets.get(), secrets.get(), secrets.get()]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('throws access denied instead of caching nothing, and reads again next time', async () => {
    const denied = new SecretsManagerServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
    });
    sm.on(GetSecretValueCommand).rejectsOnce(denied).resolves(answer(IDS.stripeKey, 'v'));
    const secrets = secretsManagerSecrets({ client: new SecretsManagerClient({}), ids: { stripeKey: IDS.stripeKey } });
    await expect(secrets.get()).rejects.toThrow(/not authorized/);
    await expect(secrets.get()).resolves.toEqual({ stripeKey: 'v' });
  });
});
