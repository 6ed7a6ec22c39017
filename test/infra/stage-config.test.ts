import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { customerAuthSchema } from '../../lambdas/shared/contract/auth';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import { THRESHOLDS } from '../../lambdas/shared/contract/thresholds';
import { loadStageConfig, STAGES, StageConfigError, stageFlags } from '../../lib/config';
import { PLACEHOLDER_CERTIFICATE_ID, type StageConfigInput } from '../../lib/config/stage-config.schema';
import { STAGE_CONFIGS } from '../../lib/config/stages';

/** The real configs with one stage replaced: what a bad edit to lib/config/stages.ts would produce. */
const withStage = (
  stage: 'dev' | 'staging' | 'prod',
  edit: (config: StageConfigInput) => StageConfigInput,
) => ({
  ...STAGE_CONFIGS,
  [stage]: edit(structuredClone(STAGE_CONFIGS[stage])),
});

const loadError = (stage: unknown, configs = STAGE_CONFIGS): string => {
  try {
    loadStageConfig(stage, configs);
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as Error).message;
  }
  throw new Error('the config was accepted');
};

describe('stage config', () => {
  it.each(STAGES)('%s is valid', (stage) => {
    expect(loadStageConfig(stage).stage).toBe(stage);
  });

  it('takes test payments in dev and staging and live payments only in prod', () => {
    expect(STAGES.map((stage) => loadStageConfig(stage).paydunya.mode)).toEqual(['test', 'test', 'live']);
  });

  it("shows the go-live plan's store on PayDunya's page in prod", () => {
    expect(loadStageConfig('prod').paydunya.store).toEqual({
      name: 'Temba',
      tagline: 'Your Premier Event Ticketing Platform',
      phone: '+226 74 75 08 15',
      postal_address: 'Secteur 23, Zone 1, Section KC, Parcelle 09-10, Ouagadougou, Burkina Faso',
      website_url: 'https://temba.app',
      logo_url: 'https://temba.app/logo.svg',
    });
  });

  it('deploys the shared default flags plus the stage overrides (manual review above 100,000 XOF)', () => {
    expect(stageFlags(loadStageConfig('dev'))).toEqual(DEFAULT_FLAGS);
    expect(stageFlags(loadStageConfig('prod')).manual_review).toEqual({
      enabled: true,
      threshold_xof: 100_000,
    });
    expect(stageFlags(loadStageConfig('prod')).live_payments.enabled).toBe(true);
  });

  it('deploys refunds on everywhere, with a cap each stage sets deliberately (or the shared default in dev)', () => {
    // A stage that does not name refunds_enabled gets DEFAULT_FLAGS', not the schema default (off, cap 0).
    expect(loadStageConfig('dev').flags).not.toHaveProperty('refunds_enabled');
    expect(stageFlags(loadStageConfig('dev')).refunds_enabled).toEqual(DEFAULT_FLAGS.refunds_enabled);
    expect(STAGE_CONFIGS.staging.flags?.refunds_enabled).toEqual({
      enabled: true,
      daily_cap_xof: 50_000_000,
    });
    expect(STAGE_CONFIGS.prod.flags?.refunds_enabled).toEqual({ enabled: true, daily_cap_xof: 1_000_000 });
    // Prod's cap is a fifth of its daily payment limit: a runaway refund loop cannot drain the PayDunya balance.
    const prod = stageFlags(loadStageConfig('prod'));
    expect(prod.refunds_enabled.daily_cap_xof).toBeLessThan(prod.daily_limit.max_xof);
  });

  it('refuses an unknown flag and a negative refund cap in the overrides', () => {
    const configs = withStage('dev', (config) => ({
      ...config,
      flags: { refund_enabled: { enabled: true } } as StageConfigInput['flags'],
    }));
    expect(loadError('dev', configs)).toContain('refund_enabled');
    const negative = withStage('dev', (config) => ({
      ...config,
      flags: { refunds_enabled: { enabled: true, daily_cap_xof: -1 } },
    }));
    expect(loadError('dev', negative)).toContain('flags.refunds_enabled.daily_cap_xof');
  });

  it('archives payment events 7 days in dev, 90 in staging, a year in prod; acknowledgements are due within THRESHOLDS', () => {
    expect(STAGES.map((stage) => loadStageConfig(stage).events.archiveRetentionDays)).toEqual([7, 90, 365]);
    for (const stage of STAGES) {
      expect(loadStageConfig(stage).fulfilment.ackMinutes).toBe(THRESHOLDS.fulfilment.ackMinutes);
      expect(loadStageConfig(stage).alarms.eventPublishLag.thresholdSeconds).toBe(
        THRESHOLDS.events.maxPublishLagSeconds,
      );
    }
  });

  it('refuses an admin timeout that cannot cover an inline disbursement (get-invoice, then submit)', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      functions: { ...config.functions, admin: { memoryMb: 256, timeoutSeconds: 10 } },
    }));
    expect(loadError('prod', configs)).toContain(
      'functions.admin.timeoutSeconds: must leave at least 2 s beyond two PayDunya call timeouts',
    );
  });

  it('refuses an unknown or missing stage, saying how to pass one', () => {
    expect(loadError('qa')).toBe("Got stage 'qa': pass -c stage=dev|staging|prod");
    expect(loadError(undefined)).toBe('Got no stage: pass -c stage=dev|staging|prod');
  });

  it('refuses an empty webhook allowlist in prod unless an explicit reason says why', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      waf: { ...config.waf, webhookAllowlist: { ipv4: [], ipv6: [] } },
    }));
    expect(loadError('prod', configs)).toContain(
      "Invalid config for stage 'prod':\n  - waf.webhookAllowlist: prod needs PayDunya source IPs, or an explicit emptyReason",
    );
  });

  it('refuses a WAF rate limit below the floor of 10 requests or an unsupported window', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      waf: { ...config.waf, paymentsRateLimit: { limit: 5, windowSeconds: 900 as 600 } },
    }));
    const message = loadError('prod', configs);
    expect(message).toContain(
      'waf.paymentsRateLimit.limit: WAF rate-based rules cannot go below 10 requests',
    );
    expect(message).toContain(
      'waf.paymentsRateLimit.windowSeconds: WAF evaluation windows are 60, 120, 300 or 600',
    );
  });

  it('refuses reserved concurrency that would leave Lambda fewer than 100 unreserved executions', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      capacity: {
        ...config.capacity,
        accountQuotas: { ...config.capacity.accountQuotas, lambdaConcurrentExecutions: 1_000 },
      },
    }));
    expect(loadError('prod', configs)).toContain(
      'functions: reserved concurrency adds up to 2050: the account quota of 1000 allows 900, since Lambda keeps 100 unreserved',
    );
  });

  it('refuses a checkout throttle or stage default below the stated peak, and limits over the account quota', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      api: {
        ...config.api,
        // Today's prod value before the on-sale sizing.
        throttling: { rateLimit: 50, burstLimit: 100 },
        routeThrottling: {
          ...config.api.routeThrottling,
          createPayment: { rateLimit: 50, burstLimit: 100 },
          getPayment: { rateLimit: 12_000, burstLimit: 5_000 },
        },
      },
    }));
    const message = loadError('prod', configs);
    expect(message).toContain(
      'api.routeThrottling.createPayment.rateLimit: must admit the stated peak of 200 checkouts a second',
    );
    expect(message).toContain('api.throttling.rateLimit: every checkout sends a CORS preflight');
    expect(message).toContain(
      "api.routeThrottling: the stage default and route limits add up to 12650 requests a second, over the account's 10000",
    );
  });

  it('sizes prod for 200 checkouts a second under raised quotas: 3,000 Lambda executions, 10,000 API requests/s', () => {
    expect(loadStageConfig('prod').capacity).toEqual({
      peakCheckoutsPerSecond: 200,
      accountQuotas: { lambdaConcurrentExecutions: 3_000, apiGatewayRequestsPerSecond: 10_000 },
    });
  });

  it('refuses live mode or live payments outside prod, and test mode in prod', () => {
    expect(
      loadError(
        'staging',
        withStage('staging', (c) => ({ ...c, paydunya: { ...c.paydunya, mode: 'live' } })),
      ),
    ).toContain('paydunya.mode: staging must stay in PayDunya test mode');
    expect(
      loadError(
        'dev',
        withStage('dev', (c) => ({ ...c, flags: { live_payments: { enabled: true } } })),
      ),
    ).toContain(
      'flags.live_payments: live payments cannot be enabled on a stage whose PayDunya mode is test',
    );
    expect(
      loadError(
        'prod',
        withStage('prod', (c) => ({ ...c, paydunya: { ...c.paydunya, mode: 'test' } })),
      ),
    ).toContain('paydunya.mode: prod takes live payments');
  });

  it('refuses to let staging or prod delete their data', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      removal: { retainData: false, deletionProtection: true },
    }));
    expect(loadError('prod', configs)).toContain('removal: only dev may delete its data');
  });

  it('refuses a store the PayDunya page cannot show, and malformed alert subscriptions', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      paydunya: { ...config.paydunya, store: { ...config.paydunya.store, logo_url: 'logo.svg' } },
      alerts: { ...config.alerts, critical: { emails: ['oncall'], sms: ['74 75 08 15'] } },
    }));
    const message = loadError('prod', configs);
    expect(message).toContain('paydunya.store.logo_url');
    expect(message).toContain('alerts.critical.emails.0');
    expect(message).toContain('alerts.critical.sms.0');
  });

  it('refuses a public base URL the API does not serve, and a function timeout shorter than a PayDunya call', () => {
    const configs = withStage('staging', (config) => ({
      ...config,
      urls: { ...config.urls, publicBaseUrl: 'https://api.elsewhere.example' },
      functions: { ...config.functions, webhook: { memoryMb: 512, timeoutSeconds: 5 } },
    }));
    const message = loadError('staging', configs);
    expect(message).toContain(
      "urls.publicBaseUrl: must be served by this API's custom domain (api-staging.temba.app)",
    );
    expect(message).toContain(
      'functions.webhook.timeoutSeconds: must leave at least 2 s beyond one PayDunya call',
    );
  });

  it('schedules reconcile and the daily report from the shared THRESHOLDS in every stage (every 15 min, 00:30 UTC)', () => {
    for (const stage of STAGES) {
      expect(loadStageConfig(stage).schedules).toEqual({
        reconcileEveryMinutes: THRESHOLDS.reconcile.scheduleMinutes,
        dailyReport: THRESHOLDS.dailyReportCron,
      });
    }
    expect(THRESHOLDS.reconcile.scheduleMinutes).toBe(15);
    expect(THRESHOLDS.dailyReportCron).toEqual({ minute: '30', hour: '0' });
  });

  it("limits each customer in prod to the go-live plan's 5 payment attempts per 15 minutes", () => {
    expect(loadStageConfig('prod').limits.customerAttempts).toEqual({ max: 5, windowSeconds: 900 });
  });

  it('refuses a reconcile timeout that would overlap its next run or not cover one PayDunya call', () => {
    const overlapping = withStage('dev', (config) => ({
      ...config,
      schedules: { ...config.schedules, reconcileEveryMinutes: 5 },
    }));
    expect(loadError('dev', overlapping)).toContain(
      'functions.reconcile.timeoutSeconds: must end before the next scheduled run (every 5 minutes)',
    );
    const tooShort = withStage('dev', (config) => ({
      ...config,
      functions: { ...config.functions, reconcile: { memoryMb: 512, timeoutSeconds: 6 } },
    }));
    expect(loadError('dev', tooShort)).toContain(
      'functions.reconcile.timeoutSeconds: must leave at least 2 s beyond one PayDunya call',
    );
  });

  it('refuses a daily report time that is not a fixed UTC time of day, and a reconcile period over an hour', () => {
    const configs = withStage('prod', (config) => ({
      ...config,
      schedules: { reconcileEveryMinutes: 90, dailyReport: { minute: '*', hour: '24' } },
    }));
    const message = loadError('prod', configs);
    expect(message).toContain('schedules.reconcileEveryMinutes');
    expect(message).toContain('schedules.dailyReport.minute: must be a number');
    expect(message).toContain('schedules.dailyReport.hour: must be between 0 and 23');
  });

  describe('customer tokens (auth, issue 13)', () => {
    it.each(STAGES)(
      '%s trusts a Supabase Auth project, asymmetric keys only, with the shared defaults filled in',
      (stage) => {
        const { auth } = loadStageConfig(stage);
        expect(auth).toEqual({
          issuer: expect.stringMatching(/^https:\/\/[a-z0-9.-]+\/auth\/v1$/),
          jwksUri: `${auth.issuer}/.well-known/jwks.json`,
          audience: ['authenticated'],
          audienceClaim: 'aud',
          algorithms: ['ES256', 'RS256'],
          clockSkewSeconds: 30,
          jwksCacheSeconds: 600,
        });
        expect(customerAuthSchema.parse(auth)).toEqual(auth);
      },
    );

    it('trusts a real project ref, a Cognito pool, or a placeholder under .invalid (never resolves, nobody can claim it)', () => {
      const hosts = STAGES.map((stage) => new URL(loadStageConfig(stage).auth.issuer).host);
      for (const host of hosts) {
        // A name like temba-dev.supabase.co could be claimed as someone else's vanity subdomain.
        expect(host).toMatch(
          /^([a-z]{20}\.supabase\.co|cognito-idp\.[a-z0-9-]+\.amazonaws\.com|[a-z0-9.-]+\.invalid)$/,
        );
      }
      // One identity provider per stage: a dev token is no use in prod.
      expect(new Set(STAGES.map((stage) => loadStageConfig(stage).auth.issuer)).size).toBe(STAGES.length);
    });

    it.each([
      ['HS256', ['HS256']],
      ['none', ['none']],
      ['HS256 next to RS256', ['RS256', 'HS256']],
      ['no algorithm at all', []],
    ])('refuses %s in auth.algorithms', (_, algorithms) => {
      const configs = withStage('prod', (config) => ({
        ...config,
        auth: { ...config.auth, algorithms: algorithms as StageConfigInput['auth']['algorithms'] },
      }));
      expect(loadError('prod', configs)).toMatch(/^Invalid config for stage 'prod':\n {2}- auth\.algorithms/);
    });

    it('refuses an issuer or JWKS over plain http, an empty audience, an unknown audience claim or a typo', () => {
      const configs = withStage('staging', (config) => ({
        ...config,
        auth: {
          ...config.auth,
          issuer: 'http://temba-staging.supabase.co/auth/v1',
          jwksUri: 'http://temba-staging.supabase.co/auth/v1/.well-known/jwks.json',
          audience: [],
          audienceClaim: 'azp' as 'aud',
          clockSkew: 30,
        } as StageConfigInput['auth'],
      }));
      const message = loadError('staging', configs);
      expect(message).toContain('auth.audience');
      expect(message).toContain('auth.audienceClaim');
      expect(message).toContain('clockSkew');
      const httpOnly = withStage('staging', (config) => ({
        ...config,
        auth: {
          ...config.auth,
          issuer: 'http://temba-staging.supabase.co/auth/v1',
          jwksUri: 'http://temba-staging.supabase.co/auth/v1/.well-known/jwks.json',
        },
      }));
      const refused = loadError('staging', httpOnly);
      expect(refused).toContain('auth.issuer: must be an https:// URL');
      expect(refused).toContain('auth.jwksUri: must be an https:// URL');
    });

    it('accepts a Cognito user pool by configuration alone (access tokens: the app client id in client_id)', () => {
      const issuer = 'https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_AbCdEf123';
      const configs = withStage('prod', (config) => ({
        ...config,
        auth: {
          issuer,
          jwksUri: `${issuer}/.well-known/jwks.json`,
          audience: ['1example23456789abcdefghij'],
          audienceClaim: 'client_id',
          algorithms: ['RS256'],
        },
      }));
      expect(loadStageConfig('prod', configs).auth).toMatchObject({ issuer, audienceClaim: 'client_id' });
    });
  });

  describe('a first deploy that works (issue 14)', () => {
    type CustomDomain = NonNullable<StageConfigInput['api']['customDomain']>;
    const withDomain = (customDomain: CustomDomain) =>
      withStage('staging', (config) => ({ ...config, api: { ...config.api, customDomain } }));
    const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'temba.app' };
    const certificate = (account: string, region = 'eu-west-3') =>
      `arn:aws:acm:${region}:${account}:certificate/5f0c2a9e-1b7d-4c3e-9a61-2d8e4f6b0c17`;

    it('ships staging and prod with a placeholder certificate of their own account, and dev with no custom domain', () => {
      expect(loadStageConfig('dev').api.customDomain).toBeUndefined();
      for (const [stage, account] of [
        ['staging', '222222222222'],
        ['prod', '333333333333'],
      ] as const) {
        expect(loadStageConfig(stage).api.customDomain?.certificateArn).toBe(
          `arn:aws:acm:eu-west-3:${account}:certificate/${PLACEHOLDER_CERTIFICATE_ID}`,
        );
        expect(loadStageConfig(stage).env.account).toBe(account);
      }
    });

    it('accepts a custom domain validated in a Route 53 hosted zone, or with a certificate of its own account and region', () => {
      const zoned = loadStageConfig(
        'staging',
        withDomain({ domainName: 'api-staging.temba.app', hostedZone: ZONE }),
      );
      expect(zoned.api.customDomain?.hostedZone).toEqual(ZONE);
      const given = withDomain({
        domainName: 'api-staging.temba.app',
        certificateArn: certificate('222222222222'),
      });
      expect(loadStageConfig('staging', given).api.customDomain?.certificateArn).toBe(
        certificate('222222222222'),
      );
    });

    it('refuses a custom domain that does not say how its certificate is validated (the deploy would wait for DNS)', () => {
      expect(loadError('staging', withDomain({ domainName: 'api-staging.temba.app' }))).toContain(
        'api.customDomain: say how the certificate is validated: hostedZone (Route 53, automated) or certificateArn',
      );
      expect(
        loadError(
          'staging',
          withDomain({
            domainName: 'api-staging.temba.app',
            hostedZone: ZONE,
            certificateArn: certificate('222222222222'),
          }),
        ),
      ).toContain('api.customDomain: one validation path: hostedZone or certificateArn, not both');
    });

    it('refuses a hosted zone that does not hold the domain, and a certificate of another account or region', () => {
      expect(
        loadError(
          'staging',
          withDomain({ domainName: 'api-staging.temba.app', hostedZone: { ...ZONE, zoneName: 'temba.dev' } }),
        ),
      ).toContain('api.customDomain.hostedZone.zoneName: must hold api-staging.temba.app');
      expect(
        loadError(
          'staging',
          withDomain({
            domainName: 'api-staging.temba.app',
            hostedZone: { ...ZONE, hostedZoneId: 'temba.app' },
          }),
        ),
      ).toContain('api.customDomain.hostedZone.hostedZoneId: must be a Route 53 hosted zone id');
      for (const arn of [certificate('333333333333'), certificate('222222222222', 'us-east-1')]) {
        expect(
          loadError('staging', withDomain({ domainName: 'api-staging.temba.app', certificateArn: arn })),
        ).toContain(
          'api.customDomain.certificateArn: a regional API takes a certificate of its own account and region (222222222222, eu-west-3)',
        );
      }
    });

    it('keeps AWS Backup exactly where data is kept: none in dev (so it can be destroyed), required in staging and prod', () => {
      expect(loadStageConfig('dev').backup).toBeUndefined();
      expect(loadStageConfig('staging').backup).toEqual({ dailyRetentionDays: 35 });
      expect(
        loadError(
          'dev',
          withStage('dev', (config) => ({ ...config, backup: { dailyRetentionDays: 35 } })),
        ),
      ).toContain('backup: disposable data keeps no AWS Backup vault');
      for (const stage of ['staging', 'prod'] as const) {
        expect(
          loadError(
            stage,
            withStage(stage, ({ backup: _, ...config }) => config),
          ),
        ).toContain('backup: data that is kept is backed up');
      }
    });
  });

  it('refuses unknown keys, so a typo cannot silently drop a setting', () => {
    const configs = withStage('dev', (config) => ({ ...config, logRetention: 14 }) as StageConfigInput);
    expect(loadError('dev', configs)).toContain('logRetention');
  });

  it('makes `cdk synth` with a bad stage fail with that message, before any stack exists', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const result = spawnSync('npx', ['--no-install', 'tsx', 'bin/payments.ts'], {
      cwd: root,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ stage: 'qa' }),
        CDK_OUTDIR: '/tmp/temba-cdk-out-bad-stage',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("Got stage 'qa': pass -c stage=dev|staging|prod");
  });
});
