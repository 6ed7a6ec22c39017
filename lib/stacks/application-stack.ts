import { fileURLToPath } from 'node:url';
import { CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LambdaApplication } from 'aws-cdk-lib/aws-codedeploy';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/shared/contract/env';
import { LIMITS, ROUTES, type RouteName } from '../../lambdas/shared/contract/routes';
import { TABLE } from '../../lambdas/shared/contract/table';
import { THRESHOLDS } from '../../lambdas/shared/contract/thresholds';
import { PUBLIC_ROUTE_REASONS } from '../compliance/nag-acknowledgements';
import { type StageConfig, stageFlags, stageFraudRules } from '../config';
import { DATA_REFERENCES_OUTPUT } from '../config/deploy-order';
import { AlertTopics } from '../constructs/alert-topics';
import { ApiFirewall } from '../constructs/api-firewall';
import { AsyncFailures } from '../constructs/async-failures';
import { CustomerComplaints } from '../constructs/customer-complaints';
import { FeatureFlags } from '../constructs/feature-flags';
import { FraudKpis } from '../constructs/fraud-kpis';
import { FulfilmentOperations } from '../constructs/fulfilment-operations';
import { PaymentEvents } from '../constructs/payment-events';
import { PaymentFunction } from '../constructs/payment-function';
import { PaymentsApi, type RouteOptions, WEBHOOKS_PREFIX } from '../constructs/payments-api';
import { PaymentsMonitoring } from '../constructs/payments-monitoring';
import { ReconcileOperations } from '../constructs/reconcile-operations';
import { RESTORE_DRILL_FUNCTION, RESTORE_DRILL_STAGES, RestoreDrill } from '../constructs/restore-drill';
import type { PaymentsData } from './data-stack';

export interface ApplicationStackProps extends StackProps {
  readonly config: StageConfig;
  /** The data stack's resources, received rather than looked up. */
  readonly data: PaymentsData;
}

type FunctionSettings = StageConfig['functions'][keyof StageConfig['functions']];

/** Absolute path of a handler entry under `lambdas/`, independent of the working directory. */
/**
 * Every value of the data stack the application stack may read, as tokens: listed in the `DataStackReferences`
 * output, each becomes the Fn::GetStackOutput the stack resolved when it was deployed.
 */
const dataStackReferences = (data: PaymentsData): string[] => [
  data.table.tableName,
  data.table.tableArn,
  data.tableStreamArn,
  ...[data.tableKey, data.piiKey, data.logsKey].map((key) => key.keyArn),
  ...[data.paydunyaSecret, data.signingSecret].map((secret) => secret.secretArn),
];

const handlerEntry = (fn: string): string =>
  fileURLToPath(new URL(`../../lambdas/${fn}/${fn}.handler.ts`, import.meta.url));

/**
 * The routes without an API Gateway authorizer, with why (cdk-nag APIG4/COG4 acknowledgements carry these): the
 * customer routes (`auth: 'customer'`), whose handlers verify the caller's bearer token before anything else, and
 * PayDunya's callbacks (`auth: 'paydunya'`). The operator and service routes (OPERATOR_ROUTES) are IAM-authorised:
 * `api.addRoute` maps their `auth: 'iam'` to AWS_IAM. No public route moves money back: refunds and fulfilment are
 * IAM only.
 */
export const PUBLIC_ROUTES = [
  'createPayment',
  'listPayments',
  'getPayment',
  'paydunyaWebhook',
  'disbursementWebhook',
] as const satisfies readonly RouteName[];
export type PublicRouteName = (typeof PUBLIC_ROUTES)[number];

/**
 * Public routes with their own API Gateway throttle from the stage config (`api.routeThrottling`); the others (the
 * disbursement callback: one per refund) get a bucket of the stage default, per method.
 */
export const THROTTLED_ROUTES = [
  'createPayment',
  'listPayments',
  'getPayment',
  'paydunyaWebhook',
] as const satisfies readonly (keyof StageConfig['api']['routeThrottling'] & PublicRouteName)[];

/**
 * Operator and service routes, served by the admin function: SigV4-signed by IAM principals (operators, Temba's
 * ticketing and support tools), never called by browsers.
 */
