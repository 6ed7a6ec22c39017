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
import { createDynamoRiskCounters } from '../store/risk-counters';
import { createDeployedSnsAlerts } from './aws-adapters';
import { createPaydunyaCircuit } from './circuit-breaker';
import { createDeduplicatingAlerts } from './deduplicating-alerts';
import { requireEnv } from './env';
import {
  APPCONFIG_EXTENSION_DEFAULT_PORT,
  createExtensionFlags,
  createExtensionFraudRules,
} from './extension-flags';
import { extensionPort } from './extension-http';
import { createExtensionSecrets, SECRETS_EXTENSION_DEFAULT_PORT } from './extension-secrets';
import { createJwtAuthenticator } from './jwt-authenticator';
import { createDeployedKmsKeyManager } from './kms-key-manager';
import { redactingSecrets } from './log-redaction';
import { logger, metrics } from './powertools';
import { createPowertoolsTelemetry } from './powertools-telemetry';

/**
 * Contexts for the deployed functions, built once per cold start from the environment the CDK function
 * construct sets. Each function gets only the adapters it uses (and the IAM grants that go with them).
 *
 * Of the AWS SDK, a function bundles DynamoDB, plus SNS (alerts) where it can alert and KMS where it seals or opens
 * contact details. Secrets and flags come from the AWS Parameters and Secrets and AppConfig Lambda extensions over
 * loopback HTTP (they cache outside the function), not from two more SDK clients. SNS and KMS are imported
 * statically on purpose: loading them with `import()` was measured (bench/lean-build.md, step 2) and made each
 * bundle 18–42 KB bigger (esbuild cannot tree-shake a client it must initialise lazily inside one output file)
 * for no cold-start gain measurable on the bench machine.
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

/** The base context, and its document client for the other adapters on the same table (one pool per container). */
const buildTable = () => {
  logger.appendPersistentKeys({ stage: requireEnv(ENV.stage) });
  const documents = createDocumentClient();
  const tableName = requireEnv(ENV.tableName);
  const base: BaseContext = {
    store: createDynamoPaymentStore(documents, tableName),
    telemetry: createPowertoolsTelemetry(logger, metrics),
    clock: { now: () => new Date() },
  };
  return { base, documents, tableName };
};

/** The stage's identity provider (ENV.customerAuth, set by the CDK from the typed stage config). */
const customerAuth = (telemetry: BaseContext['telemetry']) =>
  createJwtAuthenticator(customerAuthSchema.parse(JSON.parse(requireEnv(ENV.customerAuth))), telemetry);

export const buildStatusContext = (): StatusContext => {
  const { base } = buildTable();
  return { ...base, auth: customerAuth(base.telemetry) };
};

const snsAlerts = (stage: string, base: BaseContext) => {
  const topics = { critical: requireEnv(ENV.criticalTopicArn), warning: requireEnv(ENV.warningTopicArn) };
  // A storm of identical alerts (forged webhooks, an open circuit) pages once per window, across warm instances.
  return createDeduplicatingAlerts(createDeployedSnsAlerts(stage, topics), {
    stage,
    store: base.store,
    clock: base.clock,
    telemetry: base.telemetry,
  });
};

/** Both PayDunya secrets through the Parameters and Secrets extension (ports: its variable, else its default). */
const extensionSecrets = (telemetry: BaseContext['telemetry']) =>
  createExtensionSecrets({
    paydunyaSecretId: requireEnv(ENV.paydunyaSecretArn),
    signingSecretId: requireEnv(ENV.signingSecretArn),
    port: extensionPort(process.env[ENV.secretsExtensionPort], SECRETS_EXTENSION_DEFAULT_PORT),
    // Set by Lambda in every execution environment: the extension only answers requests that carry it.
    sessionToken: () => process.env.AWS_SESSION_TOKEN,
    telemetry,
  });

export const buildWebhookContext = (): WebhookContext => {
  const stage = requireEnv(ENV.stage);
  const timeoutMs = z.coerce
    .number()
    .int()
    .min(500)
    .max(20_000)
    .parse(process.env[ENV.paydunyaTimeoutMs] ?? DEFAULT_PAYDUNYA_TIMEOUT_MS);
  const { base, documents, tableName } = buildTable();
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
    secrets: redactingSecrets(extensionSecrets(base.telemetry)),
    alerts,
    // Fraud screening's counters: the webhook counts failed and paid orders on them.
    risk: createDynamoRiskCounters(documents, tableName, { telemetry: base.telemetry }),
  };
};

const appConfigFlags = (telemetry: BaseContext['telemetry']) =>
  createExtensionFlags({
    application: requireEnv(ENV.appConfigApplication),
    environment: requireEnv(ENV.appConfigEnvironment),
    profile: requireEnv(ENV.appConfigProfile),
    port: extensionPort(process.env[ENV.appConfigExtensionPort], APPCONFIG_EXTENSION_DEFAULT_PORT),
    telemetry,
  });

const refundDeps = (telemetry: BaseContext['telemetry']) => ({
  flags: appConfigFlags(telemetry),
  keys: createDeployedKmsKeyManager(requireEnv(ENV.piiKeyArn)),
  config: { publicBaseUrl: z.url().parse(requireEnv(ENV.publicBaseUrl)) },
});

export const buildReconcileContext = (): ReconcileContext => {
  const webhook = buildWebhookContext();
  return { ...webhook, ...refundDeps(webhook.telemetry) };
};

export const buildAdminContext = (): AdminContext => {
  const webhook = buildWebhookContext();
  return { ...webhook, ...refundDeps(webhook.telemetry) };
};

export const buildCreatePaymentContext = (): AppContext => {
  const webhook = buildWebhookContext();
  return {
    ...webhook,
    auth: customerAuth(webhook.telemetry),
    flags: appConfigFlags(webhook.telemetry),
    fraudRules: createExtensionFraudRules({
      application: requireEnv(ENV.appConfigApplication),
      environment: requireEnv(ENV.appConfigEnvironment),
      profile: requireEnv(ENV.appConfigFraudRulesProfile),
      port: extensionPort(process.env[ENV.appConfigExtensionPort], APPCONFIG_EXTENSION_DEFAULT_PORT),
      telemetry: webhook.telemetry,
    }),
    keys: createDeployedKmsKeyManager(requireEnv(ENV.piiKeyArn)),
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
