import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CustomerAuthConfig } from '../lambdas/shared/contract/auth';
import type { StoreInfo } from '../lambdas/shared/contract/store-info';
import { THRESHOLDS } from '../lambdas/shared/contract/thresholds';
import type { AppContext } from '../lambdas/shared/domain/context';
import type { PaymentMode } from '../lambdas/shared/domain/order';
import type { Telemetry } from '../lambdas/shared/domain/ports';
import type { HttpFetch } from '../lambdas/shared/paydunya/keep-alive-fetch';
import { createPaydunyaClient } from '../lambdas/shared/paydunya/paydunya.client';
import { type CallGuard, createPaydunyaCircuit } from '../lambdas/shared/platform/circuit-breaker';
import { createDeduplicatingAlerts } from '../lambdas/shared/platform/deduplicating-alerts';
import { createJwtAuthenticator } from '../lambdas/shared/platform/jwt-authenticator';
import { redactingSecrets } from '../lambdas/shared/platform/log-redaction';
import { logger, metrics } from '../lambdas/shared/platform/powertools';
import { createPowertoolsTelemetry } from '../lambdas/shared/platform/powertools-telemetry';
import { createDocumentClient } from '../lambdas/shared/store/dynamo-client';
import { createDynamoPaymentStore } from '../lambdas/shared/store/dynamo-payment-store';
import { createDynamoRiskCounters } from '../lambdas/shared/store/risk-counters';
import { LOCAL_AWS } from './dynamodb-local';
import {
  createFileFlags,
  createFileFraudRules,
  createFileSecrets,
  createLocalKeyManager,
  createLogAlerts,
  readLocalSecrets,
} from './local-adapters';
import { fraudRulesFileBeside } from './local-files';

export interface LocalContextOptions {
  readonly tableName: string;
  readonly dynamoEndpoint: string;
  /**
   * Client settings for a DynamoDB that is not DynamoDB Local (DYNAMODB_ENDPOINT off loopback: a real table, with the
   * SDK's own credentials and region); DynamoDB Local's dummy credentials otherwise.
   */
  readonly dynamoClientConfig?: DynamoDBClientConfig;
  /** PayDunya API roots; the simulator's in local mode, PayDunya's own sandbox when real keys are given. */
  readonly paydunyaBaseUrls?: Readonly<Record<PaymentMode, string>>;
  readonly paydunyaTimeoutMs?: number;
  readonly paydunyaMode?: PaymentMode;
  /** PayDunya's HTTP transport; a keep-alive pool of the client's own by default. */
  readonly paydunyaFetch?: HttpFetch;
  /** The PayDunya circuit breaker; by default one with the production settings, reporting to this context. */
  readonly circuit?: CallGuard;
  readonly secretsFile: string;
  readonly flagsFile: string;
  readonly alertsLog: string;
  readonly publicBaseUrl: string;
  readonly returnUrl: string;
  readonly cancelUrl: string;
  readonly store: StoreInfo;
  /** How customer tokens are verified: the local issuer's (local/local-issuer.ts), or a real provider's. */
  readonly customerAuth: CustomerAuthConfig;
  readonly telemetry?: Telemetry;
  readonly customerAttempts?: { readonly max: number; readonly windowSeconds: number };
  readonly printAlert?: (line: string) => void;
  /** Called with the document client as soon as it exists, e.g. to attach a DynamoDB fault injector to it. */
  readonly instrumentDynamo?: (client: DynamoDBDocumentClient) => void;
}

export const LOCAL_STORE: StoreInfo = {
  name: 'Temba (local)',
  tagline: 'Your Premier Event Ticketing Platform',
  phone: '+226 74 75 08 15',
  postal_address: 'Secteur 23, Zone 1, Section KC, Parcelle 09-10, Ouagadougou, Burkina Faso',
  website_url: 'https://temba.app',
};

/**
 * The same AppContext the Lambdas get, with local adapters: DynamoDB Local instead of DynamoDB, files instead of
 * Secrets Manager and AppConfig, a local key instead of KMS, a log file instead of SNS.
 */
export const buildLocalContext = async (options: LocalContextOptions): Promise<AppContext> => {
  const secrets = await readLocalSecrets(options.secretsFile);
  const documents = createDocumentClient(
    options.dynamoClientConfig ?? { ...LOCAL_AWS, endpoint: options.dynamoEndpoint },
  );
  options.instrumentDynamo?.(documents);
  const telemetry = options.telemetry ?? createPowertoolsTelemetry(logger, metrics);
  const store = createDynamoPaymentStore(documents, options.tableName);
  const clock = { now: () => new Date() };
  // The same de-duplication as on AWS, claimed in the local table: a storm of identical alerts is logged once.
  const alerts = createDeduplicatingAlerts(createLogAlerts(options.alertsLog, 'local', options.printAlert), {
    stage: 'local',
    store,
    clock,
    telemetry,
  });
  const paydunya = createPaydunyaClient({
    timeoutMs: options.paydunyaTimeoutMs ?? 8_000,
    ...(options.paydunyaBaseUrls ? { baseUrls: options.paydunyaBaseUrls } : {}),
    ...(options.paydunyaFetch ? { fetch: options.paydunyaFetch } : {}),
    guard: options.circuit ?? createPaydunyaCircuit({ telemetry, alerts }),
  });
  return {
    config: {
      stage: 'local',
      paydunyaMode: options.paydunyaMode ?? 'test',
      publicBaseUrl: options.publicBaseUrl,
      returnUrl: options.returnUrl,
      cancelUrl: options.cancelUrl,
      store: options.store,
      customerAttempts: options.customerAttempts ?? THRESHOLDS.customerAttempts,
    },
    store,
    gateway: paydunya,
    disbursements: paydunya,
    secrets: redactingSecrets(createFileSecrets(options.secretsFile)),
    flags: createFileFlags(options.flagsFile),
    // The AppConfig fraud rules profile's twin: `.local/fraud-rules.json`, beside the flags file.
    fraudRules: createFileFraudRules(fraudRulesFileBeside(options.flagsFile)),
    risk: createDynamoRiskCounters(documents, options.tableName, { telemetry }),
    alerts,
    auth: createJwtAuthenticator(options.customerAuth, telemetry),
    keys: createLocalKeyManager(secrets.pii_key),
    telemetry,
    clock,
  };
};
