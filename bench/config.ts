import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { customerAuthSchema } from '../lambdas/shared/contract/auth';
import { ENV } from '../lambdas/shared/contract/env';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../lambdas/shared/contract/metrics';
import { ROUTES } from '../lambdas/shared/contract/routes';
import { TABLE } from '../lambdas/shared/contract/table';
import { loadStageConfig, type StageConfig } from '../lib/config';

/** The repository root and the bench's scratch directory (git-ignored). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCRATCH = join(ROOT, '.bench');

/** The stage whose settings (memory, URLs, store block, limits) the numbers are for. */
export const STAGE = 'prod';
export const stageConfig: StageConfig = loadStageConfig(STAGE);

export const TARGETS = {
  /** Issue 14: a lean build on the runtime it deploys to. */
  bundleBytes: 300 * 1000,
  coldStartMs: 150,
  /** Handler p50 at most this many times its baseline's (issue 11: a lean write path). */
  overheadRatio: { create: 1.5, webhook: 1.3 },
  /** One lifecycle (create, IPN, completed), by the documented rules on AWS-sized items (issue 11). */
  wcuPerLifecycle: 16,
} as const;

export interface Mode {
  readonly quick: boolean;
  /** Fresh node processes per function (and per what-if bundle, in full runs) for the cold start. */
  readonly coldStartRuns: number;
  /** Timed calls of each handler and of its baseline. */
  readonly calls: number;
  /** Untimed calls first, so the JIT, the connection pools and DynamoDB Local are warm. */
  readonly warmupCalls: number;
}

export const modeFrom = (argv: readonly string[]): Mode =>
  argv.includes('--quick')
    ? { quick: true, coldStartRuns: 5, calls: 50, warmupCalls: 10 }
    : { quick: false, coldStartRuns: 20, calls: 1000, warmupCalls: 100 };

/** A Lambda function of this repository: `lambdas/<name>/<name>.handler.ts`. */
export interface BenchFunction {
  readonly name: string;
  /** Relative to ROOT. */
  readonly entry: string;
  /** Deployed by the application stack today (the others only exist in code so far). */
  readonly deployed: boolean;
  /** Configured memory for the stage, when deployed. */
  readonly memoryMb?: number;
  /** The variables the CDK sets on this function (fake ARNs and ids; nothing is called). */
  readonly env: Readonly<Record<string, string>>;
  /** An event the handler answers without any I/O, so the first invocation only builds the context. */
  readonly coldEvent: unknown;
  /** What a cold start must answer `coldEvent` with (deployed functions): anything else is a bench error. */
  readonly coldStatus?: number;
}

const ACCOUNT = stageConfig.env.account;
const REGION = stageConfig.env.region;
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** What `PaymentFunction` sets on every function (construct defaults) and what the Lambda runtime sets. */
const baseEnv = (name: string, memoryMb: number): Record<string, string> => ({
  [ENV.stage]: STAGE,
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_LAMBDA_FUNCTION_NAME: `temba-payments-${STAGE}-${name}`,
  AWS_LAMBDA_FUNCTION_VERSION: '1',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_EC2_METADATA_DISABLED: 'true',
  TZ: ':UTC',
  LANG: 'en_US.UTF-8',
});

/** `usesTable`: the table name only. */
const tableEnv = { [ENV.tableName]: TABLE.nameFor(STAGE) };

/** `readsSecret` ×2, `publishesAlerts`, the PayDunya settings and the public base URL (webhook and create). */
const paydunyaEnv = {
  [ENV.paydunyaSecretArn]: arn('secretsmanager', `secret:temba-payments/${STAGE}/paydunya-keys-AbCdEf`),
  [ENV.signingSecretArn]: arn('secretsmanager', `secret:temba-payments/${STAGE}/callback-signing-GhIjKl`),
  [ENV.criticalTopicArn]: arn('sns', `temba-payments-${STAGE}-critical`),
  [ENV.warningTopicArn]: arn('sns', `temba-payments-${STAGE}-warning`),
  [ENV.paydunyaMode]: stageConfig.paydunya.mode,
  [ENV.paydunyaTimeoutMs]: String(stageConfig.paydunya.timeoutMs),
  [ENV.publicBaseUrl]:
    stageConfig.urls.publicBaseUrl ?? 'https://abcdef1234.execute-api.eu-west-3.amazonaws.com/v1',
};

/**
 * `verifiesCustomerTokens`: the stage's identity provider, as PaymentFunction sets it (JSON of the stage config's
 * `auth`, parsed with the shared schema so the defaults are filled in). Its JWKS is fetched on the first token to
 * verify, never at init; the cold events below carry no token, so nothing is fetched (nor reachable) here.
 */
const authEnv = { [ENV.customerAuth]: JSON.stringify(customerAuthSchema.parse(stageConfig.auth)) };

