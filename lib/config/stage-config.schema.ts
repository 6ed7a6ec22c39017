import * as z from 'zod';
import { customerAuthSchema } from '../../lambdas/shared/contract/auth';
import { type Flags, flagsSchema } from '../../lambdas/shared/contract/flags';
import { fraudRulesSchema } from '../../lambdas/shared/contract/fraud';
import { storeInfoSchema } from '../../lambdas/shared/contract/store-info';

/** The stages this app deploys; each is one account/region pair with its own data and application stacks. */
export const STAGES = ['dev', 'staging', 'prod'] as const;
export const stageNameSchema = z.enum(STAGES);
export type StageName = z.infer<typeof stageNameSchema>;

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** WAF rate-based rules: at least 10 requests, over one of the four evaluation windows WAF offers. */
const rateLimitSchema = z.object({
  limit: z.number().int().min(10, 'WAF rate-based rules cannot go below 10 requests per window'),
  windowSeconds: z.literal([60, 120, 300, 600], 'WAF evaluation windows are 60, 120, 300 or 600 seconds'),
});

/**
 * The certificate id of a stage whose custom-domain certificate has not been requested yet: the all-zero UUID, which
 * ACM never issues. It synthesizes, the API's domain then fails to deploy (no such certificate), and `npm run
 * preflight` refuses it by name.
 */
export const PLACEHOLDER_CERTIFICATE_ID = '00000000-0000-0000-0000-000000000000';

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

/** A browser origin: scheme + host (+ port), no path. Plain http only for a developer's localhost. */
const corsOrigin = z
  .string()
  .regex(
    /^(https:\/\/[a-z0-9.-]+|http:\/\/localhost)(:\d{1,5})?$/,
    'must be an origin like https://temba.app',
  );

const subscriptionsSchema = z.object({
  emails: z.array(z.email()),
  /** E.164 phone numbers, e.g. +22670000000. */
  sms: z.array(z.e164()),
});

const functionSettingsSchema = z.object({
  memoryMb: z.number().int().min(128).max(10_240),
  /** API Gateway gives up after 29 s, so an API function that runs longer only burns money. */
  timeoutSeconds: z.number().int().min(1).max(28),
  /**
   * Concurrent executions set aside for this function and its ceiling (Lambda reserved concurrency). Absent: the
   * function shares the account's unreserved pool. docs/capacity-notes.md sizes it (rate x duration).
   */
  reservedConcurrency: z.number().int().min(1).optional(),
});

/** A scheduled function answers no API request: it may use Lambda's whole 15 minutes. */
const scheduledFunctionSettingsSchema = functionSettingsSchema.extend({
  timeoutSeconds: z.number().int().min(1).max(900),
});

/**
 * A stream consumer answers no API request either: its timeout bounds how long one batch may hold its shard (the
 * next records of that shard wait meanwhile).
 */
const streamFunctionSettingsSchema = functionSettingsSchema.extend({
  timeoutSeconds: z.number().int().min(1).max(900),
});

/**
 * A stage's flag overrides: every flag optional, and a flag the stage leaves out stays out. `flagsSchema.partial()`
 * would not do: zod fills a flag that has a schema default (refunds_enabled) with that default, which would then
 * override DEFAULT_FLAGS in every stage that does not name the flag.
 */
const flagOverridesSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(flagsSchema.shape).map(([name, schema]) => [
      name,
      (schema instanceof z.ZodDefault ? schema.unwrap() : schema).optional(),
    ]),
  ),
) as unknown as z.ZodType<Partial<Flags>, Partial<Flags>>;

/** An alarm on a count the code emits: it fires at this many in its period. */
const countAlarmSchema = z.object({ threshold: z.number().int().min(1) });

/** One field of a fixed daily UTC time in an EventBridge cron: a plain number, no wildcard, list or range. */
const cronNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,2}$/, 'must be a number, e.g. "30"')
    .refine((value) => Number(value) <= max, `must be between 0 and ${max}`);

