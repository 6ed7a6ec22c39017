import { THRESHOLDS } from '../../lambdas/shared/contract/thresholds';
import { PLACEHOLDER_CERTIFICATE_ID, type StageConfigInput, type StageName } from './stage-config.schema';

/**
 * The three stages, as data. Everything that differs between dev, staging and prod is here and nowhere else;
 * `loadStageConfig` validates an entry before any construct sees it.
 *
 * Account ids are placeholders until each stage's AWS account exists: CDK refuses to deploy a stage with
 * credentials for another account, so a wrong id fails loudly instead of deploying to the wrong place.
 */

/** The go-live plan's store block (Phase 1.A): what PayDunya shows on the payment page in prod. */
const TEMBA_STORE = {
  name: 'Temba',
  tagline: 'Your Premier Event Ticketing Platform',
  phone: '+226 74 75 08 15',
  postal_address: 'Secteur 23, Zone 1, Section KC, Parcelle 09-10, Ouagadougou, Burkina Faso',
  website_url: 'https://temba.app',
  logo_url: 'https://temba.app/logo.svg',
};

/**
 * The Supabase Auth project each stage trusts for customer tokens (the Temba app signs customers in with Supabase):
 * `https://<project ref>.supabase.co`, the project URL its dashboard shows.
 *
 * PLACEHOLDERS until Temba's projects are known. They sit under `.invalid`, a domain reserved never to resolve
 * (RFC 6761), rather than under supabase.co, where anyone could claim `temba-dev` as a vanity subdomain and mint
 * tokens a stage would accept. Deployed as they are, every customer request is refused (401: the keys cannot be
 * fetched) and `npm run preflight` fails on them. docs/infra-notes.md: pointing a stage at Supabase or Cognito.
 */
const SUPABASE_PROJECT_URLS: Readonly<Record<StageName, string>> = {
  dev: 'https://temba-dev.supabase.invalid', // PLACEHOLDER: https://<dev project ref>.supabase.co
  staging: 'https://temba-staging.supabase.invalid', // PLACEHOLDER: https://<staging project ref>.supabase.co
  prod: 'https://temba-prod.supabase.invalid', // PLACEHOLDER: https://<prod project ref>.supabase.co
};

/**
 * Supabase Auth's tokens: issuer `<project>/auth/v1`, keys at `<issuer>/.well-known/jwks.json`, audience
 * `authenticated` (a signed-in user; anonymous sign-ins carry it too, if the project allows them). The project must
 * sign with an asymmetric key (JWT Signing Keys: ES256 by default, or RS256); a project still on the legacy shared
 * secret (HS256) publishes no key, and every token is refused.
 */
const supabaseAuth = (projectUrl: string): StageConfigInput['auth'] => {
  const issuer = `${projectUrl}/auth/v1`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    audience: ['authenticated'],
    algorithms: ['ES256', 'RS256'],
  };
};

/** Paris: the closest AWS region to Ouagadougou by network path, French-speaking support, GDPR. */
const REGION = 'eu-west-3';

/** Alarm thresholds of the go-live plan (success rate > 95 %, rollback under 90 %, webhook failures <= 5 %). */
const GO_LIVE_ALARMS = {
  successRate: { warningBelowPercent: 95, criticalBelowPercent: 90, periodMinutes: 60, minEvents: 10 },
  webhookFailureRate: { abovePercent: 5, periodMinutes: 15, minEvents: 5 },
  api5xxRate: { abovePercent: 5, periodMinutes: 5, minEvents: 20 },
  apiP99LatencyMs: { threshold: 10_000, evaluationPeriods: 3 },
  lambdaErrors: { threshold: 1 },
  // A canary sends a tenth of the traffic to the new version for 5 minutes. Under 10 requests in 5 minutes nothing is
  // judged (one error in three calls is noise, or one customer's bad input); from 10 on, 5 % failing is the code's
  // fault. A quiet function's canary can end unjudged: its alias-wide errors alarm still warns, and `npm run
  // rollback` is one command (runbook). Each status poll is a request, so payment-status is always judged.
  newVersionErrorRate: { abovePercent: 5, periodMinutes: 5, minEvents: 10 },
  lambdaThrottles: { threshold: 1 },
  dynamoThrottles: { threshold: 1 },
  // Issue 12: a committed change must be on the bus within 60 s; every refund that fails, sticks or needs a person,
  // and every refusal for lack of PayDunya balance, is worth a message.
  eventPublishLag: { thresholdSeconds: THRESHOLDS.events.maxPublishLagSeconds },
  eventPublishFailed: { threshold: 1 },
  refundFailed: { threshold: 1 },
  refundStuck: { threshold: 1 },
  disbursementBalanceLow: { threshold: 1 },
  refundManual: { threshold: 1 },
  fulfilmentOverdue: { threshold: 1 },
};

