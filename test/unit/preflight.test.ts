import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { BackupClient, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  GetDeploymentGroupCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeContinuousBackupsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
import { formatChecklist, runPreflight } from '../../scripts/ops/preflight';
import { stageResources } from '../../scripts/ops/stage-resources';

const config = loadStageConfig('prod');
const r = stageResources(config);
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
    ]);
    const printed = formatChecklist('prod', results);
    expect(printed).toContain('All 13 checks passed.');
    expect(printed.split('\n').filter((line) => line.includes('[PASS]'))).toHaveLength(13);
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
    expect(results).toHaveLength(13);
    expect(results.filter((result) => !result.ok)).toEqual([
      {
        name: 'A recent backup recovery point exists',
        ok: false,
        detail:
          'AccessDeniedException: User is not authorized to perform: backup:ListRecoveryPointsByBackupVault',
      },
    ]);
    expect(formatChecklist('prod', results)).toContain('1 of 13 checks failed.');
  });
});
