import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { customerAuthSchema } from '../contract/auth';
import { ENV } from '../contract/env';
import { storeInfoSchema } from '../contract/store-info';
import { THRESHOLDS } from '../contract/thresholds';
import type { AppContext, IpnDeps, RefundDeps } from '../domain/context';
import type { ReportDeps } from '../domain/daily-report';
import { createPaydunyaClient } from '../paydunya/paydunya.client';
import { createDocumentClient } from '../store/dynamo-client';
import { createDynamoPaymentStore } from '../store/dynamo-payment-store';
import {
  createAppConfigFlags,
  createKmsKeyManager,
  createSecretsManagerSecrets,
  createSnsAlerts,
} from './aws-adapters';
import { createPaydunyaCircuit } from './circuit-breaker';
import { createDeduplicatingAlerts } from './deduplicating-alerts';
import { requireEnv } from './env';
import { createJwtAuthenticator } from './jwt-authenticator';
import { redactingSecrets } from './log-redaction';
import { logger, metrics } from './powertools';
import { createPowertoolsTelemetry } from './powertools-telemetry';

/**
 * Contexts for the deployed functions, built once per cold start from the environment the CDK function
 * construct sets. Each function gets only the adapters it uses (and the IAM grants that go with them).
 */
/** What every function has: the table, telemetry and a clock. */
type BaseContext = Pick<AppContext, 'store' | 'telemetry' | 'clock'>;
/** GET /payments and GET /payments/{orderId}: a signed-in customer's own orders. */
export type StatusContext = BaseContext & Pick<AppContext, 'auth'>;
/** The webhook settles payments (IPN) and submitted refunds (PayDunya's disbursement callback). */
export type WebhookContext = IpnDeps & Pick<AppContext, 'disbursements'>;
/** Reconcile: payments, refunds to resume, fulfilment acknowledgements to watch. */
export type ReconcileContext = WebhookContext & RefundDeps;
/** The internal routes: reports, review decisions, fulfilment, refunds (paid out inline through PayDunya). */
export type AdminContext = ReportDeps & RefundDeps;

const DEFAULT_PAYDUNYA_TIMEOUT_MS = 8_000;
const positiveInt = z.coerce.number().int().positive();

const buildBaseContext = (): BaseContext => {
  logger.appendPersistentKeys({ stage: requireEnv(ENV.stage) });
  return {
    store: createDynamoPaymentStore(createDocumentClient(), requireEnv(ENV.tableName)),
    telemetry: createPowertoolsTelemetry(logger, metrics),
    clock: { now: () => new Date() },
  };
};

/** The stage's identity provider (ENV.customerAuth, set by the CDK from the typed stage config). */
const customerAuth = (telemetry: BaseContext['telemetry']) =>
  createJwtAuthenticator(customerAuthSchema.parse(JSON.parse(requireEnv(ENV.customerAuth))), telemetry);

export const buildStatusContext = (): StatusContext => {
  const base = buildBaseContext();
  return { ...base, auth: customerAuth(base.telemetry) };
};

const snsAlerts = (stage: string, base: BaseContext) =>
  // A storm of identical alerts (forged webhooks, an open circuit) pages once per window, across warm instances.
  createDeduplicatingAlerts(
    createSnsAlerts(new SNSClient({}), stage, {
      critical: requireEnv(ENV.criticalTopicArn),
      warning: requireEnv(ENV.warningTopicArn),
    }),
    { stage, store: base.store, clock: base.clock, telemetry: base.telemetry },
  );

export const buildWebhookContext = (): WebhookContext => {
  const stage = requireEnv(ENV.stage);
  const timeoutMs = z.coerce
    .number()
    .int()
    .min(500)
    .max(20_000)
    .parse(process.env[ENV.paydunyaTimeoutMs] ?? DEFAULT_PAYDUNYA_TIMEOUT_MS);
  const base = buildBaseContext();
  const alerts = snsAlerts(stage, base);
  // One keep-alive pool and one circuit breaker per warm container (built once per cold start).
  const paydunya = createPaydunyaClient({
    timeoutMs,
    guard: createPaydunyaCircuit({ telemetry: base.telemetry, alerts }),
  });
  return {
    ...base,
    gateway: paydunya,
    disbursements: paydunya,
    // Secret values, once read, are redacted from every log line wherever they appear.
    secrets: redactingSecrets(
      createSecretsManagerSecrets(requireEnv(ENV.paydunyaSecretArn), requireEnv(ENV.signingSecretArn)),
    ),
    alerts,
  };
};

const appConfigFlags = () =>
  createAppConfigFlags(
    requireEnv(ENV.appConfigApplication),
    requireEnv(ENV.appConfigEnvironment),
    requireEnv(ENV.appConfigProfile),
  );

const refundDeps = () => ({
  flags: appConfigFlags(),
  keys: createKmsKeyManager(new KMSClient({}), requireEnv(ENV.piiKeyArn)),
  config: { publicBaseUrl: z.url().parse(requireEnv(ENV.publicBaseUrl)) },
});

export const buildReconcileContext = (): ReconcileContext => ({ ...buildWebhookContext(), ...refundDeps() });

export const buildAdminContext = (): AdminContext => ({ ...buildWebhookContext(), ...refundDeps() });

export const buildCreatePaymentContext = (): AppContext => {
  const webhook = buildWebhookContext();
  return {
    ...webhook,
    auth: customerAuth(webhook.telemetry),
    flags: appConfigFlags(),
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
  };
};
