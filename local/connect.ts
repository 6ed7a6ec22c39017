import { join } from 'node:path';
import type { AppContext } from '../lambdas/shared/domain/context';
import { PAYDUNYA_BASE_URLS } from '../lambdas/shared/paydunya/paydunya.client';
import { waitForDynamo } from './dynamodb-local';
import { buildLocalContext } from './local-context';
import { LOCAL_DIR, localContextOptions, localEnv } from './local-env';
import { localIssuerAuth, localIssuerUrl } from './local-issuer';

/**
 * The context of a running `npm start` (its DynamoDB Local, simulator and files), for operator commands that run
 * in their own process. Fails with a clear message when local mode is not running.
 */
export const connectToLocalMode = async (): Promise<AppContext> => {
  const options = localContextOptions(
    {
      secretsFile: join(LOCAL_DIR, 'secrets.json'),
      flagsFile: join(LOCAL_DIR, 'flags.json'),
      alertsLog: join(LOCAL_DIR, 'alerts.log'),
    },
    localEnv.PAYDUNYA_MODE === 'test'
      ? PAYDUNYA_BASE_URLS
      : {
          test: `http://127.0.0.1:${localEnv.SIMULATOR_PORT}/sandbox-api/v1`,
          live: `http://127.0.0.1:${localEnv.SIMULATOR_PORT}/api/v1`,
        },
    localIssuerAuth(localIssuerUrl(localEnv.ISSUER_PORT)),
  );
  try {
    await waitForDynamo(options.dynamoEndpoint, 2_000);
  } catch {
    throw new Error(
      `Local mode is not running (no DynamoDB Local on ${options.dynamoEndpoint}): start it with npm start`,
    );
  }
  return buildLocalContext(options);
};
