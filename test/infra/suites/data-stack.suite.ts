import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_PREFIX, paydunyaKeysSchema } from '../../../lambdas/shared/contract/secrets';
import { TABLE } from '../../../lambdas/shared/contract/table';
import type { StageName } from '../../../lib/config';
import type { SynthesizedStage } from '../support/synth-stage';
import { inTemplate, logicalIdOf, onlyResource, resourcesOf } from '../support/template';

/** Assertions on one stage's data stack. */
export const dataStackSuite = (stage: StageName, get: () => SynthesizedStage): void => {
  const keeps = stage !== 'dev';
  const expectedPolicy = keeps ? 'Retain' : 'Delete';

  describe('payments table', () => {
    const table = () => onlyResource(get().data, 'AWS::DynamoDB::GlobalTable');
    const replica = () => (table().Properties.Replicas as Record<string, unknown>[])[0] ?? {};

    it('is built from the shared TABLE definition: name, keys, every index (byReference included), on-demand', () => {
      get().data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: TABLE.nameFor(stage),
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: TABLE.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: Object.values(TABLE.indexes).map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] },
        })),
      });
    });

    it('indexes orders by Temba reference (byReference, sparse, projecting the order id only)', () => {
      const indexes = table().Properties.GlobalSecondaryIndexes as { IndexName: string }[];
      expect(indexes.map((index) => index.IndexName)).toContain(TABLE.indexes.byReference.name);
      expect(indexes.find((index) => index.IndexName === TABLE.indexes.byReference.name)).toEqual({
        IndexName: 'byReference',
        KeySchema: [
          { AttributeName: 'gsi4pk', KeyType: 'HASH' },
          { AttributeName: 'gsi4sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['orderId'] },
      });
    });

    it('streams every committed write with old and new image (TABLE.stream): the outbox of payment events', () => {
      expect(TABLE.stream).toBe('NEW_AND_OLD_IMAGES');
      expect(table().Properties.StreamSpecification).toEqual({ StreamViewType: TABLE.stream });
    });

    it("hands the stream's ARN to the application stack by reference", () => {
      const { data, application } = get().stacks;
      expect(inTemplate(data, data.tableStreamArn)).toEqual({
        'Fn::GetAtt': [logicalIdOf(data.table), 'StreamArn'],
      });
      expect(JSON.stringify(inTemplate(application, data.tableStreamArn))).toContain(
        `TembaPayments-${stage}-Data`,
      );
    });

    it('expires idempotency records through TTL on expiresAt', () => {
      expect(table().Properties.TimeToLiveSpecification).toEqual({
        AttributeName: TABLE.ttlAttribute,
        Enabled: true,
      });
    });

    it('has point-in-time recovery through pointInTimeRecoverySpecification', () => {
      expect(replica().PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    });

    it(`is encrypted with the stage's customer-managed table key`, () => {
      expect(table().Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(replica().SSESpecification).toEqual({
        KMSMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(get().stacks.data.tableKey), 'Arn'] },
      });
    });

    it(keeps ? 'is deletion-protected and retained' : 'can be deleted (dev only)', () => {
      expect(replica().DeletionProtectionEnabled).toBe(keeps);
      expect(table().DeletionPolicy).toBe(expectedPolicy);
      expect(table().UpdateReplacePolicy).toBe(expectedPolicy);
    });
  });

  describe('KMS keys', () => {
    // The backup vault's key only where data is kept (dev takes no AWS Backup).
    const purposes = ['logs', 'pii', 'secrets', 'table', ...(keeps ? ['backup'] : [])].sort();

    it('are customer-managed keys (table, PII, secrets, logs; backup where data is kept), each rotated yearly', () => {
      const keys = Object.values(resourcesOf(get().data, 'AWS::KMS::Key'));
      expect(keys).toHaveLength(purposes.length);
      for (const key of keys) {
        expect(key.Properties.EnableKeyRotation).toBe(true);
        expect(key.DeletionPolicy).toBe(expectedPolicy);
      }
    });

    it('carry stage-scoped aliases', () => {
      const aliases = Object.values(resourcesOf(get().data, 'AWS::KMS::Alias')).map(
        (alias) => alias.Properties.AliasName,
      );
      expect(aliases.sort()).toEqual(purposes.map((purpose) => `alias/temba-payments/${stage}/${purpose}`));
    });
  });

  describe('backups', () => {
    if (!keeps) {
      // A vault holding recovery points cannot be deleted: with one, `cdk destroy` of dev would fail.
      it('are not taken in dev (disposable data, point-in-time recovery covers it): no vault, plan or key', () => {
        for (const type of [
          'AWS::Backup::BackupVault',
          'AWS::Backup::BackupPlan',
          'AWS::Backup::BackupSelection',
        ]) {
          expect(resourcesOf(get().data, type), type).toEqual({});
        }
        expect(JSON.stringify(resourcesOf(get().data, 'AWS::KMS::Alias'))).not.toContain('/backup');
      });
      return;
    }

    it('go to a vault encrypted with its own key, not the table key', () => {
      const vault = onlyResource(get().data, 'AWS::Backup::BackupVault');
      const encryptionKey = vault.Properties.EncryptionKeyArn as { 'Fn::GetAtt': [string, string] };
      expect(encryptionKey['Fn::GetAtt'][0]).toMatch(/^BackupKey/);
      expect(encryptionKey['Fn::GetAtt'][0]).not.toBe(logicalIdOf(get().stacks.data.tableKey));
      expect(vault.DeletionPolicy).toBe(expectedPolicy);
    });

    it(
      stage === 'prod' ? 'run daily (kept 35 days) and monthly (kept a year)' : 'run daily, kept 35 days',
      () => {
        const plan = onlyResource(get().data, 'AWS::Backup::BackupPlan');
        const rules = (plan.Properties.BackupPlan as { BackupPlanRule: Record<string, unknown>[] })
          .BackupPlanRule;
        const expected = [
          { RuleName: 'Daily', ScheduleExpression: 'cron(0 2 * * ? *)', Lifecycle: { DeleteAfterDays: 35 } },
          ...(stage === 'prod'
            ? [
                {
                  RuleName: 'Monthly',
                  ScheduleExpression: 'cron(0 3 1 * ? *)',
                  Lifecycle: { DeleteAfterDays: 365 },
                },
              ]
            : []),
        ];
        expect(
          rules.map(({ RuleName, ScheduleExpression, Lifecycle }) => ({
            RuleName,
            ScheduleExpression,
            Lifecycle,
          })),
        ).toEqual(expected);
      },
    );

    it('select the payments table', () => {
      get().data.hasResourceProperties('AWS::Backup::BackupSelection', {
        BackupSelection: {
          Resources: [{ 'Fn::GetAtt': [logicalIdOf(get().stacks.data.table), 'Arn'] }],
        },
      });
    });

    it(
      keeps ? 'cannot be deleted early (deny policy, and a vault lock in prod)' : 'stay deletable in dev',
      () => {
        const vault = onlyResource(get().data, 'AWS::Backup::BackupVault');
        if (keeps) {
          expect(JSON.stringify(vault.Properties.AccessPolicy)).toContain('backup:DeleteRecoveryPoint');
        } else {
          expect(vault.Properties.AccessPolicy).toBeUndefined();
        }
        expect(vault.Properties.LockConfiguration).toEqual(
          stage === 'prod' ? { MinRetentionDays: 35 } : undefined,
        );
      },
    );
  });

  describe('secrets', () => {
    it('create the PayDunya keys secret with placeholder values only', () => {
      const secret = onlyResource(get().data, 'AWS::SecretsManager::Secret', (properties) =>
        String(properties.Name).endsWith('/paydunya-keys'),
      );
      const value = JSON.parse(String(secret.Properties.SecretString)) as Record<string, string>;
      expect(paydunyaKeysSchema.safeParse(value).success).toBe(true);
      expect(Object.values(value).every((field) => field.startsWith(PLACEHOLDER_PREFIX))).toBe(true);
      expect(Object.keys(value).sort()).toEqual(
        stage === 'prod'
          ? ['live_private_key', 'live_token', 'master_key', 'test_private_key', 'test_token']
          : ['master_key', 'test_private_key', 'test_token'],
      );
      expect(secret.DeletionPolicy).toBe(expectedPolicy);
    });

    it('generate the callback-signing secret: 64 characters, no punctuation, never in the template', () => {
      const secret = onlyResource(get().data, 'AWS::SecretsManager::Secret', (properties) =>
        String(properties.Name).endsWith('/callback-signing'),
      );
      expect(secret.Properties.GenerateSecretString).toEqual({
        PasswordLength: 64,
        ExcludePunctuation: true,
        IncludeSpace: false,
      });
      expect(secret.Properties.SecretString).toBeUndefined();
    });
  });

  it('hands the application stack its resources by reference, not by name lookup', () => {
    const { application } = get().stacks;
    expect(JSON.stringify(inTemplate(application, get().stacks.data.table.tableArn))).toContain(
      `TembaPayments-${stage}-Data`,
    );
  });
};