/** What create-payment gets on top (PII key, checkout URLs, store block, attempt limits, AppConfig ids: flags and fraud rules). */
const createEnv = {
  [ENV.piiKeyArn]: arn('kms', 'key/0a1b2c3d-4e5f-6789-abcd-ef0123456789'),
  [ENV.returnUrl]: stageConfig.urls.returnUrl,
  [ENV.cancelUrl]: stageConfig.urls.cancelUrl,
  [ENV.storeJson]: JSON.stringify(stageConfig.paydunya.store),
  [ENV.customerAttemptMax]: String(stageConfig.limits.customerAttempts.max),
  [ENV.customerAttemptWindowSeconds]: String(stageConfig.limits.customerAttempts.windowSeconds),
  [ENV.appConfigApplication]: 'abc1234',
  [ENV.appConfigEnvironment]: 'def5678',
  [ENV.appConfigProfile]: 'ghi9012',
  [ENV.appConfigFraudRulesProfile]: 'jkl3456',
};

const apiEvent = (fields: Record<string, unknown>) => ({
  headers: {},
  multiValueHeaders: {},
  queryStringParameters: null,
  multiValueQueryStringParameters: null,
  pathParameters: null,
  stageVariables: null,
  body: null,
  isBase64Encoded: false,
  requestContext: { requestId: 'cold-start' },
  ...fields,
});

const memoryOf = (key: keyof StageConfig['functions']): number => stageConfig.functions[key].memoryMb;

/**
 * The deployed functions with the variables `ApplicationStack` sets on each (see lib/stacks/application-stack.ts),
 * then any other `lambdas/<name>/<name>.handler.ts` (not deployed yet: bundle and cold start only, with the
 * context builder it calls).
 */
export const benchFunctions = (): BenchFunction[] => {
  const deployed: BenchFunction[] = [
    {
      name: ROUTES.createPayment.fn,
      entry: `lambdas/${ROUTES.createPayment.fn}/${ROUTES.createPayment.fn}.handler.ts`,
      deployed: true,
      memoryMb: memoryOf('createPayment'),
      env: {
        ...baseEnv(ROUTES.createPayment.fn, memoryOf('createPayment')),
        ...tableEnv,
        ...paydunyaEnv,
        ...createEnv,
        ...authEnv,
      },
      // No Authorization header: 401 before any key is fetched or anything read or written.
      coldStatus: 401,
      coldEvent: apiEvent({
        resource: ROUTES.createPayment.path,
        path: ROUTES.createPayment.path,
        httpMethod: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      }),
    },
    {
      name: ROUTES.paydunyaWebhook.fn,
      entry: `lambdas/${ROUTES.paydunyaWebhook.fn}/${ROUTES.paydunyaWebhook.fn}.handler.ts`,
      deployed: true,
      memoryMb: memoryOf('webhook'),
      env: { ...baseEnv(ROUTES.paydunyaWebhook.fn, memoryOf('webhook')), ...tableEnv, ...paydunyaEnv },
      // An empty IPN: acknowledged, nothing read.
      coldStatus: 200,
      coldEvent: apiEvent({
        resource: ROUTES.paydunyaWebhook.path,
        path: ROUTES.paydunyaWebhook.path,
        httpMethod: 'POST',
      }),
    },
    {
      name: ROUTES.getPayment.fn,
      entry: `lambdas/${ROUTES.getPayment.fn}/${ROUTES.getPayment.fn}.handler.ts`,
      deployed: true,
      memoryMb: memoryOf('paymentStatus'),
      env: { ...baseEnv(ROUTES.getPayment.fn, memoryOf('paymentStatus')), ...tableEnv, ...authEnv },
      // No Authorization header: 401 before any key is fetched or anything read.
      coldStatus: 401,
      coldEvent: apiEvent({
        resource: ROUTES.getPayment.path,
        path: '/payments/not-an-order',
        httpMethod: 'GET',
        pathParameters: { orderId: 'not-an-order' },
      }),
    },
  ];
  const known = new Set(deployed.map((fn) => fn.name));
  const others: BenchFunction[] = readdirSync(join(ROOT, 'lambdas'))
    .filter((name) => !known.has(name) && existsSync(join(ROOT, 'lambdas', name, `${name}.handler.ts`)))
    .sort()
    .map((name) => ({
      name,
      entry: `lambdas/${name}/${name}.handler.ts`,
      deployed: false,
      // Not deployed: the widest set, so whichever context builder it calls finds its variables.
      env: { ...baseEnv(name, 512), ...tableEnv, ...paydunyaEnv, ...createEnv, ...authEnv },
      // API handlers: an unknown route or a bad date answers 4xx; scheduled handlers: an unknown task is refused.
      coldEvent: apiEvent({
        resource: ROUTES.adminReport.path,
        path: '/admin/reports/not-a-date',
        httpMethod: 'GET',
        pathParameters: { date: 'not-a-date' },
        task: 'bench-cold-start',
      }),
    }));
  return [...deployed, ...others];
};
