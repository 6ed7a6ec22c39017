import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { BackupClient, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  GetDeploymentGroupCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeContinuousBackupsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  GetIPSetCommand,
  ListIPSetsCommand,
  ListResourcesForWebACLCommand,
  ListWebACLsCommand,
  WAFV2Client,
} from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Flags } from '../../lambdas/shared/contract/flags';
import { loadStageConfig } from '../../lib/config';
import { DATA_REFERENCES_OUTPUT } from '../../lib/config/deploy-order';
import type { StageConfigInput } from '../../lib/config/stage-config.schema';
import { STAGE_CONFIGS } from '../../lib/config/stages';
import { formatChecklist, runPreflight } from '../../scripts/ops/preflight';
import { stageResources } from '../../scripts/ops/stage-resources';

/** Prod once its certificate is requested and its ARN set (lib/config/stages.ts ships a placeholder). */
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-3:333333333333:certificate/5f0c2a9e-1b7d-4c3e-9a61-2d8e4f6b0c17';
const withCustomDomain = (customDomain: NonNullable<StageConfigInput['api']['customDomain']>) =>
  stageResources(
    loadStageConfig('prod', {
      ...STAGE_CONFIGS,
      prod: { ...STAGE_CONFIGS.prod, api: { ...STAGE_CONFIGS.prod.api, customDomain } },
    }),
  );
const config = loadStageConfig('prod');
const r = withCustomDomain({ domainName: 'api.temba.app', certificateArn: CERTIFICATE_ARN });
const NOW = new Date('2026-11-26T09:00:00Z');
const EXPECTED_ALARMS = [
  'temba-payments-prod-success-rate-critical',
  'temba-payments-prod-fraud-suspected',
  'temba-payments-prod-webhook-errors',
];

const mocks = {
  secrets: mockClient(SecretsManagerClient),
  appConfigData: mockClient(AppConfigDataClient),
  dynamodb: mockClient(DynamoDBClient),
  backup: mockClient(BackupClient),
  cloudwatch: mockClient(CloudWatchClient),
  sns: mockClient(SNSClient),
  waf: mockClient(WAFV2Client),
  codedeploy: mockClient(CodeDeployClient),
  cloudformation: mockClient(CloudFormationClient),
  acm: mockClient(ACMClient),
  route53: mockClient(Route53Client),
};
const clients = {
  secrets: new SecretsManagerClient({ region: r.region }),
  appConfigData: new AppConfigDataClient({ region: r.region }),
  dynamodb: new DynamoDBClient({ region: r.region }),
  backup: new BackupClient({ region: r.region }),
  cloudwatch: new CloudWatchClient({ region: r.region }),
  sns: new SNSClient({ region: r.region }),
  waf: new WAFV2Client({ region: r.region }),
  codedeploy: new CodeDeployClient({ region: r.region }),
  cloudformation: new CloudFormationClient({ region: r.region }),
  acm: new ACMClient({ region: r.region }),
  route53: new Route53Client({ region: r.region }),
};

const LIVE_KEYS = {
  master_key: 'a1b2c3d4-master',
  test_private_key: 'test_private_abc',
  test_token: 'tok-test',
  live_private_key: 'live_private_xyz',
  live_token: 'tok-live',
};
const secretArn = (account: string, name: string) =>
  `arn:aws:secretsmanager:${r.region}:${account}:secret:${name}-AbCdEf`;
const keysSecret = (keys: Record<string, string>, account = r.account) =>
  mocks.secrets
    .on(GetSecretValueCommand, { SecretId: r.secrets.paydunyaKeys })
    .resolves({ ARN: secretArn(account, r.secrets.paydunyaKeys), SecretString: JSON.stringify(keys) });
const deployedFlags = (flags: Flags) =>
  mocks.appConfigData.on(GetLatestConfigurationCommand).resolves({
    Configuration: Object.assign(new TextEncoder().encode(JSON.stringify(flags)), {
      transformToString: () => JSON.stringify(flags),
    }),
  });
const confirmed = (endpoint: string, topic: string) => ({
  Endpoint: endpoint,
  TopicArn: topic,
  SubscriptionArn: `${topic}:${endpoint.length}-sub`,
});