/** How a new function version replaces the old one behind the `live` alias (CodeDeploy). */
export const lambdaRolloutSchema = z.enum(['all-at-once', 'linear', 'canary']);
export type LambdaRollout = z.infer<typeof lambdaRolloutSchema>;
/** How a new flags version reaches the functions (AppConfig deployment strategy). */
export const flagsRolloutSchema = z.enum(['all-at-once', 'linear', 'canary']);
export type FlagsRollout = z.infer<typeof flagsRolloutSchema>;

/** An API Gateway token bucket: steady requests a second, and how many may arrive at once. */
const throttleSchema = z.object({
  rateLimit: z.number().positive(),
  burstLimit: z.number().int().positive(),
});

/** Lambda keeps at least this many concurrent executions unreserved in every account and region. */
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;

const ratioAlarmSchema = z.object({
  /** Evaluation window of the ratio; also the period of its metrics. */
  periodMinutes: z.number().int().min(1).max(1440),
  /** Below this many events in the window the ratio says nothing and the alarm stays OK. */
  minEvents: z.number().int().min(1),
});

export const stageConfigSchema = z
  .object({
    stage: stageNameSchema,
    env: z.object({
      account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-3'),
    }),
    /** Stateful resources: kept (RETAIN) and protected against deletion, or disposable (dev only). */
    removal: z.object({ retainData: z.boolean(), deletionProtection: z.boolean() }),
    /**
     * Days every log group of the stage keeps its events (functions, API Gateway access and execution logs, WAF); at
     * least a year in prod. Log groups are kept (RETAIN) after a teardown wherever `removal.retainData` is set.
     */
    logRetentionDays: z.literal(LOG_RETENTION_DAYS, 'must be a retention CloudWatch Logs accepts'),
    paydunya: z.object({
      mode: z.enum(['test', 'live']),
      /** Per-call timeout of the PayDunya client (create, confirm). */
      timeoutMs: z.number().int().min(500).max(20_000),
      /** The store shown on PayDunya's payment page. */
      store: storeInfoSchema,
    }),
    urls: z.object({
      /** Public base of this API; the webhook callback URL is built from it. Default: the custom domain. */
      publicBaseUrl: httpsUrl.optional(),
      returnUrl: httpsUrl,
      cancelUrl: httpsUrl,
    }),
    api: z.object({
      /**
       * Absent: the API answers on its execute-api URL, stage path included (`.../v1`). Present: that URL is switched
       * off, and the config says how the domain's certificate is validated, so that no deploy waits on a DNS record
       * nobody was told to add: `hostedZone` (the stack validates it and adds the alias record in that Route 53
       * zone) or `certificateArn` (requested and validated beforehand: docs/runbook.md, "First deploy").
       */
      customDomain: z
        .strictObject({
          domainName: z.hostname(),
          /** A Route 53 public hosted zone of this account holding `domainName`: validation and alias automated. */
          hostedZone: z
            .strictObject({
              hostedZoneId: z.string().regex(/^Z[0-9A-Z]{1,31}$/, 'must be a Route 53 hosted zone id (Z...)'),
              zoneName: z.hostname(),
            })
            .optional(),
          /** An ISSUED ACM certificate for `domainName`, in the stage's region and account. */
          certificateArn: z
            .string()
            .regex(
              /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
              'must be an ACM certificate ARN',
            )
            .optional(),
        })
        .optional(),
      corsOrigins: z.array(corsOrigin).min(1),
      /**
       * The stage default, applied to each method without its own limit below (CORS preflights, operator
       * routes). API Gateway applies it per method, not to the stage as a whole.
       */
      throttling: throttleSchema,
      /** Per public route (ROUTES key): each sized for its own traffic, so polling cannot crowd out checkouts. */
      routeThrottling: z.object({
        createPayment: throttleSchema,
        listPayments: throttleSchema,
        getPayment: throttleSchema,
        paydunyaWebhook: throttleSchema,
      }),
    }),
    /**
     * How customer tokens are verified on the `customer` routes (contract/auth.ts): the stage's identity provider
     * (Supabase Auth or Amazon Cognito: docs/infra-notes.md), asymmetric algorithms only. Given to create-payment
     * and payment-status as JSON in ENV.customerAuth, defaults filled in; `npm run preflight` checks the provider
     * answers with this issuer and publishes a key for these algorithms.
     */
    auth: customerAuthSchema,
    /** What the stage is sized for, and the account quotas that sizing needs (docs/capacity-notes.md). */
    capacity: z.object({
      /** Checkouts (POST /payments) a second at the on-sale peak. */
      peakCheckoutsPerSecond: z.number().int().positive(),
      /** The stage account's quotas in its region, as they must be before the first on-sale. */
      accountQuotas: z.object({
        /** Lambda concurrent executions (default 1,000; raised through Service Quotas). */
        lambdaConcurrentExecutions: z.number().int().min(10),
        /** API Gateway requests a second, shared by every API of the account in the region (default 10,000). */
        apiGatewayRequestsPerSecond: z.number().int().positive(),
      }),
    }),
    waf: z.object({
      /** Per client IP, POST /payments only: a flood guard sized for carrier NAT, not a per-customer limit. */
      paymentsRateLimit: rateLimitSchema,
      /** Per client IP, every route but the PayDunya webhook (PayDunya's IPN bursts must never be blocked). */
      globalRateLimit: rateLimitSchema,
      webhookAllowlist: z.object({
        ipv4: z.array(z.cidrv4()),
        ipv6: z.array(z.cidrv6()),
        /** Required in prod when both lists are empty: why the webhook is open to every address. */
        emptyReason: z.string().min(20, 'state the reason in a full sentence').optional(),
      }),
    }),
    alarms: z.object({
      successRate: ratioAlarmSchema.extend({
        warningBelowPercent: z.number().min(0).max(100),
        criticalBelowPercent: z.number().min(0).max(100),
      }),
      webhookFailureRate: ratioAlarmSchema.extend({ abovePercent: z.number().min(0).max(100) }),
      api5xxRate: ratioAlarmSchema.extend({ abovePercent: z.number().min(0).max(100) }),
      apiP99LatencyMs: z.object({
        threshold: z.number().int().positive(),
        evaluationPeriods: z.number().int().min(1),
      }),
      /** Errors of one function alias in one minute (any version): a warning, not a rollback trigger. */
      lambdaErrors: z.object({ threshold: z.number().int().min(1) }),
      /**
       * The one CodeDeploy rollback trigger: the error rate of the version being rolled out, counted on its own
       * invocations (Lambda's ExecutedVersion dimension), judged only once it served `minEvents` requests in the
       * window. The world's faults (a PayDunya outage, the old version's errors) never stop a rollout.
       */
      newVersionErrorRate: ratioAlarmSchema.extend({ abovePercent: z.number().min(0).max(100) }),
      lambdaThrottles: z.object({ threshold: z.number().int().min(1) }),
      dynamoThrottles: z.object({ threshold: z.number().int().min(1) }),
      /**
       * The oldest table change not yet handed to the event publisher (the stream mapping's IteratorAge, maximum
       * over a minute): past this, a committed change has not been published (THRESHOLDS.events).
       */
      eventPublishLag: z.object({ thresholdSeconds: z.number().int().min(1).max(86_400) }),
      /** Events the bus refused (the publisher retries them; a warning). */
      eventPublishFailed: countAlarmSchema,
      /** Refunds PayDunya ended `Failed` (critical: a customer is owed money). */
      refundFailed: countAlarmSchema,
      /** Refunds SUBMITTED longer than THRESHOLDS.refunds.stuckSubmittedMinutes, counted by each reconcile run. */
      refundStuck: countAlarmSchema,
      /** Disbursements refused for lack of funds on Temba's PayDunya account (critical: refunds stop). */
      disbursementBalanceLow: countAlarmSchema,
      /** Refunds handed to a person (MANUAL: card, operator not served, refunds off, over the daily cap). */
      refundManual: countAlarmSchema,
      /** Paid orders ticketing has not acknowledged in time, counted by each reconcile run (warning). */
      fulfilmentOverdue: countAlarmSchema,
    }),
    alerts: z.object({ critical: subscriptionsSchema, warning: subscriptionsSchema }),
    limits: z.object({
      /** Payment attempts per customer phone per window, checked atomically with the order (THRESHOLDS). */
      customerAttempts: z.object({
        max: z.number().int().min(1),
        windowSeconds: z.number().int().min(60),
      }),
    }),
    /** Overrides of DEFAULT_FLAGS for this stage: daily limits, review threshold, live payments, refunds... */
    flags: flagOverridesSchema,
    /**
     * Overrides of DEFAULT_FRAUD_RULES for this stage, whole rules by name (each checked by its schema). Deployed
     * as the stage's fraud rules profile; later changes go through AppConfig without a deploy.
     */
    fraudRules: fraudRulesSchema.partial().strict().optional(),
    /** Payment events (EventBridge bus `temba-payments-<stage>`): how long the archive keeps them for replay. */
    events: z.object({ archiveRetentionDays: z.number().int().min(1).max(3_650) }),
    /** Ticketing's acknowledgements: a paid order unacknowledged this long raises a warning (THRESHOLDS.fulfilment). */
    fulfilment: z.object({
      ackMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60),
    }),
    functions: z.object({
      createPayment: functionSettingsSchema,
      paymentStatus: functionSettingsSchema,
      webhook: functionSettingsSchema,
      /** Scheduled: reconcile runs and the daily report. */
      reconcile: scheduledFunctionSettingsSchema,
      /**
       * The IAM-authorised operator and service routes (reports, review decisions, fulfilment, refunds, lookups by
       * reference); a refund calls PayDunya inline (get-invoice, submit, check-status when the submit is ambiguous).
       */
      admin: functionSettingsSchema,
      /** Reads the table's stream and puts payment events on the bus. */
      eventPublisher: streamFunctionSettingsSchema,
    }),
    /** When the scheduled work runs; THRESHOLDS holds the shared defaults, a stage may override them. */
    schedules: z.object({
      /** Reconcile every this many minutes; its heartbeat alarm fires after two periods without a run. */
      reconcileEveryMinutes: z.number().int().min(1).max(60),
      /** The daily report, once a day at this UTC time, for the day before. */
      dailyReport: z.object({ minute: cronNumber(59), hour: cronNumber(23) }),
    }),
    rollout: z.object({ lambda: lambdaRolloutSchema, flags: flagsRolloutSchema }),
    /**
     * AWS Backup (a vault with its own key, a daily and optionally a monthly rule) wherever data is kept; absent
     * where data is disposable (dev): a vault holding recovery points cannot be deleted, so `cdk destroy` would
     * fail, and point-in-time recovery (35 days, on every table) already covers a developer's mistakes.
     */
    backup: z
      .object({
        dailyRetentionDays: z.number().int().min(7),
        /** Monthly backups and how long they are kept; absent means no monthly rule. */
        monthlyRetentionDays: z.number().int().min(90).optional(),
        /** AWS Backup vault lock (governance mode): backups cannot be deleted before this many days. */
        vaultLockMinRetentionDays: z.number().int().min(1).optional(),
      })
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const isProd = config.stage === 'prod';

    if (isProd && config.paydunya.mode !== 'live') issue(['paydunya', 'mode'], 'prod takes live payments');
    if (!isProd && config.paydunya.mode !== 'test') {
      issue(['paydunya', 'mode'], `${config.stage} must stay in PayDunya test mode`);
    }
    if (config.flags.live_payments?.enabled && config.paydunya.mode !== 'live') {
      issue(
        ['flags', 'live_payments'],
        'live payments cannot be enabled on a stage whose PayDunya mode is test',
      );
    }
    if (config.stage !== 'dev' && !(config.removal.retainData && config.removal.deletionProtection)) {
      issue(['removal'], 'only dev may delete its data: retainData and deletionProtection must be true');
    }
    // PCI DSS 10.7: a year of audit trail, three months of it at hand (CloudWatch Logs keeps it all queryable).
    if (isProd && config.logRetentionDays < 365) {
      issue(['logRetentionDays'], 'prod keeps its logs at least a year (PCI DSS 10.7)');
    }

    const allowlist = config.waf.webhookAllowlist;
    const allowlistEmpty = allowlist.ipv4.length === 0 && allowlist.ipv6.length === 0;
    if (isProd && allowlistEmpty && !allowlist.emptyReason) {
      issue(
        ['waf', 'webhookAllowlist'],
        'prod needs PayDunya source IPs, or an explicit emptyReason saying why /webhooks/* stays open',
      );
    }
    if (!allowlistEmpty && allowlist.emptyReason) {
      issue(['waf', 'webhookAllowlist', 'emptyReason'], 'remove emptyReason: the allowlist is not empty');
    }

    if (isProd && config.rollout.lambda !== 'canary')
      issue(['rollout', 'lambda'], 'prod rolls out by canary');
    if (isProd && config.rollout.flags === 'all-at-once') {
      issue(['rollout', 'flags'], 'prod flags roll out gradually so the alarms can stop a bad change');
    }
    if (config.removal.retainData && config.backup === undefined) {
      issue(['backup'], 'data that is kept is backed up: set the daily retention (AWS Backup)');
    }
    if (!config.removal.retainData && config.backup !== undefined) {
      issue(
        ['backup'],
        'disposable data keeps no AWS Backup vault: one holding recovery points cannot be deleted, so the stage ' +
          'could not be destroyed (point-in-time recovery covers it)',
      );
    }
    if (isProd && config.backup !== undefined && config.backup.monthlyRetentionDays === undefined) {
      issue(['backup', 'monthlyRetentionDays'], 'prod keeps monthly backups');
    }
    const lock = config.backup?.vaultLockMinRetentionDays;
    if (config.backup !== undefined && lock !== undefined && lock > config.backup.dailyRetentionDays) {
      issue(
        ['backup', 'vaultLockMinRetentionDays'],
        'cannot exceed the daily retention, or daily backups could never expire',
      );
    }

    // Local mode's issuer is plain http on loopback; a deployed stage fetches keys over TLS only.
    for (const field of ['issuer', 'jwksUri'] as const) {
      if (new URL(config.auth[field]).protocol !== 'https:') {
        issue(
          ['auth', field],
          'must be an https:// URL: a deployed stage fetches and trusts keys over TLS only',
        );
      }
    }

    const domain = config.api.customDomain?.domainName;
    if (config.urls.publicBaseUrl !== undefined) {
      const host = new URL(config.urls.publicBaseUrl).host;
      if (host !== domain) {
        issue(
          ['urls', 'publicBaseUrl'],
          `must be served by this API's custom domain (${domain ?? 'none configured'})`,
        );
      }
    }
    if (isProd && domain === undefined) issue(['api', 'customDomain'], 'prod is served on its custom domain');
    const customDomain = config.api.customDomain;
    if (customDomain !== undefined) {
      const { hostedZone, certificateArn } = customDomain;
      if (hostedZone === undefined && certificateArn === undefined) {
        issue(
          ['api', 'customDomain'],
          'say how the certificate is validated: hostedZone (Route 53, automated) or certificateArn (requested ' +
            'and validated beforehand, docs/runbook.md); without either the deploy would wait for a DNS record',
        );
      }
      if (hostedZone !== undefined && certificateArn !== undefined) {
        issue(['api', 'customDomain'], 'one validation path: hostedZone or certificateArn, not both');
      }
      if (
        hostedZone !== undefined &&
        customDomain.domainName !== hostedZone.zoneName &&
        !customDomain.domainName.endsWith(`.${hostedZone.zoneName}`)
      ) {
        issue(['api', 'customDomain', 'hostedZone', 'zoneName'], `must hold ${customDomain.domainName}`);
      }
      const [, , , arnRegion, arnAccount] = certificateArn?.split(':') ?? [];
      if (
        certificateArn !== undefined &&
        (arnRegion !== config.env.region || arnAccount !== config.env.account)
      ) {
        issue(
          ['api', 'customDomain', 'certificateArn'],
          `a regional API takes a certificate of its own account and region (${config.env.account}, ${config.env.region})`,
        );
      }
    }

    const { successRate } = config.alarms;
    if (successRate.criticalBelowPercent >= successRate.warningBelowPercent) {
      issue(['alarms', 'successRate'], 'the critical threshold must be below the warning threshold');
    }

    for (const name of ['createPayment', 'webhook', 'reconcile'] as const) {
      const budgetMs = config.functions[name].timeoutSeconds * 1000;
      if (budgetMs < config.paydunya.timeoutMs + 2_000) {
        issue(
          ['functions', name, 'timeoutSeconds'],
          'must leave at least 2 s beyond one PayDunya call timeout',
        );
      }
    }
    // A refund asked on the admin routes makes its disbursement inline: get-invoice, then submit.
    if (config.functions.admin.timeoutSeconds * 1000 < 2 * config.paydunya.timeoutMs + 2_000) {
      issue(
        ['functions', 'admin', 'timeoutSeconds'],
        'must leave at least 2 s beyond two PayDunya call timeouts (a refund gets its invoice, then submits it)',
      );
    }
    const peak = config.capacity.peakCheckoutsPerSecond;
    const quotas = config.capacity.accountQuotas;
    const routes = config.api.routeThrottling;
    if (routes.createPayment.rateLimit < peak) {
      issue(
        ['api', 'routeThrottling', 'createPayment', 'rateLimit'],
        `must admit the stated peak of ${peak} checkouts a second`,
      );
    }
    if (config.api.throttling.rateLimit < peak) {
      issue(
        ['api', 'throttling', 'rateLimit'],
        `every checkout sends a CORS preflight (OPTIONS /payments) under the stage default: it must admit the peak of ${peak} a second`,
      );
    }
    const apiRate =
      config.api.throttling.rateLimit +
      Object.values(routes).reduce((sum, route) => sum + route.rateLimit, 0);
    if (apiRate > quotas.apiGatewayRequestsPerSecond) {
      issue(
        ['api', 'routeThrottling'],
        `the stage default and route limits add up to ${apiRate} requests a second, over the account's ` +
          `${quotas.apiGatewayRequestsPerSecond} shared by every API in the region`,
      );
    }
    const reserved = Object.values(config.functions).reduce(
      (sum, settings) => sum + (settings.reservedConcurrency ?? 0),
      0,
    );
    const reservable = quotas.lambdaConcurrentExecutions - LAMBDA_MIN_UNRESERVED_CONCURRENCY;
    if (reserved > reservable) {
      issue(
        ['functions'],
        `reserved concurrency adds up to ${reserved}: the account quota of ${quotas.lambdaConcurrentExecutions} ` +
          `allows ${reservable}, since Lambda keeps ${LAMBDA_MIN_UNRESERVED_CONCURRENCY} unreserved`,
      );
    }

    const reconcileEvery = config.schedules.reconcileEveryMinutes;
    if (config.functions.reconcile.timeoutSeconds >= reconcileEvery * 60) {
      issue(
        ['functions', 'reconcile', 'timeoutSeconds'],
        `must end before the next scheduled run (every ${reconcileEvery} minutes), so runs never overlap`,
      );
    }
  });

export type StageConfigInput = z.input<typeof stageConfigSchema>;
export type StageConfig = z.output<typeof stageConfigSchema>;
