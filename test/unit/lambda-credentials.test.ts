import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorResponse } from '../../lambdas/shared/platform/http';
import { defaultProvider } from '../../lambdas/shared/platform/lambda-credentials';
import { classifyWriteError } from '../../lambdas/shared/store/write-retry';
import { RecordingTelemetry } from '../support/recording-telemetry';

/** What Lambda sets for the execution role, and what could make the SDK's own chain look elsewhere. */
const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CREDENTIAL_SCOPE',
  'AWS_ACCOUNT_ID',
  'AWS_PROFILE',
] as const;

const LAMBDA_ENV = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE01',
  AWS_SECRET_ACCESS_KEY: 'secret/of+the/execution-role',
  AWS_SESSION_TOKEN: 'session-token-of-this-environment',
};

const setEnv = (values: Partial<Record<(typeof VARIABLES)[number], string>>) => {
  for (const name of VARIABLES) vi.stubEnv(name, values[name]);
};

/** A client that fails the test if it ever sends anything. */
const clientWith = (provider: typeof defaultProvider) => {
  const sent: unknown[] = [];
  const client = new DynamoDBClient({
    region: 'eu-west-3',
    credentialDefaultProvider: provider as never,
    requestHandler: {
      handle: async (request: unknown) => {
        sent.push(request);
        throw new Error('nothing should be sent');
      },
    },
    maxAttempts: 1,
  });
  return { client, sent };
};

describe('Lambda credentials (the stand-in for the SDK default chain in the bundles)', () => {
  beforeEach(() => setEnv({}));
  afterEach(() => vi.unstubAllEnvs());

  it("resolves the execution role's keys from the environment, session token included", async () => {
    setEnv(LAMBDA_ENV);
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: LAMBDA_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: LAMBDA_ENV.AWS_SECRET_ACCESS_KEY,
      sessionToken: LAMBDA_ENV.AWS_SESSION_TOKEN,
    });
  });

  it('reads the environment when asked, as the SDK does before each signature', async () => {
    const provider = defaultProvider({});
    setEnv(LAMBDA_ENV);
    await expect(provider()).resolves.toMatchObject({ sessionToken: LAMBDA_ENV.AWS_SESSION_TOKEN });
  });

  it('is what an SDK client signs with when given it as credentialDefaultProvider', async () => {
    setEnv(LAMBDA_ENV);
    const { client } = clientWith(defaultProvider);
    const credentials = await client.config.credentials();
    expect(credentials).toMatchObject({
      accessKeyId: LAMBDA_ENV.AWS_ACCESS_KEY_ID,
      sessionToken: LAMBDA_ENV.AWS_SESSION_TOKEN,
    });
  });

  it.each([
    ['no variable at all', {}],
    ['a key without its secret', { AWS_ACCESS_KEY_ID: LAMBDA_ENV.AWS_ACCESS_KEY_ID }],
    ['a secret without its key', { AWS_SECRET_ACCESS_KEY: LAMBDA_ENV.AWS_SECRET_ACCESS_KEY }],
    ['only a profile (no other link to follow)', { AWS_PROFILE: 'default' }],
  ])('rejects with CredentialsProviderError naming the environment when there is %s', async (_, values) => {
    setEnv(values);
    const failure = defaultProvider()();
    await expect(failure).rejects.toThrow('Unable to find environment variable credentials.');
    await expect(failure).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });

  it('without keys an SDK call fails before sending anything, and an API handler answers 500 INTERNAL_ERROR', async () => {
    const { client, sent } = clientWith(defaultProvider);
    const error = await client
      .send(new GetItemCommand({ TableName: 'temba-payments-test', Key: { pk: { S: 'ORDER#1' } } }))
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toMatchObject({
      name: 'CredentialsProviderError',
      message: 'Unable to find environment variable credentials.',
    });
    expect(sent).toEqual([]);
    // Not a throttled or lost DynamoDB answer: never retried, and not a 503.
    expect(classifyWriteError(error)).toBe('fatal');
    const telemetry = new RecordingTelemetry();
    const response = errorResponse(error, 'req-1', telemetry);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({
      error: { code: 'INTERNAL_ERROR', requestId: 'req-1' },
    });
    expect(telemetry.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'unhandled error',
        attributes: expect.objectContaining({
          error: expect.objectContaining({ name: 'CredentialsProviderError' }),
        }),
      }),
    ]);
  });
});