/** A prod account in which every go-live check holds. */
const healthyAccount = () => {
  for (const mock of Object.values(mocks)) mock.reset();
  keysSecret(LIVE_KEYS);
  mocks.secrets
    .on(GetSecretValueCommand, { SecretId: r.secrets.signing })
    .resolves({ ARN: secretArn(r.account, r.secrets.signing), SecretString: 'S'.repeat(64) });
  mocks.appConfigData
    .on(StartConfigurationSessionCommand, {
      ApplicationIdentifier: 'temba-payments-prod',
      EnvironmentIdentifier: 'prod',
      ConfigurationProfileIdentifier: 'payment-flags',
    })
    .resolves({ InitialConfigurationToken: 'token-1' });
  deployedFlags(r.flags.expected);
  mocks.dynamodb.on(DescribeContinuousBackupsCommand, { TableName: 'temba-payments-prod' }).resolves({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: {
        PointInTimeRecoveryStatus: 'ENABLED',
        LatestRestorableDateTime: new Date('2026-11-26T08:55:00Z'),
      },
    },
  });
  mocks.backup
    .on(ListRecoveryPointsByBackupVaultCommand, {
      BackupVaultName: 'temba-payments-prod',
      ByResourceArn: r.table.arn,
    })
    .resolves({
      RecoveryPoints: [
        { Status: 'COMPLETED', CreationDate: new Date('2026-11-26T02:10:00Z'), RecoveryPointArn: 'rp-1' },
      ],
    });
  mocks.cloudwatch.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'temba-payments-prod-' }).resolves({
    MetricAlarms: EXPECTED_ALARMS.map((AlarmName) => ({ AlarmName, StateValue: 'OK' })),
  });
  mocks.sns
    .on(ListSubscriptionsByTopicCommand, { TopicArn: r.topics.critical })
    .resolves({
      Subscriptions: [
        confirmed('oncall@temba.app', r.topics.critical),
        confirmed('+22674750815', r.topics.critical),
      ],
    })
    .on(ListSubscriptionsByTopicCommand, { TopicArn: r.topics.warning })
    .resolves({ Subscriptions: [confirmed('payments@temba.app', r.topics.warning)] });
  const aclArn = `arn:aws:wafv2:${r.region}:${r.account}:regional/webacl/temba-payments-prod/acl-1`;
  mocks.waf
    .on(ListWebACLsCommand)
    .resolves({ WebACLs: [{ Name: 'temba-payments-prod', Id: 'acl-1', ARN: aclArn }] })
    .on(ListResourcesForWebACLCommand, { WebACLArn: aclArn, ResourceType: 'API_GATEWAY' })
    .resolves({ ResourceArns: [`arn:aws:apigateway:${r.region}::/restapis/abc123/stages/v1`] })
    .on(ListIPSetsCommand)
    .resolves({ IPSets: [{ Name: 'temba-payments-prod-webhook-ipv4', Id: 'ips-1', ARN: 'arn:ips-1' }] })
    .on(GetIPSetCommand, { Name: 'temba-payments-prod-webhook-ipv4', Id: 'ips-1' })
    .resolves({
      IPSet: {
        Name: 'temba-payments-prod-webhook-ipv4',
        Id: 'ips-1',
        ARN: 'arn:ips-1',
        IPAddressVersion: 'IPV4',
        Addresses: ['198.51.100.0/28'],
      },
    });
  mocks.codedeploy
    .on(ListDeploymentGroupsCommand, { applicationName: 'temba-payments-prod' })
    .resolves({ deploymentGroups: ['create-payment', 'webhook'] })
    .on(GetDeploymentGroupCommand)
    .resolves({
      deploymentGroupInfo: {
        alarmConfiguration: { enabled: true },
        autoRollbackConfiguration: { enabled: true },
        lastAttemptedDeployment: { deploymentId: 'd-OK', status: 'Succeeded' },
      },
    })
    .on(ListDeploymentsCommand)
    .resolves({ deployments: [] });
  stackOutputs(DATA_OUTPUTS, Object.values(DATA_OUTPUTS).join(' '));
  issuedCertificate(CERTIFICATE_ARN);
};