const FUNCTIONS = {
  createPayment: { memoryMb: 512, timeoutSeconds: 20 },
  paymentStatus: { memoryMb: 256, timeoutSeconds: 5 },
  webhook: { memoryMb: 512, timeoutSeconds: 20 },
  // A run confirms pending orders 5 at a time (8 s per PayDunya call at worst); it must end before the next one.
  reconcile: { memoryMb: 512, timeoutSeconds: 300 },
  // A refund disburses inline: get-invoice, submit and, when the submit answer is lost, check-status (8 s each at
  // worst) fit in 28 s, under API Gateway's 29 s.
  admin: { memoryMb: 256, timeoutSeconds: 28 },
  // Up to 100 stream records a batch, put on the bus 10 per PutEvents call: seconds, not minutes.
  eventPublisher: { memoryMb: 256, timeoutSeconds: 30 },
};

/**
 * The traffic model every limit below is sized from; docs/capacity-notes.md has the arithmetic and its sources.
 * Per checkout: one POST /payments and its CORS preflight, GET /payments/{orderId} polled every 3 s for about 60 s
 * (the page gives up at 90 s) after its own preflight (the polls carry `Authorization`, so they are no longer
 * "simple" requests; one preflight per order URL, cached 1 h), one GET /payments (the customer's payments, shown
 * on return), and about one IPN from PayDunya, 1.5 with duplicates and retries. Carrier NAT: the busiest mobile
 * carrier brings 60 % of checkouts through as few as 8 public addresses.
 */
export const TRAFFIC_MODEL = {
  statusPollsPerCheckout: 20,
  listingsPerCheckout: 1,
  /** OPTIONS /payments (POST and GET /payments share it) and OPTIONS /payments/{orderId}. */
  preflightsPerCheckout: 2,
  ipnsPerCheckout: 1.5,
  busiestCarrierShare: 0.6,
  carrierNatAddresses: 8,
} as const;

/**
 * Reserved concurrency of the three API functions: route limit x duration (Little's law), so that API Gateway
 * answers 429 before Lambda throttles (which API Gateway turns into a 500), and so that no function can take
 * another's share of the account's concurrency. Reconcile and admin share the unreserved pool.
 */
const reserving = (reserved: { createPayment: number; paymentStatus: number; webhook: number }) => ({
  ...FUNCTIONS,
  createPayment: { ...FUNCTIONS.createPayment, reservedConcurrency: reserved.createPayment },
  paymentStatus: { ...FUNCTIONS.paymentStatus, reservedConcurrency: reserved.paymentStatus },
  webhook: { ...FUNCTIONS.webhook, reservedConcurrency: reserved.webhook },
});

/** Default account quotas in eu-west-3: 1,000 Lambda concurrent executions, 10,000 API Gateway requests/s. */
const DEFAULT_QUOTAS = { lambdaConcurrentExecutions: 1_000, apiGatewayRequestsPerSecond: 10_000 };

/**
 * Per-IP rules of staging and prod (WAF counts over a trailing 60 s window). One carrier NAT address carries
 * 60 % / 8 = 7.5 % of the peak: POST 200/s x 7.5 % = 15/s, x 1.5 headroom = 22.5/s -> 25/s = 1,500 a minute;
 * every route but the webhook (POST, 2 preflights, 20 polls, 1 listing = 24 requests per checkout)
 * 200 x 24 x 7.5 % = 360/s, x 1.5 = 540/s -> 550/s = 33,000 a minute. They are flood guards: customers are
 * identified by their token and limited one by one in code (CUSTOMER_ATTEMPT_*, per subject and per phone).
 */
