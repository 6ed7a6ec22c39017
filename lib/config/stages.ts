import { THRESHOLDS } from '../../lambdas/shared/contract/thresholds';
import type { StageConfigInput, StageName } from './stage-config.schema';

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

/** Paris: the closest AWS region to Ouagadougou by network path, French-speaking support, GDPR. */
const REGION = 'eu-west-3';

/** Alarm thresholds of the go-live plan (success rate > 95 %, rollback under 90 %, webhook failures <= 5 %). */
const GO_LIVE_ALARMS = {
  successRate: { warningBelowPercent: 95, criticalBelowPercent: 90, periodMinutes: 60, minEvents: 10 },
  webhookFailureRate: { abovePercent: 5, periodMinutes: 15, minEvents: 5 },
  api5xxRate: { abovePercent: 5, periodMinutes: 5, minEvents: 20 },
  apiP99LatencyMs: { threshold: 10_000, evaluationPeriods: 3 },
  lambdaErrors: { threshold: 1 },
  lambdaThrottles: { threshold: 1 },
  dynamoThrottles: { threshold: 1 },
};

const FUNCTIONS = {
  createPayment: { memoryMb: 512, timeoutSeconds: 20 },
  paymentStatus: { memoryMb: 256, timeoutSeconds: 5 },
  webhook: { memoryMb: 512, timeoutSeconds: 20 },
  // A run confirms pending orders 5 at a time (8 s per PayDunya call at worst); it must end before the next one.
  reconcile: { memoryMb: 512, timeoutSeconds: 300 },
  admin: { memoryMb: 256, timeoutSeconds: 10 },
};

/** Reconcile and daily report times: the shared THRESHOLDS, which a stage may override here. */
const SCHEDULES = {
  reconcileEveryMinutes: THRESHOLDS.reconcile.scheduleMinutes,
  dailyReport: THRESHOLDS.dailyReportCron,
};

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
    },
    waf: {
      paymentsRateLimit: { limit: 100, windowSeconds: 300 },
      globalRateLimit: { limit: 1_000, windowSeconds: 300 },
      webhookAllowlist: { ipv4: [], ipv6: [] },
    },
    alarms: GO_LIVE_ALARMS,
    alerts: { critical: { emails: ['payments-dev@temba.app'], sms: [] }, warning: { emails: [], sms: [] } },
    limits: { customerAttempts: THRESHOLDS.customerAttempts },
    flags: {},
    functions: FUNCTIONS,
    schedules: SCHEDULES,
    rollout: { lambda: 'all-at-once', flags: 'all-at-once' },
    backup: { dailyRetentionDays: 35 },
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
      customDomain: { domainName: 'api-staging.temba.app' },
      corsOrigins: ['https://staging.temba.app'],
      throttling: { rateLimit: 50, burstLimit: 100 },
    },
    waf: {
      // The go-live load test (ab -n 100 -c 10 from one machine) must get through.
      paymentsRateLimit: { limit: 300, windowSeconds: 300 },
      globalRateLimit: { limit: 2_000, windowSeconds: 300 },
      webhookAllowlist: { ipv4: [], ipv6: [] },
    },
    alarms: GO_LIVE_ALARMS,
    alerts: {
      critical: { emails: ['payments-staging@temba.app'], sms: [] },
      warning: { emails: ['payments-staging@temba.app'], sms: [] },
    },
    // The load test reuses one customer: let it through; the go-live value is tested in prod.
    limits: { customerAttempts: { max: 200, windowSeconds: THRESHOLDS.customerAttempts.windowSeconds } },
    flags: { daily_limit: { enabled: true, max_xof: 50_000_000, max_count: 5_000 } },
    functions: FUNCTIONS,
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
      customDomain: { domainName: 'api.temba.app' },
      corsOrigins: ['https://temba.app', 'https://www.temba.app'],
      throttling: { rateLimit: 50, burstLimit: 100 },
    },
    waf: {
      // Go-live plan: 5 payment attempts per IP per 15 minutes. WAF cannot count below 10 per window and its
      // longest window is 10 minutes, so this is the strictest WAF allows; the per-customer limit lives in code.
      paymentsRateLimit: { limit: 10, windowSeconds: 600 },
      globalRateLimit: { limit: 1_000, windowSeconds: 300 },
      webhookAllowlist: {
        ipv4: [],
        ipv6: [],
        emptyReason:
          'PayDunya publishes no IPN source addresses (paydunya/API.md section 5); each IPN is checked against the ' +
          'master-key hash and our signed callback URL, then confirmed with PayDunya before anything is marked paid.',
      },
    },
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
    },
    functions: FUNCTIONS,
    schedules: SCHEDULES,
    rollout: { lambda: 'canary', flags: 'canary' },
    backup: { dailyRetentionDays: 35, monthlyRetentionDays: 365, vaultLockMinRetentionDays: 35 },
  },
};
