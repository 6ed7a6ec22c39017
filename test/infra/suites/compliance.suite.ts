import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { SynthesizedStage } from '../support/synth-stage';
import { type CfnResourceJson, logicalIdOf, resourcesOf } from '../support/template';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ACKNOWLEDGEMENTS_FILE = 'lib/compliance/nag-acknowledgements.ts';

/** Every TypeScript file under `dir` (relative to the repository root). */
const sourcesUnder = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => relative(ROOT, join(ROOT, dir, file)));

interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const actionsOf = (statement: PolicyStatementJson): string[] => [statement.Action].flat();

/** `{ 'Fn::GetAtt': [id, 'Arn'] }` or `{ Ref: id }` -> id; anything else -> undefined. */
const referencedId = (value: unknown): string | undefined => {
  if (!value || typeof value !== 'object') return undefined;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return getAtt[0];
  return (value as { Ref?: string }).Ref;
};

/**
 * Issue 14, compliance: log groups, secrets, key policies, nothing asynchronous failing silently, Lambda permissions
 * naming their source, and the cdk-nag acknowledgements kept in one file, none of them stale.
 */
export const complianceSuite = (stage: string, get: () => SynthesizedStage): void => {
  const app = () => get().application.toJSON().Resources as Record<string, CfnResourceJson>;
  const both = () => [get().data, get().application];
  const config = () => get().config;

  it(`acknowledges findings only in ${ACKNOWLEDGEMENTS_FILE}: no other file calls acknowledge or NagSuppressions`, () => {
    const offenders = [...sourcesUnder('lib'), ...sourcesUnder('bin')].filter((file) => {
      if (file === ACKNOWLEDGEMENTS_FILE) return false;
      const text = readFileSync(join(ROOT, file), 'utf8');
      return /\.acknowledge\(|NagSuppressions/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('has no stale acknowledgement: every entry matched at least one construct, each with a specific reason', () => {
    const applied = get().stacks.acknowledgements;
    expect(applied.length).toBeGreaterThan(10);
    const stale = applied
      .filter((entry) => entry.paths.length === 0)
      .map((entry) => entry.acknowledgement.what);
    expect(stale).toEqual([]);
    for (const { acknowledgement, paths } of applied) {
      expect(acknowledgement.reason.length, acknowledgement.what).toBeGreaterThanOrEqual(60);
      expect(acknowledgement.rules.length, acknowledgement.what).toBeGreaterThan(0);
      for (const path of paths) expect(path.split('/').length, path).toBeGreaterThan(2);
    }
  });

  it('backs the IAMNoInlinePolicy acknowledgement: every inline policy is attached to exactly one role', () => {
    for (const template of both()) {
      for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::Policy'))) {
        expect((policy.Properties.Roles as unknown[] | undefined)?.length, id).toBe(1);
        expect(policy.Properties.Users, id).toBeUndefined();
        expect(policy.Properties.Groups, id).toBeUndefined();
      }
    }
  });

  it(`encrypts every log group with the stage's logs key and keeps it ${stage === 'prod' ? 'at least a year' : 'the stage retention'}`, () => {
    const logsKeyId = logicalIdOf(get().stacks.data.logsKey);
    const groups = Object.entries(resourcesOf(get().application, 'AWS::Logs::LogGroup'));
    // Seven functions at most, API access and execution logs, WAF.
    expect(groups.length).toBeGreaterThanOrEqual(9);
    expect(resourcesOf(get().data, 'AWS::Logs::LogGroup')).toEqual({});
    for (const [id, group] of groups) {
      expect(JSON.stringify(group.Properties.KmsKeyId ?? null), id).toContain(logsKeyId);
      expect(group.Properties.RetentionInDays, id).toBe(config().logRetentionDays);
      if (stage === 'prod') expect(group.Properties.RetentionInDays, id).toBeGreaterThanOrEqual(365);
    }
  });

  it('creates the API execution-log group itself (API-Gateway-Execution-Logs_<api id>/v1), before the stage', () => {
    const api = get().stacks.application.api;
    const apiId = logicalIdOf(api.api);
    const name = { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/v1']] };
    const groups = Object.entries(resourcesOf(get().application, 'AWS::Logs::LogGroup')).filter(
      ([, group]) => JSON.stringify(group.Properties.LogGroupName) === JSON.stringify(name),
    );
    expect(groups).toHaveLength(1);
    const [groupId] = groups[0] as [string, CfnResourceJson];
    const stageResource = app()[logicalIdOf(api.api.deploymentStage)] as { DependsOn?: string[] };
    expect(stageResource.DependsOn).toContain(groupId);
  });

  it('names the WAF log group aws-waf-logs-... (a WAF requirement)', () => {
    const names = Object.values(resourcesOf(get().application, 'AWS::Logs::LogGroup')).map((group) =>
      JSON.stringify(group.Properties.LogGroupName ?? null),
    );
    expect(names.filter((name) => name.includes('aws-waf-logs-temba-payments-'))).toHaveLength(1);
  });

  it("lets CloudWatch Logs use the logs key only for this stage's log groups (encryption context)", () => {
    const key = resourcesOf(get().data, 'AWS::KMS::Key')[logicalIdOf(get().stacks.data.logsKey)];
    if (!key) throw new Error('the logs key is not in the data stack');
    const statements = (key.Properties.KeyPolicy as { Statement: PolicyStatementJson[] }).Statement;
    const logs = statements.filter(
      (statement) =>
        JSON.stringify(statement.Principal) ===
        JSON.stringify({ Service: `logs.${config().env.region}.amazonaws.com` }),
    );
    expect(logs).toHaveLength(1);
    const arns = [logs[0]?.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn']].flat() as string[];
    expect(arns.length).toBeGreaterThan(0);
    for (const arn of arns) {
      expect(arn).toMatch(
        new RegExp(`^arn:aws:logs:${config().env.region}:${config().env.account}:log-group:`),
      );
    }
  });

  it("encrypts every secret with the stage's customer-managed secrets key", () => {
    const secrets = Object.entries(resourcesOf(get().data, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(2);
    const keys = resourcesOf(get().data, 'AWS::KMS::Key');
    for (const [id, secret] of secrets) {
      const keyId = referencedId(secret.Properties.KmsKeyId);
      expect(keyId, id).toBeDefined();
      expect(keys[keyId ?? ''], id).toBeDefined();
    }
  });

  it('allows kms:CreateGrant in a key policy only to the account root or for AWS resources (kms:GrantIsForAWSResource)', () => {
    const grants = (action: string) => ['*', 'kms:*', 'kms:Create*', 'kms:CreateGrant'].includes(action);
    const root = JSON.stringify({ AWS: `arn:aws:iam::${config().env.account}:root` });
    let checked = 0;
    for (const template of both()) {
      for (const [id, key] of Object.entries(resourcesOf(template, 'AWS::KMS::Key'))) {
        for (const statement of (key.Properties.KeyPolicy as { Statement: PolicyStatementJson[] })
          .Statement) {
          if (statement.Effect !== 'Allow' || !actionsOf(statement).some(grants)) continue;
          checked += 1;
          if (JSON.stringify(statement.Principal) === root && statement.Condition === undefined) continue;
          expect(statement.Condition?.Bool?.['kms:GrantIsForAWSResource'], `${id} ${statement.Sid}`).toBe(
            true,
          );
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('gives every EventBridge rule target bounded retries and a dead-letter queue that lets the rule send', () => {
    const rules = Object.entries(resourcesOf(get().application, 'AWS::Events::Rule'));
    expect(rules.length).toBeGreaterThanOrEqual(2);
    const policies = Object.values(resourcesOf(get().application, 'AWS::SQS::QueuePolicy'));
    for (const [ruleId, rule] of rules) {
      for (const target of rule.Properties.Targets as Record<string, Record<string, unknown>>[]) {
        expect(target.RetryPolicy?.MaximumRetryAttempts, ruleId).toBeTypeOf('number');
        expect(target.RetryPolicy?.MaximumEventAgeInSeconds, ruleId).toBeTypeOf('number');
        const queueId = referencedId(target.DeadLetterConfig?.Arn);
        expect(queueId, ruleId).toBeDefined();
        const allowsRule = policies.some(
          (policy) =>
            JSON.stringify(policy.Properties.Queues).includes(JSON.stringify({ Ref: queueId })) &&
            (policy.Properties.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement.some(
              (statement) =>
                statement.Effect === 'Allow' &&
                JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }) &&
                JSON.stringify(statement.Condition?.ArnEquals?.['aws:SourceArn']) ===
                  JSON.stringify({ 'Fn::GetAtt': [ruleId, 'Arn'] }),
            ),
        );
        expect(allowsRule, `${ruleId}: the queue policy lets events.amazonaws.com send for this rule`).toBe(
          true,
        );
      }
    }
  });

  it('gives every SNS subscription a redrive policy (dead-letter queue)', () => {
    const subscriptions = Object.entries(resourcesOf(get().application, 'AWS::SNS::Subscription'));
    expect(subscriptions.length).toBeGreaterThan(0);
    for (const [id, subscription] of subscriptions) {
      const redrive = subscription.Properties.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined;
      expect(referencedId(redrive?.deadLetterTargetArn), id).toBeDefined();
    }
  });

  it('gives every function invoked asynchronously bounded retries and an on-failure destination on what is invoked', () => {
    const resources = app();
    const permissions = Object.values(resourcesOf(get().application, 'AWS::Lambda::Permission')).filter(
      (permission) =>
        ['events.amazonaws.com', 'sns.amazonaws.com'].includes(String(permission.Properties.Principal)),
    );
    expect(permissions.length).toBeGreaterThanOrEqual(2);
    const configs = Object.values(resourcesOf(get().application, 'AWS::Lambda::EventInvokeConfig'));
    for (const permission of permissions) {
      const invoked = referencedId(permission.Properties.FunctionName) ?? '';
      const alias = resources[invoked]?.Type === 'AWS::Lambda::Alias' ? resources[invoked] : undefined;
      const functionId = alias ? referencedId(alias.Properties.FunctionName) : invoked;
      const config = configs.find(
        (candidate) =>
          referencedId(candidate.Properties.FunctionName) === functionId &&
          (alias
            ? JSON.stringify(candidate.Properties.Qualifier).includes(JSON.stringify({ Ref: invoked }))
            : candidate.Properties.Qualifier === '$LATEST'),
      );
      expect(config, `${invoked} has an EventInvokeConfig`).toBeDefined();
      expect(config?.Properties.MaximumRetryAttempts, invoked).toBeTypeOf('number');
      expect(config?.Properties.MaximumEventAgeInSeconds, invoked).toBeTypeOf('number');
      const onFailure = (config?.Properties.DestinationConfig as { OnFailure?: { Destination?: unknown } })
        ?.OnFailure?.Destination;
      const functionDlq = (
        resources[functionId ?? '']?.Properties.DeadLetterConfig as { TargetArn?: unknown }
      )?.TargetArn;
      expect(
        referencedId(onFailure ?? functionDlq),
        `${invoked}: on-failure destination or DLQ`,
      ).toBeDefined();
    }
  });

  it('gives every stream mapping bounded retries and an on-failure destination', () => {
    const mappings = Object.entries(resourcesOf(get().application, 'AWS::Lambda::EventSourceMapping'));
    expect(mappings.length).toBeGreaterThan(0);
    for (const [id, mapping] of mappings) {
      expect(mapping.Properties.MaximumRetryAttempts, id).toBeTypeOf('number');
      const destination = (mapping.Properties.DestinationConfig as { OnFailure?: { Destination?: unknown } })
        ?.OnFailure?.Destination;
      expect(JSON.stringify(destination ?? null), id).toMatch(/Arn/);
    }
  });

  it('encrypts every dead-letter queue with a customer-managed key and alarms as soon as one is not empty', () => {
    const resources = app();
    const dlqs = new Set<string>();
    const add = (value: unknown) => {
      const id = referencedId(value);
      if (id) dlqs.add(id);
    };
    for (const resource of Object.values(resources)) {
      const p = resource.Properties ?? {};
      if (resource.Type === 'AWS::Events::Rule') {
        for (const target of p.Targets as { DeadLetterConfig?: { Arn?: unknown } }[])
          add(target.DeadLetterConfig?.Arn);
      }
      if (resource.Type === 'AWS::SNS::Subscription') {
        add((p.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn);
      }
      if (
        resource.Type === 'AWS::Lambda::EventInvokeConfig' ||
        resource.Type === 'AWS::Lambda::EventSourceMapping'
      ) {
        add(
          (p.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure
            ?.Destination,
        );
      }
      if (resource.Type === 'AWS::Lambda::Function') {
        add((p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn);
      }
    }
    // The event publisher's queue and the stack's async failures queue.
    expect(dlqs.size).toBe(2);
    const alarms = Object.values(resourcesOf(get().application, 'AWS::CloudWatch::Alarm'));
    for (const queueId of dlqs) {
      const queue = resources[queueId];
      expect(queue?.Type, queueId).toBe('AWS::SQS::Queue');
      expect(resources[referencedId(queue?.Properties.KmsMasterKeyId) ?? '']?.Type, queueId).toBe(
        'AWS::KMS::Key',
      );
      const watching = alarms.filter(
        (alarm) =>
          alarm.Properties.Namespace === 'AWS/SQS' &&
          alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(alarm.Properties.Dimensions).includes(
            JSON.stringify({ 'Fn::GetAtt': [queueId, 'QueueName'] }),
          ) &&
          ((alarm.Properties.ComparisonOperator === 'GreaterThanOrEqualToThreshold' &&
            alarm.Properties.Threshold === 1) ||
            (alarm.Properties.ComparisonOperator === 'GreaterThanThreshold' &&
              alarm.Properties.Threshold === 0)) &&
          (alarm.Properties.AlarmActions as unknown[] | undefined)?.length,
      );
      expect(watching.length, `${queueId} has a not-empty alarm that notifies`).toBeGreaterThan(0);
    }
  });

  it('names the source of every Lambda permission: SourceArn always, SourceAccount for AWS services', () => {
    let count = 0;
    for (const template of both()) {
      for (const [id, permission] of Object.entries(resourcesOf(template, 'AWS::Lambda::Permission'))) {
        count += 1;
        expect(permission.Properties.SourceArn, id).toBeDefined();
        if (String(permission.Properties.Principal).endsWith('.amazonaws.com')) {
          expect(permission.Properties.SourceAccount, id).toBe(config().env.account);
        }
      }
    }
    expect(count).toBeGreaterThan(5);
  });
};