const CARRIER_NAT_WAF = {
  paymentsRateLimit: { limit: 1_500, windowSeconds: 60 },
  globalRateLimit: { limit: 33_000, windowSeconds: 60 },
} as const;

/** How long the events archive keeps every event for replay, by stage (the table keeps the audit trail for good). */
const EVENT_ARCHIVE_DAYS = { dev: 7, staging: 90, prod: 365 } as const;

/** Ticketing's acknowledgement window: the shared THRESHOLDS, which a stage may override here. */
const FULFILMENT = { ackMinutes: THRESHOLDS.fulfilment.ackMinutes };

/** Reconcile and daily report times: the shared THRESHOLDS, which a stage may override here. */
const SCHEDULES = {
  reconcileEveryMinutes: THRESHOLDS.reconcile.scheduleMinutes,
  dailyReport: THRESHOLDS.dailyReportCron,
};

/**
 * The certificate of a stage's custom domain, requested and validated before its first deploy (docs/runbook.md,
 * "First deploy into a fresh account"): Temba's DNS is not a Route 53 zone of each stage's account, so the stack
 * cannot validate it itself. PLACEHOLDERS (PLACEHOLDER_CERTIFICATE_ID) until each certificate is ISSUED: the stage
 * synthesizes, its API domain cannot deploy, and `npm run preflight` fails on them.
 */
const certificateArnOf = (account: string, id: string) =>
  `arn:aws:acm:${REGION}:${account}:certificate/${id}`;