/** ACM's answer for a certificate of api.temba.app, ISSUED and valid until 2027 unless told otherwise. */
const issuedCertificate = (arn: string, changes: Record<string, unknown> = {}) =>
  mocks.acm.on(DescribeCertificateCommand, { CertificateArn: arn }).resolves({
    Certificate: {
      CertificateArn: arn,
      DomainName: 'api.temba.app',
      SubjectAlternativeNames: ['api.temba.app'],
      Status: 'ISSUED',
      NotAfter: new Date('2027-06-01T00:00:00Z'),
      RenewalEligibility: 'ELIGIBLE',
      ...changes,
    },
  });

/** The data stack's outputs now, and what the application stack resolved at its last deploy. */
const stackOutputs = (data: Record<string, string>, applicationSaw: string | undefined) => {
  mocks.cloudformation
    .on(DescribeStacksCommand, { StackName: r.stacks.data })
    .resolves({ Stacks: [{ StackName: r.stacks.data, Outputs: Object.entries(data).map(output) } as never] })
    .on(DescribeStacksCommand, { StackName: r.stacks.application })
    .resolves({
      Stacks: [
        {
          StackName: r.stacks.application,
          Outputs: applicationSaw === undefined ? [] : [output([DATA_REFERENCES_OUTPUT, applicationSaw])],
        } as never,
      ],
    });
};
const output = ([OutputKey, OutputValue]: [string, string]) => ({ OutputKey, OutputValue });
const DATA_OUTPUTS = {
  ExportsOutputRefTableName: 'temba-payments-prod',
  ExportsOutputFnGetAttTableKeyArn: 'arn:aws:kms:eu-west-3:333333333333:key/1111-aaaa',
  ExportsOutputRefPaydunyaKeys:
    'arn:aws:secretsmanager:eu-west-3:333333333333:secret:temba-payments/prod/paydunya-keys-AbCdEf',
};

const run = () => runPreflight(clients, r, { expectedAlarms: EXPECTED_ALARMS, now: NOW });
const failedLines = async () => (await run()).filter((result) => !result.ok);

beforeEach(healthyAccount);
afterAll(() => {
  for (const mock of Object.values(mocks)) mock.restore();
});

