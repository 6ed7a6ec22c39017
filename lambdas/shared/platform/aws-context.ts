import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ENV } from '../contract/env';
import { storeInfoSchema } from '../contract/store-info';
import { THRESHOLDS } from '../contract/thresholds';
import type { AppContext, IpnDeps } from '../domain/context';
import { createPaydunyaClient } from '../paydunya/paydunya.client';
import { createDocumentClient } from '../store/dynamo-client';
import { createDynamoPaymentStore } from '../store/dynamo-payment-store';
import {
  createAppConfigFlags,
  createKmsKeyManager,
  createSecretsManagerSecrets,
  createSnsAlerts,
} from './aws-adapters';
import { requireEnv } from './env';
import { logger, metrics } from './powertools';
import { createPowertoolsTelemetry } from './powertools-telemetry';

/**
 * Contexts for the deployed functions, built once per cold start from the environment the CDK function
 * construct sets. Each function gets only the adapters it uses (and the IAM grants that go with them).
 */
export type StatusContext = Pick<AppContext, 'store' | 'telemetry' | 'clock'>;
export type WebhookContext = IpnDeps;

const DEFAULT_PAYDUNYA_TIMEOUT_MS = 8_000;
const positiveInt = z.coerce.number().int().positive();

export const buildStatusContext = (): StatusContext => {
  logger.appendPersistentKeys({ stage: requireEnv(ENV.stage) });
  return {
    store: createDynamoPaymentStore(createDocumentClient(), requireEnv(ENV.tableName)),
    telemetry: createPowertoolsTelemetry(logger, metrics),
    clock: { now: () => new Date() },
  };
};

export const buildWebhookContext = (): WebhookContext => {
  const stage = requireEnv(ENV.stage);
  const timeoutMs = z.coerce
    .number()
    .int()
    .min(500)
    .max(20_000)
    .parse(process.env[ENV.paydunyaTimeoutMs] ?? DEFAULT_PAYDUNYA_TIMEOUT_MS);
  return {
    ...buildStatusContext(),
    gateway: createPaydunyaClient({ timeoutMs }),
    secrets: createSecretsManagerSecrets(requireEnv(ENV.paydunyaSecretArn), requireEnv(ENV.signingSecretArn)),
    alerts: createSnsAlerts(new SNSClient({}), stage, {
      critical: requireEnv(ENV.criticalTopicArn),
      warning: requireEnv(ENV.warningTopicArn),
    }),
  };
};

export const buildCreatePaymentContext = (): AppContext => ({
  ...buildWebhookContext(),
  flags: createAppConfigFlags(
    requireEnv(ENV.appConfigApplication),
    requireEnv(ENV.appConfigEnvironment),
    requireEnv(ENV.appConfigProfile),
  ),
  keys: createKmsKeyManager(new KMSClient({}), requireEnv(ENV.piiKeyArn)),
  config: {
    stage: requireEnv(ENV.stage),
    paydunyaMode: z.enum(['test', 'live']).parse(requireEnv(ENV.paydunyaMode)),
    publicBaseUrl: z.url().parse(requireEnv(ENV.publicBaseUrl)),
    returnUrl: z.url().parse(requireEnv(ENV.returnUrl)),
    cancelUrl: z.url().parse(requireEnv(ENV.cancelUrl)),
    store: storeInfoSchema.parse(JSON.parse(requireEnv(ENV.storeJson))),
    customerAttempts: {
      max: positiveInt.parse(process.env[ENV.customerAttemptMax] ?? THRESHOLDS.customerAttempts.max),
      windowSeconds: positiveInt.parse(
        process.env[ENV.customerAttemptWindowSeconds] ?? THRESHOLDS.customerAttempts.windowSeconds,
      ),
    },
  },
});