export const STAGE_CONFIGS: Readonly<Record<StageName, StageConfigInput>> = {
  dev: {
    stage: 'dev',
    env: { account: '111111111111', region: REGION },
    removal: { retainData: false, deletionProtection: false },
    logRetentionDays: 14,
    paydunya: { mode: 'test', timeoutMs: 8_000, store: { ...TEMBA_STORE, name: 'Temba (dev)' } },
    // No custom domain: the callback URL is built from the execute-api URL of the deployed stage.
    urls: {
      returnUrl: 'https://dev.temba.app/payment/return',
      cancelUrl: 'https://dev.temba.app/payment/cancel',
    },
    api: {
      corsOrigins: ['https://dev.temba.app', 'http://localhost:5173'],
      throttling: { rateLimit: 20, burstLimit: 40 },
      // 5 checkouts/s: 5 POST, 5 listings, 5 x 20 polls = 100 GET, 5 x 1.5 = 7.5 IPNs a second.
      routeThrottling: {
        createPayment: { rateLimit: 20, burstLimit: 40 },
        listPayments: { rateLimit: 20, burstLimit: 40 },
        getPayment: { rateLimit: 100, burstLimit: 100 },
        paydunyaWebhook: { rateLimit: 20, burstLimit: 40 },
      },
    },
    // Developers and the test suites; a new account's Lambda quota can be far below 1,000 (AWS raises it with use),
    // so dev reserves no concurrency: a reservation above what the account allows fails the deploy.
    capacity: { peakCheckoutsPerSecond: 5, accountQuotas: DEFAULT_QUOTAS },
    waf: {
      // No carrier traffic here: enough for one developer and the 100-request load test, and no more than the
      // stage throttle lets through in a minute (20/s).
      paymentsRateLimit: { limit: 200, windowSeconds: 60 },
      globalRateLimit: { limit: 1_200, windowSeconds: 60 },
      webhookAllowlist: { ipv4: [], ipv6: [] },
    },
    auth: supabaseAuth(SUPABASE_PROJECT_URLS.dev),
    alarms: GO_LIVE_ALARMS,
    alerts: { critical: { emails: ['payments-dev@temba.app'], sms: [] }, warning: { emails: [], sms: [] } },
    limits: { customerAttempts: THRESHOLDS.customerAttempts },
    // Refunds on with the shared default cap (DEFAULT_FLAGS: 1,000,000 XOF a day), test money only.
    flags: {},
    events: { archiveRetentionDays: EVENT_ARCHIVE_DAYS.dev },
    fulfilment: FULFILMENT,
    functions: FUNCTIONS,
    schedules: SCHEDULES,
    rollout: { lambda: 'all-at-once', flags: 'all-at-once' },
    // No AWS Backup: dev's data is disposable (`cdk destroy` must succeed, and a vault holding recovery points
    // cannot be deleted); point-in-time recovery keeps 35 days.
  },

  staging: {
    stage: 'staging',
    env: { account: '222222222222', region: REGION },
    removal: { retainData: true, deletionProtection: true },
    logRetentionDays: 30,
    paydunya: { mode: 'test', timeoutMs: 8_000, store: { ...TEMBA_STORE, name: 'Temba (staging)' } },
    urls: {
      publicBaseUrl: 'https://api-staging.temba.app',
      returnUrl: 'https://staging.temba.app/payment/return',
      cancelUrl: 'https://staging.temba.app/payment/cancel',
    },
    api: {
      customDomain: {
        domainName: 'api-staging.temba.app',
        // PLACEHOLDER: the ARN of the ISSUED certificate for api-staging.temba.app (runbook: "First deploy").
        certificateArn: certificateArnOf('222222222222', PLACEHOLDER_CERTIFICATE_ID),
      },
      corsOrigins: ['https://staging.temba.app'],
      throttling: { rateLimit: 50, burstLimit: 100 },
      // A tenth of prod, for load tests: 20 checkouts/s -> 20 POST, 20 listings, 400 polls, 30 IPNs a second.
      routeThrottling: {
        createPayment: { rateLimit: 50, burstLimit: 100 },
        listPayments: { rateLimit: 50, burstLimit: 50 },
        getPayment: { rateLimit: 400, burstLimit: 200 },
        paydunyaWebhook: { rateLimit: 50, burstLimit: 100 },
      },
    },
    capacity: { peakCheckoutsPerSecond: 20, accountQuotas: DEFAULT_QUOTAS },
    // Prod's rules, so a load test from one machine meets exactly what prod would do (the go-live ab -n 100 -c 10
    // passes: 100 < 1,500 a minute).
    waf: { ...CARRIER_NAT_WAF, webhookAllowlist: { ipv4: [], ipv6: [] } },
    auth: supabaseAuth(SUPABASE_PROJECT_URLS.staging),
    alarms: GO_LIVE_ALARMS,
    alerts: {
      critical: { emails: ['payments-staging@temba.app'], sms: [] },
      warning: { emails: ['payments-staging@temba.app'], sms: [] },
    },
    // The load test reuses one customer: let it through; the go-live value is tested in prod.
    limits: { customerAttempts: { max: 200, windowSeconds: THRESHOLDS.customerAttempts.windowSeconds } },
    // Refunds capped at the day's payment limit: a load test may refund everything it paid (test money).
    flags: {
      daily_limit: { enabled: true, max_xof: 50_000_000, max_count: 5_000 },
      refunds_enabled: { enabled: true, daily_cap_xof: 50_000_000 },
    },
    events: { archiveRetentionDays: EVENT_ARCHIVE_DAYS.staging },
    fulfilment: FULFILMENT,
    // 50 POST/s x 2 s = 100; 400 polls/s x 0.1 s + 50 listings/s x 0.2 s = 50; 50 IPN/s x 2 s = 100. 250 of the
    // 900 reservable.
    functions: reserving({ createPayment: 100, paymentStatus: 50, webhook: 100 }),
    schedules: SCHEDULES,
    rollout: { lambda: 'linear', flags: 'linear' },
    backup: { dailyRetentionDays: 35 },
  },

  prod: {
    stage: 'prod',
    env: { account: '333333333333', region: REGION },
    removal: { retainData: true, deletionProtection: true },
    logRetentionDays: 365,
    paydunya: { mode: 'live', timeoutMs: 8_000, store: TEMBA_STORE },
    urls: {
      publicBaseUrl: 'https://api.temba.app',
      returnUrl: 'https://temba.app/payment/return',
      cancelUrl: 'https://temba.app/payment/cancel',
    },
    api: {
      customDomain: {
        domainName: 'api.temba.app',
        // PLACEHOLDER: the ARN of the ISSUED certificate for api.temba.app (runbook: "First deploy").
        certificateArn: certificateArnOf('333333333333', PLACEHOLDER_CERTIFICATE_ID),
      },
      corsOrigins: ['https://temba.app', 'https://www.temba.app'],
      // The stage default covers the CORS preflights (one per checkout: 200/s) and the operator routes.
      throttling: { rateLimit: 250, burstLimit: 500 },
      // Sized for 200 checkouts/s: 200 POST (+25 %), 200 listings (+25 %), 200 x 20 polls = 4,000 GET,
      // 200 x 1.5 = 300 IPNs a second. Bursts: 2 s of checkouts or IPNs at once; polls are spread out and cheap to
      // retry, so half a second; listings, one second. A listing reads up to a page of orders (20 by default), so it
      // gets the checkout's rate, not the poll's: at 4,000/s it could read 80,000 units a second, twice the table's.
      routeThrottling: {
        createPayment: { rateLimit: 250, burstLimit: 500 },
        listPayments: { rateLimit: 250, burstLimit: 250 },
        getPayment: { rateLimit: 4_000, burstLimit: 2_000 },
        paydunyaWebhook: { rateLimit: 300, burstLimit: 600 },
      },
    },
    // Temba's on-sale target. The Lambda quota must be raised from 1,000 to 3,000 before the first on-sale.
    capacity: {
      peakCheckoutsPerSecond: 200,
      accountQuotas: { lambdaConcurrentExecutions: 3_000, apiGatewayRequestsPerSecond: 10_000 },
    },
    waf: {
      // Flood guards sized for carrier NAT (CARRIER_NAT_WAF). The go-live plan's 5 attempts per 15 minutes is per
      // customer, in code: per IP it would turn away a whole carrier address at the first busy minute.
      ...CARRIER_NAT_WAF,
      webhookAllowlist: {
        ipv4: [],
        ipv6: [],
        emptyReason:
          'PayDunya publishes no IPN source addresses (paydunya/API.md section 5); each IPN is checked against the ' +
          'master-key hash and our signed callback URL, then confirmed with PayDunya before anything is marked paid.',
      },
    },
    auth: supabaseAuth(SUPABASE_PROJECT_URLS.prod),
    alarms: GO_LIVE_ALARMS,
    alerts: {
      // The on-call mailbox and the company phone of the go-live plan's store block.
      critical: { emails: ['oncall@temba.app'], sms: ['+22674750815'] },
      warning: { emails: ['payments@temba.app'], sms: [] },
    },
    // The go-live plan's 5 attempts per 15 minutes, per customer (WAF can only count per IP, and not that low).
    limits: { customerAttempts: THRESHOLDS.customerAttempts },
    // Go-live: live payments on, with the plan's daily limits "until stable" and manual review above 100,000 XOF.
    flags: {
      live_payments: { enabled: true },
      manual_review: { enabled: true, threshold_xof: 100_000 },
      daily_limit: { enabled: true, max_xof: 5_000_000, max_count: 500 },
      // Automatic refunds send back at most a fifth of the day's payment limit (5,000,000 XOF) a day: past that,
      // a refund goes MANUAL with an alert, so a bug or an abused route cannot drain the PayDunya balance.
      refunds_enabled: { enabled: true, daily_cap_xof: 1_000_000 },
    },
    events: { archiveRetentionDays: EVENT_ARCHIVE_DAYS.prod },
    fulfilment: FULFILMENT,
    // 250 POST/s x 4 s = 1,000 (PayDunya may slow from a 2 s p99 to 4 s before a checkout is refused);
    // 4,000 polls/s x 0.1 s + 250 listings/s x 0.2 s = 450; 300 IPN/s x 2 s = 600. 2,050 of the 2,900 reservable
    // under a 3,000 quota.
    functions: reserving({ createPayment: 1_000, paymentStatus: 450, webhook: 600 }),
    schedules: SCHEDULES,
    rollout: { lambda: 'canary', flags: 'canary' },
    backup: { dailyRetentionDays: 35, monthlyRetentionDays: 365, vaultLockMinRetentionDays: 35 },
  },
};