export const OPERATOR_ROUTES = [
  'adminReport',
  'adminReview',
  'recordFulfilment',
  'requestRefund',
  'recordComplaint',
  'findByReference',
] as const satisfies readonly RouteName[];
export type OperatorRouteName = (typeof OPERATOR_ROUTES)[number];
const OPERATOR_ROUTE_OPTIONS: Record<OperatorRouteName, RouteOptions> = {
  adminReport: {},
  adminReview: { jsonObjectBody: true },
  recordFulfilment: { jsonObjectBody: true },
  requestRefund: { jsonObjectBody: true },
  recordComplaint: { jsonObjectBody: true },
  findByReference: {},
};

/**
 * Why the customer routes have no API Gateway authorizer although they are authenticated: the handler verifies the
 * bearer JWT itself (jose; the stage's JWKS, issuer, audience, asymmetric algorithms, expiry), before it reads or
 * writes anything. The same code then runs in local mode; a Lambda authorizer would add an invocation per request
 * (or, with its result cache, keep accepting a token for the cache's TTL after it expired), while the handler
 * caches only the public keys, per warm container. Each public route's reason is kept with the other cdk-nag
 * acknowledgements (PUBLIC_ROUTE_REASONS, lib/compliance/nag-acknowledgements.ts).
 */
const ROUTE_OPTIONS: Record<PublicRouteName, RouteOptions> = {
  createPayment: { jsonObjectBody: true, cors: true, publicBecause: PUBLIC_ROUTE_REASONS.createPayment },
  listPayments: { cors: true, publicBecause: PUBLIC_ROUTE_REASONS.listPayments },
  getPayment: { cors: true, publicBecause: PUBLIC_ROUTE_REASONS.getPayment },
  paydunyaWebhook: { publicBecause: PUBLIC_ROUTE_REASONS.paydunyaWebhook },
  disbursementWebhook: { publicBecause: PUBLIC_ROUTE_REASONS.disbursementWebhook },
};

/**
 * The stateless half of a stage: API + WAF, the functions (alias `live`, CodeDeploy), feature flags
 * (AppConfig), alert topics, alarms and the dashboard. It can be destroyed and redeployed at will; everything
 * it stores lives in the data stack it receives.
 */
export class ApplicationStack extends Stack {
  readonly api: PaymentsApi;
  readonly functions: Readonly<Record<PublicRouteName, PaymentFunction>>;
  /** Scheduled: reconcile runs (orders, refunds to resume, acknowledgements overdue) and the daily report. */
  readonly reconcile: PaymentFunction;
  /** The operator and service routes (reports, review decisions, fulfilment, refunds, complaints, lookups by reference). */
  readonly admin: PaymentFunction;
  /** Reads the table's stream and puts payment events on the bus. */
  readonly eventPublisher: PaymentFunction;
  /** Every function of the stack, each once. */
  readonly allFunctions: readonly PaymentFunction[];
  readonly reconcileOperations: ReconcileOperations;
  /** The payment events bus, its archive, the stream mapping and its alarms. */
  readonly events: PaymentEvents;
  /** Acknowledgement and refund alarms, and their dashboard row. */
  readonly fulfilmentOperations: FulfilmentOperations;
  /** The complaints rollback alarm (not an AppConfig monitor, not a CodeDeploy trigger) and its dashboard row. */
  readonly complaints: CustomerComplaints;
  /** The monthly backup-restoration drill, where data is kept (staging, prod). */
  readonly restoreDrill: RestoreDrill | undefined;
  readonly alerts: AlertTopics;
  readonly monitoring: PaymentsMonitoring;
  readonly flags: FeatureFlags;
  readonly firewall: ApiFirewall;
  private readonly config: StageConfig;
  private readonly deployments: LambdaApplication;
  private readonly logRemovalPolicy: RemovalPolicy;
  /** The data stack's logs key: every log group of this stack is encrypted with it. */
  private readonly logKey: IKey;
  /** Where anything asynchronous that gave up is recorded (scheduled runs, schedule targets, alert deliveries). */
  readonly asyncFailures: AsyncFailures;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    this.config = config;
    // Logs are evidence: kept after a teardown wherever data is kept (their names never block a redeploy).
    this.logRemovalPolicy = config.removal.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.logKey = data.logsKey;

