import { METRIC_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/contract/metrics';
import { DRILL_TABLE, TABLE } from '../../lambdas/shared/contract/table';
import { type StageConfig, stageFlags } from '../../lib/config';
import { stackNames } from '../../lib/config/deploy-order';

/**
 * The names of a stage's deployed resources, as the CDK app gives them (lib/constructs/*), so the operator
 * commands find them without a lookup table; test/infra/ops-resources.test.ts checks them against the
 * synthesized templates.
 */
export const stageResources = (config: StageConfig) => {
  const { stage } = config;
  const { account, region } = config.env;
  const prefix = `temba-payments-${stage}`;
  const tableName = TABLE.nameFor(stage);
  return {
    stage,
    account,
    region,
    paydunyaMode: config.paydunya.mode,
    stacks: stackNames(stage),
    secrets: {
      paydunyaKeys: `temba-payments/${stage}/paydunya-keys`,
      signing: `temba-payments/${stage}/callback-signing`,
    },
    table: {
      name: tableName,
      arn: `arn:aws:dynamodb:${region}:${account}:table/${tableName}`,
      /** The table's KMS key (lib/stacks/data-stack.ts): the restore drill encrypts its scratch copy with it. */
      keyAlias: `alias/temba-payments/${stage}/table`,
    },
    drillTablePrefix: DRILL_TABLE.prefixFor(stage),
    /** The AWS Backup vault, where the stage keeps its data (staging, prod); dev has none (its PITR covers it). */
    backupVault: config.backup === undefined ? undefined : prefix,
    /** Where the API answers: its custom domain, and how that domain's certificate is validated (stage config). */
    customDomain: config.api.customDomain,
    /** The application stack's outputs for the custom domain (lib/constructs/payments-api.ts). */
    apiDomainOutputs: { target: 'ApiDomainTarget', certificateArn: 'ApiCertificateArn' },
    /** AppConfig application / environment / feature-flags profile (lib/constructs/feature-flags.ts). */
    flags: {
      application: prefix,
      environment: stage,
      profile: 'payment-flags',
      expected: stageFlags(config),
    },
    /** Every alarm of the stage is named with this prefix. */
    alarmPrefix: `${prefix}-`,
    topics: {
      critical: `arn:aws:sns:${region}:${account}:${prefix}-critical`,
      warning: `arn:aws:sns:${region}:${account}:${prefix}-warning`,
    },
    subscriptions: config.alerts,
    webAcl: prefix,
    /** The webhook allowlist IP sets (lib/constructs/api-firewall.ts), only created when addresses exist. */
    webhookIpSets: [`${prefix}-webhook-ipv4`, `${prefix}-webhook-ipv6`],
    webhookAllowlistRequired: stage === 'prod',
    webhookAllowlistEmptyReason: config.waf.webhookAllowlist.emptyReason,
    codeDeployApplication: prefix,
    /** The identity provider the customer routes trust (stage config `auth`): preflight fetches its documents. */
    customerAuth: config.auth,
    metrics: { namespace: METRIC_NAMESPACE, service: SERVICE_NAME },
  };
};

export type StageResources = ReturnType<typeof stageResources>;