describe('npm run preflight -- --stage prod', () => {
  it('passes every line of the go-live checklist on a ready account, and says so', async () => {
    const results = await run();
    expect(results.map((result) => [result.name, result.ok])).toEqual([
      ["Credentials are for the stage's account (333333333333)", true],
      ['PayDunya keys secret is filled (no placeholder)', true],
      ["PayDunya key prefixes match the stage's mode (live)", true],
      ['Callback-signing secret is set', true],
      ['Flags hold what the stage expects', true],
      ['Point-in-time recovery is on', true],
      ['A backup recovery point under 26 h old exists', true],
      ['Alarms exist', true],
      ['No alarm is in ALARM', true],
      ['SNS subscriptions are confirmed', true],
      ['WAF web ACL is associated with the API', true],
      ['Webhook IP set is not empty', true],
      ['CodeDeploy deployment groups are healthy', true],
      ['Application stack reads the current data stack outputs', true],
      ['Certificate of api.temba.app is ISSUED and valid 30 more days', true],
    ]);
    const printed = formatChecklist('prod', results);
    expect(printed).toContain('All 15 checks passed.');
    expect(printed.split('\n').filter((line) => line.includes('[PASS]'))).toHaveLength(15);
  });

  it('fails when the data stack was deployed since with a replaced key, naming the stale value and the fix', async () => {
    const replacedKey = 'arn:aws:kms:eu-west-3:333333333333:key/2222-bbbb';
    stackOutputs(
      { ...DATA_OUTPUTS, ExportsOutputFnGetAttTableKeyArn: replacedKey },
      Object.values(DATA_OUTPUTS).join(' '),
    );
    expect(await failedLines()).toEqual([
      {
        name: 'Application stack reads the current data stack outputs',
        ok: false,
        detail: expect.stringMatching(
          /1 value\(s\) no longer output by TembaPayments-prod-Data \(arn:aws:kms:.*key\/1111-aaaa\): deploy TembaPayments-prod-App again/,
        ),
      },
    ]);
  });

  it('fails when the application stack predates the check (or was deployed before the data stack)', async () => {
    stackOutputs(DATA_OUTPUTS, undefined);
    expect((await failedLines()).map((f) => f.detail)).toEqual([
      'TembaPayments-prod-App has no DataStackReferences output: deploy it (after TembaPayments-prod-Data)',
    ]);
  });

  it('never prints a secret value, even when the check fails', async () => {
    keysSecret({ ...LIVE_KEYS, live_private_key: 'test_private_leaked_into_live' });
    const printed = formatChecklist('prod', await run());
    for (const value of [...Object.values(LIVE_KEYS), 'test_private_leaked_into_live', 'S'.repeat(64)]) {
      expect(printed).not.toContain(value);
    }
  });

  it.each([
    ['master_key', { ...LIVE_KEYS, master_key: 'REPLACE_ME_master_key' }],
    ['live_token', { ...LIVE_KEYS, live_token: 'REPLACE_ME_live_token' }],
    [
      'live_private_key',
      { master_key: 'm', test_private_key: 'test_private_a', test_token: 't', live_token: 'l' },
    ],
  ])('fails "secret filled" when %s is a placeholder or missing', async (field, keys) => {
    keysSecret(keys);
    const failed = await failedLines();
    expect(failed.map((f) => f.name)).toContain('PayDunya keys secret is filled (no placeholder)');
    expect(failed.find((f) => f.name.startsWith('PayDunya keys secret'))?.detail).toContain(field);
  });

  it('fails the key prefix check when prod holds a test key where the live one belongs', async () => {
    keysSecret({ ...LIVE_KEYS, live_private_key: 'test_private_oops' });
    const failed = await failedLines();
    expect(failed).toEqual([
      {
        name: "PayDunya key prefixes match the stage's mode (live)",
        ok: false,
        detail: 'live_private_key does not start with live_private_',
      },
    ]);
  });

  it('fails on a test-mode stage that holds live keys', async () => {
    const staging = stageResources(loadStageConfig('staging'));
    mocks.secrets.on(GetSecretValueCommand, { SecretId: staging.secrets.paydunyaKeys }).resolves({
      ARN: secretArn(staging.account, staging.secrets.paydunyaKeys),
      SecretString: JSON.stringify(LIVE_KEYS),
    });
    const results = await runPreflight(clients, staging, { expectedAlarms: [], now: NOW });
    expect(results.find((result) => result.name.startsWith('PayDunya key prefixes'))).toMatchObject({
      ok: false,
      detail: expect.stringContaining('live_private_key is set on a test-mode stage'),
    });
  });

  it('fails the account line when the credentials belong to another account', async () => {
    keysSecret(LIVE_KEYS, '222222222222');
    expect((await failedLines()).map((f) => f.name)).toEqual([
      "Credentials are for the stage's account (333333333333)",
    ]);
  });

  it('fails when the signing secret is missing', async () => {
    mocks.secrets.on(GetSecretValueCommand, { SecretId: r.secrets.signing }).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    expect(await failedLines()).toEqual([
      {
        name: 'Callback-signing secret is set',
        ok: false,
        detail: "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
      },
    ]);
  });

  it.each([
    ['payments paused', { payments_enabled: { enabled: false } }, 'payments_enabled'],
    ['live payments off', { live_payments: { enabled: false } }, 'live_payments'],
  ])('fails the flags line when the deployed flags differ (%s)', async (_, change, flag) => {
    deployedFlags({ ...r.flags.expected, ...change });
    const failed = await failedLines();
    expect(failed.map((f) => f.name)).toEqual(['Flags hold what the stage expects']);
    expect(failed[0]?.detail).toContain(`${flag} is {"enabled":false}`);
  });

  it('fails when point-in-time recovery is off', async () => {
    mocks.dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    });
    expect((await failedLines()).map((f) => [f.name, f.detail])).toEqual([
      ['Point-in-time recovery is on', 'temba-payments-prod: DISABLED'],
    ]);
  });

  it('fails when no completed recovery point is recent enough', async () => {
    mocks.backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: [{ Status: 'PARTIAL', CreationDate: new Date('2026-11-26T02:10:00Z') }],
    });
    const failed = await failedLines();
    expect(failed.map((f) => f.name)).toEqual(['A backup recovery point under 26 h old exists']);
    // Only recovery points created in the window were asked for.
    const input = mocks.backup.commandCalls(ListRecoveryPointsByBackupVaultCommand)[0]?.args[0].input;
    expect(input?.ByCreatedAfter).toEqual(new Date('2026-11-25T07:00:00Z'));
  });

  it('fails when an expected alarm is missing, naming it', async () => {
    mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'temba-payments-prod-success-rate-critical', StateValue: 'OK' }],
    });
    expect((await failedLines()).map((f) => [f.name, f.detail])).toEqual([
      ['Alarms exist', 'missing: temba-payments-prod-fraud-suspected, temba-payments-prod-webhook-errors'],
    ]);
  });

  it('fails when an alarm is in ALARM, across pages of alarms', async () => {
    mocks.cloudwatch
      .on(DescribeAlarmsCommand, { NextToken: undefined })
      .resolves({
        MetricAlarms: [{ AlarmName: 'temba-payments-prod-success-rate-critical', StateValue: 'OK' }],
        NextToken: 'page-2',
      })
      .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
      .resolves({
        MetricAlarms: [
          { AlarmName: 'temba-payments-prod-fraud-suspected', StateValue: 'ALARM' },
          { AlarmName: 'temba-payments-prod-webhook-errors', StateValue: 'INSUFFICIENT_DATA' },
        ],
      });
    expect((await failedLines()).map((f) => [f.name, f.detail])).toEqual([
      ['No alarm is in ALARM', 'in ALARM: temba-payments-prod-fraud-suspected'],
    ]);
  });

  it('fails when a subscription is pending confirmation or absent, without printing the address in full', async () => {
    mocks.sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: r.topics.critical })
      .resolves({
        Subscriptions: [
          { Endpoint: 'oncall@temba.app', SubscriptionArn: 'PendingConfirmation' },
          confirmed('+22674750815', r.topics.critical),
        ],
      })
      .on(ListSubscriptionsByTopicCommand, { TopicArn: r.topics.warning })
      .resolves({ Subscriptions: [] });
    const [failed] = await failedLines();
    expect(failed?.name).toBe('SNS subscriptions are confirmed');
    expect(failed?.detail).toBe(
      'critical: o***@temba.app has not confirmed (PendingConfirmation); warning: p***@temba.app is not subscribed',
    );
  });

  it('fails when the web ACL is not associated with the API stage', async () => {
    mocks.waf.on(ListResourcesForWebACLCommand).resolves({ ResourceArns: [] });
    expect((await failedLines()).map((f) => f.name)).toEqual(['WAF web ACL is associated with the API']);
  });

  it('fails when the web ACL does not exist', async () => {
    mocks.waf.on(ListWebACLsCommand).resolves({ WebACLs: [] });
    expect((await failedLines()).map((f) => [f.name, f.detail])).toEqual([
      ['WAF web ACL is associated with the API', 'no regional web ACL named temba-payments-prod'],
    ]);
  });

  it('fails in prod when the webhook IP set is empty or absent, quoting the config reason', async () => {
    mocks.waf.on(ListIPSetsCommand).resolves({ IPSets: [] });
    const failed = await failedLines();
    expect(failed.map((f) => f.name)).toEqual(['Webhook IP set is not empty']);
    expect(failed[0]?.detail).toContain('PayDunya publishes no IPN source addresses');
  });

  it('does not require a webhook IP set outside prod', async () => {
    const staging = stageResources(loadStageConfig('staging'));
    const results = await runPreflight(clients, staging, { expectedAlarms: [], now: NOW });
    expect(results.map((result) => result.name)).not.toContain('Webhook IP set is not empty');
  });

  it.each([
    [
      'a deployment still in progress',
      () =>
        mocks.codedeploy
          .on(ListDeploymentsCommand, { deploymentGroupName: 'webhook' })
          .resolves({ deployments: ['d-RUN'] }),
      'webhook: deployment d-RUN still in progress',
    ],
    [
      'a failed last deployment',
      () =>
        mocks.codedeploy.on(GetDeploymentGroupCommand, { deploymentGroupName: 'create-payment' }).resolves({
          deploymentGroupInfo: {
            alarmConfiguration: { enabled: true },
            autoRollbackConfiguration: { enabled: true },
            lastAttemptedDeployment: { deploymentId: 'd-BAD', status: 'Failed' },
          },
        }),
      'create-payment: last deployment d-BAD Failed',
    ],
    [
      'rollback alarms turned off',
      () =>
        mocks.codedeploy.on(GetDeploymentGroupCommand, { deploymentGroupName: 'webhook' }).resolves({
          deploymentGroupInfo: {
            alarmConfiguration: { enabled: false },
            autoRollbackConfiguration: { enabled: true },
          },
        }),
      'webhook: rollback alarms are off',
    ],
    [
      'no deployment group at all',
      () => mocks.codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: [] }),
      'application temba-payments-prod has no deployment group',
    ],
  ])('fails the CodeDeploy line on %s', async (_, arrange, detail) => {
    arrange();
    expect((await failedLines()).map((f) => [f.name, f.detail])).toEqual([
      ['CodeDeploy deployment groups are healthy', detail],
    ]);
  });

  it('reports each AWS error on its own line and still runs the other checks', async () => {
    const denied = Object.assign(
      new Error('User is not authorized to perform: backup:ListRecoveryPointsByBackupVault'),
      {
        name: 'AccessDeniedException',
      },
    );
    mocks.backup.on(ListRecoveryPointsByBackupVaultCommand).rejects(denied);
    const results = await run();
    expect(results).toHaveLength(15);
    expect(results.filter((result) => !result.ok)).toEqual([
      {
        name: 'A recent backup recovery point exists',
        ok: false,
        detail:
          'AccessDeniedException: User is not authorized to perform: backup:ListRecoveryPointsByBackupVault',
      },
    ]);
    expect(formatChecklist('prod', results)).toContain('1 of 15 checks failed.');
  });

  describe('custom domain (issue 14: a first deploy that works)', () => {
    const certificateLine = 'Certificate of api.temba.app is ISSUED and valid 30 more days';

    it('fails on the placeholder certificate the config ships with, saying what to do, without asking ACM', async () => {
      const shipped = stageResources(config);
      const results = await runPreflight(clients, shipped, { expectedAlarms: EXPECTED_ALARMS, now: NOW });
      expect(results.find((result) => result.name === certificateLine)).toEqual({
        name: certificateLine,
        ok: false,
        detail: expect.stringMatching(
          /certificate\/0{8}-0{4}-0{4}-0{4}-0{12} is a placeholder: request the certificate, then set its ARN in lib\/config\/stages.ts \(docs\/runbook.md/,
        ),
      });
      expect(mocks.acm.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
    });

    it.each([
      [
        'still waiting for its DNS validation',
        { Status: 'PENDING_VALIDATION' },
        `${CERTIFICATE_ARN} is PENDING_VALIDATION: add the CNAME ACM shows for it at the DNS provider, and wait`,
      ],
      [
        'expiring within 30 days, not renewed',
        { NotAfter: new Date('2026-12-20T00:00:00Z') },
        `${CERTIFICATE_ARN} expires 2026-12-20T00:00:00.000Z: ACM has not renewed it (is its validation CNAME still in place?)`,
      ],
      [
        'issued for another name',
        { DomainName: 'www.temba.app', SubjectAlternativeNames: ['www.temba.app'] },
        `${CERTIFICATE_ARN} is for www.temba.app, www.temba.app, not api.temba.app`,
      ],
    ])('fails when the certificate is %s', async (_, changes, detail) => {
      issuedCertificate(CERTIFICATE_ARN, changes);
      expect(await failedLines()).toEqual([{ name: certificateLine, ok: false, detail }]);
    });

    it('accepts a wildcard certificate of the parent domain', async () => {
      issuedCertificate(CERTIFICATE_ARN, {
        DomainName: '*.temba.app',
        SubjectAlternativeNames: ['*.temba.app'],
      });
      expect(await failedLines()).toEqual([]);
    });

    describe('validated in a Route 53 hosted zone', () => {
      const zone = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'temba.app' };
      const zoned = withCustomDomain({ domainName: 'api.temba.app', hostedZone: zone });
      const STACK_CERTIFICATE =
        'arn:aws:acm:eu-west-3:333333333333:certificate/aaaa1111-2222-3333-4444-555566667777';
      const API_DOMAIN = 'd-abc123xyz.execute-api.eu-west-3.amazonaws.com';
      const runZoned = () => runPreflight(clients, zoned, { expectedAlarms: EXPECTED_ALARMS, now: NOW });
      const recordLine = 'Route 53 zone temba.app points api.temba.app at the API';
      const aliasRecord = (dnsName: string) =>
        mocks.route53.on(ListResourceRecordSetsCommand, { HostedZoneId: zone.hostedZoneId }).resolves({
          ResourceRecordSets: [
            {
              Name: 'api.temba.app.',
              Type: 'A',
              AliasTarget: { DNSName: dnsName, HostedZoneId: 'ZLY8HYME6SFDD', EvaluateTargetHealth: false },
            },
          ],
        });

      beforeEach(() => {
        mocks.cloudformation.on(DescribeStacksCommand, { StackName: zoned.stacks.application }).resolves({
          Stacks: [
            {
              StackName: zoned.stacks.application,
              Outputs: [
                output([DATA_REFERENCES_OUTPUT, Object.values(DATA_OUTPUTS).join(' ')]),
                output([zoned.apiDomainOutputs.certificateArn, STACK_CERTIFICATE]),
                output([zoned.apiDomainOutputs.target, API_DOMAIN]),
              ],
            } as never,
          ],
        });
        issuedCertificate(STACK_CERTIFICATE);
        mocks.route53
          .on(GetHostedZoneCommand, { Id: zone.hostedZoneId })
          .resolves({ HostedZone: { Id: zone.hostedZoneId, Name: 'temba.app.', CallerReference: 'cdk' } });
        aliasRecord(`${API_DOMAIN}.`);
      });

      it("checks the certificate the stack made and the domain's alias record to the API", async () => {
        const results = await runZoned();
        expect(results.filter((result) => !result.ok)).toEqual([]);
        expect(results.slice(-2)).toEqual([
          {
            name: certificateLine,
            ok: true,
            detail: `${STACK_CERTIFICATE}, valid until 2027-06-01T00:00:00.000Z`,
          },
          { name: recordLine, ok: true, detail: `alias of ${API_DOMAIN}` },
        ]);
      });

      it('fails when the alias record points somewhere else than the API', async () => {
        aliasRecord('d-old999.execute-api.eu-west-3.amazonaws.com.');
        expect((await runZoned()).filter((result) => !result.ok)).toEqual([
          {
            name: recordLine,
            ok: false,
            detail: `api.temba.app is an alias of d-old999.execute-api.eu-west-3.amazonaws.com., the API's domain is ${API_DOMAIN}`,
          },
        ]);
      });

      it('fails when the zone holds no record for the domain', async () => {
        mocks.route53
          .on(ListResourceRecordSetsCommand)
          .resolves({ ResourceRecordSets: [{ Name: 'www.temba.app.', Type: 'A' }] });
        expect((await runZoned()).filter((result) => !result.ok).map((f) => f.detail)).toEqual([
          'no alias A record for api.temba.app in temba.app: deploy TembaPayments-prod-App',
        ]);
      });

      it('fails when the configured zone id is another zone', async () => {
        mocks.route53
          .on(GetHostedZoneCommand)
          .resolves({ HostedZone: { Id: zone.hostedZoneId, Name: 'example.com.', CallerReference: 'x' } });
        expect((await runZoned()).filter((result) => !result.ok).map((f) => f.detail)).toEqual([
          'zone Z0123456789ABCDEFGHIJ is example.com., not temba.app',
        ]);
      });
    });
  });

  describe('a stage without a custom domain or AWS Backup (dev)', () => {
    const dev = stageResources(loadStageConfig('dev'));

    it('passes the backup line saying why there is no vault, and asks AWS Backup nothing', async () => {
      const results = await runPreflight(clients, dev, { expectedAlarms: [], now: NOW });
      expect(results.find((result) => result.name === 'No AWS Backup vault is expected')).toEqual({
        name: 'No AWS Backup vault is expected',
        ok: true,
        detail:
          'dev keeps no backup vault: its data is disposable (removal.retainData false), so it can be destroyed; ' +
          'point-in-time recovery covers it',
      });
      expect(mocks.backup.commandCalls(ListRecoveryPointsByBackupVaultCommand)).toHaveLength(0);
    });

    it('prints no certificate or DNS line', async () => {
      const results = await runPreflight(clients, dev, { expectedAlarms: [], now: NOW });
      expect(results.map((result) => result.name).join('\n')).not.toMatch(/Certificate|Route 53/);
      expect(mocks.acm.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
    });
  });
});