    this.asyncFailures = new AsyncFailures(this, 'AsyncFailures', { stage: config.stage });
    this.alerts = new AlertTopics(this, 'Alerts', {
      stage: config.stage,
      subscriptions: config.alerts,
      // The alerts key only protects messages in flight: nothing to keep once the topics are gone.
      removalPolicy: RemovalPolicy.DESTROY,
      deadLetterQueue: this.asyncFailures.queue,
    });
    // Critical: a record there is a scheduled run, a schedule or an alert delivery that gave up for good.
    this.asyncFailures.alarmsTo(this.alerts.critical);
    this.deployments = new LambdaApplication(this, 'Deployments', {
      applicationName: `temba-payments-${config.stage}`,
    });
    this.api = new PaymentsApi(this, 'Api', {
      stage: config.stage,
      corsOrigins: config.api.corsOrigins,
      throttling: config.api.throttling,
      // Each public route its own bucket: a polling flood on GET cannot spend what POST /payments needs.
      methodThrottling: THROTTLED_ROUTES.map((name) => ({
        method: ROUTES[name].method,
        path: ROUTES[name].path,
        ...config.api.routeThrottling[name],
      })),
      customDomain: config.api.customDomain,
      logRetention: config.logRetentionDays as RetentionDays,
      logRemovalPolicy: this.logRemovalPolicy,
      logKey: this.logKey,
    });
    const publicBaseUrl = config.urls.publicBaseUrl ?? this.api.publicBaseUrl;

    const createPayment = this.addFunction(ROUTES.createPayment.fn, config.functions.createPayment)
      // Admission: single-item writes (key, order, attempt, limit slice) and, when a slice is full, a read of
      // every slice (BatchGetItem) and a transaction over several; undoing a refused checkout deletes its order.
      .usesTable(data.table, data.tableKey, [
        'GetItem',
        'BatchGetItem',
        'Query',
        'PutItem',
        'UpdateItem',
        'DeleteItem',
        'ConditionCheckItem',
      ])
      .encryptsPiiWith(data.piiKey)
      .readsSecret(ENV.paydunyaSecretArn, data.paydunyaSecret)
      .readsSecret(ENV.signingSecretArn, data.signingSecret)
      .publishesAlerts(this.alerts)
      .setsEnv(ENV.paydunyaMode, config.paydunya.mode)
      .setsEnv(ENV.paydunyaTimeoutMs, String(config.paydunya.timeoutMs))
      .setsEnv(ENV.publicBaseUrl, publicBaseUrl)
      .setsEnv(ENV.returnUrl, config.urls.returnUrl)
      .setsEnv(ENV.cancelUrl, config.urls.cancelUrl)
      .setsEnv(ENV.storeJson, JSON.stringify(config.paydunya.store))
      .setsEnv(ENV.customerAttemptMax, String(config.limits.customerAttempts.max))
      .setsEnv(ENV.customerAttemptWindowSeconds, String(config.limits.customerAttempts.windowSeconds))
      .verifiesCustomerTokens(config.auth)
      .setsEnv(ENV.corsAllowedOrigins, config.api.corsOrigins.join(','));

    // GET /payments/{orderId} reads one order; GET /payments pages through the caller's ids on the byOwner index,
    // then reads each order.
    const paymentStatus = this.addFunction(ROUTES.getPayment.fn, config.functions.paymentStatus)
      .usesTable(data.table, data.tableKey, ['GetItem', 'Query'], {
        queryIndexes: [TABLE.indexes.byOwner.name],
      })
      .verifiesCustomerTokens(config.auth)
      .setsEnv(ENV.corsAllowedOrigins, config.api.corsOrigins.join(','));

    // An IPN updates the order and its own audit trail in one write (a transaction with the limit slices when it
    // ends unpaid); a late payment is counted in the day's limit (BatchGetItem reads the slices) and re-issues a
    // report already made for the day it leaves (byDay index, report item). A disbursement callback (same function)
    // only triggers a check-status call and the refund's audited update on its order.
    const webhook = this.addFunction(ROUTES.paydunyaWebhook.fn, config.functions.webhook)
      .usesTable(data.table, data.tableKey, ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], {
        queryIndexes: [TABLE.indexes.byToken.name, TABLE.indexes.byDay.name],
      })
      .readsSecret(ENV.paydunyaSecretArn, data.paydunyaSecret)
      .readsSecret(ENV.signingSecretArn, data.signingSecret)
      .publishesAlerts(this.alerts)
      .setsEnv(ENV.paydunyaMode, config.paydunya.mode)
      .setsEnv(ENV.paydunyaTimeoutMs, String(config.paydunya.timeoutMs))
      .setsEnv(ENV.publicBaseUrl, publicBaseUrl);

    this.functions = {
      createPayment,
      listPayments: paymentStatus,
      getPayment: paymentStatus,
      paydunyaWebhook: webhook,
      disbursementWebhook: webhook,
    };
    for (const name of PUBLIC_ROUTES)
      this.api.addRoute(ROUTES[name], this.functions[name], ROUTE_OPTIONS[name]);

    // Reconcile settles orders through the webhook's state machine (order update + audit put + day counters,
    // limit release) and stores the daily report; it lists stale orders, refunds to resume and paid orders not
    // acknowledged on the byStatus index, never the table. Resuming a refund may build its disbursement (the
    // payer's phone, decrypted; the callback URL; the refunds flag and daily cap).
    this.reconcile = this.addFunction('reconcile', config.functions.reconcile)
      .usesTable(
        data.table,
        data.tableKey,
        ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
        { queryIndexes: [TABLE.indexes.byStatus.name, TABLE.indexes.byDay.name] },
      )
      .decryptsPiiWith(data.piiKey)
      .readsSecret(ENV.paydunyaSecretArn, data.paydunyaSecret)
      .readsSecret(ENV.signingSecretArn, data.signingSecret)
      .publishesAlerts(this.alerts)
      .setsEnv(ENV.paydunyaMode, config.paydunya.mode)
      .setsEnv(ENV.paydunyaTimeoutMs, String(config.paydunya.timeoutMs))
      .setsEnv(ENV.publicBaseUrl, publicBaseUrl)
      .setsEnv(ENV.checkoutWindowMinutes, String(THRESHOLDS.checkout.windowMinutes))
      .setsEnv(ENV.fulfilmentAckMinutes, String(config.fulfilment.ackMinutes));

    // Reads reports and orders (by id, by day, by Temba's reference); a review decision, an acknowledgement or a
    // refund is one audited order write (the refund cap and idempotency items beside it), and may re-issue the
    // report of the day the payment was booked on (byDay index, report item, warning alert). A refund disburses
    // inline: PayDunya keys, the callback URL signed with the signing secret, the payer's phone decrypted (never
    // encrypted here), the refunds flag and daily cap.
    this.admin = this.addFunction(ROUTES.adminReport.fn, config.functions.admin)
      .usesTable(data.table, data.tableKey, ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'], {
        queryIndexes: [TABLE.indexes.byDay.name, TABLE.indexes.byReference.name],
      })
      .decryptsPiiWith(data.piiKey)
      .readsSecret(ENV.paydunyaSecretArn, data.paydunyaSecret)
      .readsSecret(ENV.signingSecretArn, data.signingSecret)
      .publishesAlerts(this.alerts)
      .setsEnv(ENV.paydunyaMode, config.paydunya.mode)
      .setsEnv(ENV.paydunyaTimeoutMs, String(config.paydunya.timeoutMs))
      .setsEnv(ENV.publicBaseUrl, publicBaseUrl);
    for (const name of OPERATOR_ROUTES)
      this.api.addRoute(ROUTES[name], this.admin, OPERATOR_ROUTE_OPTIONS[name]);

    // Granted and wired to the table's stream by PaymentEvents, below.
    this.eventPublisher = this.addFunction('event-publisher', config.functions.eventPublisher);
    // The disbursement callback is served by the webhook function: each function once.
    this.allFunctions = [
      ...new Set([...Object.values(this.functions), this.reconcile, this.admin, this.eventPublisher]),
    ];
    const allFunctions = this.allFunctions;

    this.firewall = new ApiFirewall(this, 'Firewall', {
      stage: config.stage,
      apiStageArn: this.api.api.deploymentStage.stageArn,
      paymentsPath: ROUTES.createPayment.path,
      webhooksPathPrefix: WEBHOOKS_PREFIX,
      webhookPaths: [ROUTES.paydunyaWebhook.path, ROUTES.disbursementWebhook.path],
      paymentsRateLimit: config.waf.paymentsRateLimit,
      globalRateLimit: config.waf.globalRateLimit,
      webhookAllowlist: config.waf.webhookAllowlist,
      maxBodyBytes: LIMITS.maxBodyBytes,
      logRetention: config.logRetentionDays as RetentionDays,
      logRemovalPolicy: this.logRemovalPolicy,
      logKey: this.logKey,
    });

    this.monitoring = new PaymentsMonitoring(this, 'Monitoring', {
      stage: config.stage,
      thresholds: config.alarms,
      topics: this.alerts,
      api: this.api.api,
      table: data.table,
      tableIndexes: Object.values(TABLE.indexes).map((index) => index.name),
      functions: allFunctions,
    });
    this.reconcileOperations = new ReconcileOperations(this, 'ReconcileOperations', {
      stage: config.stage,
      reconcile: this.reconcile,
      schedules: config.schedules,
      topics: this.alerts,
      dashboard: this.monitoring.dashboard,
    });
    this.events = new PaymentEvents(this, 'Events', {
      stage: config.stage,
      publisher: this.eventPublisher,
      tableStreamArn: data.tableStreamArn,
      tableKey: data.tableKey,
      archiveRetentionDays: config.events.archiveRetentionDays,
      thresholds: config.alarms,
      topics: this.alerts,
      dashboard: this.monitoring.dashboard,
    });
    this.fulfilmentOperations = new FulfilmentOperations(this, 'FulfilmentOperations', {
      stage: config.stage,
      thresholds: config.alarms,
      reconcileEveryMinutes: config.schedules.reconcileEveryMinutes,
      ackMinutes: config.fulfilment.ackMinutes,
      topics: this.alerts,
      dashboard: this.monitoring.dashboard,
    });
    this.complaints = new CustomerComplaints(this, 'Complaints', {
      stage: config.stage,
      topics: this.alerts,
      dashboard: this.monitoring.dashboard,
    });
    new FraudKpis(this, 'FraudKpis', { dashboard: this.monitoring.dashboard });

    this.restoreDrill = RESTORE_DRILL_STAGES.includes(config.stage)
      ? new RestoreDrill(this, 'BackupRestoreDrill', {
          stage: config.stage,
          fn: this.addFunction('restore-drill', RESTORE_DRILL_FUNCTION),
          table: data.table,
          tableKey: data.tableKey,
          notify: this.alerts.warning,
        })
      : undefined;

    this.flags = new FeatureFlags(this, 'Flags', {
      stage: config.stage,
      flags: stageFlags(config),
      monitors: this.monitoring.criticalAlarms,
      rollout: config.rollout.flags,
      fraudRules: stageFraudRules(config),
    });
    for (const fn of [createPayment, this.admin, this.reconcile]) fn.readsFlags(this.flags);
    createPayment.readsFraudRules(this.flags);

    new CfnOutput(this, 'PublicBaseUrl', { value: publicBaseUrl, description: 'Base of the public API' });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${publicBaseUrl}${ROUTES.paydunyaWebhook.path}`,
      description: 'IPN endpoint (the callback URL each invoice carries is this plus a signed query)',
    });
    new CfnOutput(this, 'DisbursementCallbackUrl', {
      value: `${publicBaseUrl}${ROUTES.disbursementWebhook.path}`,
      description: "Disbursement callback endpoint (each refund's callback URL is this plus a signed query)",
    });
    new CfnOutput(this, 'EventBusName', {
      value: this.events.bus.eventBusName,
      description: 'Payment events bus: ticketing subscribes with a rule on it (source temba.payments)',
    });
    new CfnOutput(this, 'EventBusArn', { value: this.events.bus.eventBusArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    // What this stack read from the data stack when it was last deployed (each value resolved then, through
    // Fn::GetStackOutput). Preflight compares them with the data stack's outputs now: a data stack deployed
    // since with a changed value (a replaced key, secret or table) means this stack runs on a stale one until
    // it is deployed again. An infra test checks that every output this stack reads is listed here.
    new CfnOutput(this, DATA_REFERENCES_OUTPUT, {
      value: Fn.join(' ', dataStackReferences(data)),
      description: 'Data stack outputs as this stack resolved them at its last deploy (checked by preflight)',
    });
  }

  /**
   * One more function with the stage's conventions (naming, logs, alarms, rollout, CodeDeploy group), then
   * granted what it uses and routed with `api.addRoute` or `runsOnSchedule`.
   */
  addFunction(name: string, settings: FunctionSettings): PaymentFunction {
    const id = name
      .split('-')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('');
    return new PaymentFunction(this, id, {
      stage: this.config.stage,
      name,
      entry: handlerEntry(name),
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      reservedConcurrency: settings.reservedConcurrency,
      logRetention: this.config.logRetentionDays as RetentionDays,
      logRemovalPolicy: this.logRemovalPolicy,
      logKey: this.logKey,
      asyncFailures: this.asyncFailures,
      rollout: this.config.rollout.lambda,
      deploymentApplication: this.deployments,
      alarms: {
        errors: this.config.alarms.lambdaErrors.threshold,
        throttles: this.config.alarms.lambdaThrottles.threshold,
        newVersionErrorRate: this.config.alarms.newVersionErrorRate,
        notify: this.alerts.warning,
      },
    });
  }
}
