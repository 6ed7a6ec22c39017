import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface PaymentsBackupProps {
  readonly stage: string;
  readonly table: ITableV2;
  /** The vault's own key: a backup stays readable even if the table key is lost or disabled. */
  readonly vaultKey: Key;
  readonly removalPolicy: RemovalPolicy;
  readonly dailyRetentionDays: number;
  readonly monthlyRetentionDays?: number;
  readonly vaultLockMinRetentionDays?: number;
  /** Deny recovery-point deletion to every principal (lifecycle expiry still runs). */
  readonly blockRecoveryPointDeletion: boolean;
}

/**
 * AWS Backup for the payments table: a vault encrypted with its own key, a daily backup kept
 * `dailyRetentionDays` and, where configured, a monthly one kept `monthlyRetentionDays`.
 * Times are UTC, which is also Ouagadougou time; 02:00 is the quietest hour for ticket sales.
 *
 * Only where data is kept (staging, prod): a vault cannot be deleted while it holds recovery points, so a stage with
 * one cannot be destroyed. Dev has none; point-in-time recovery (35 days) covers it, and the restore drill restores
 * from PITR, not from this vault.
 */
export class PaymentsBackup extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;

  constructor(scope: Construct, id: string, props: PaymentsBackupProps) {
    super(scope, id);
    this.vault = new BackupVault(this, 'Vault', {
      backupVaultName: `temba-payments-${props.stage}`,
      encryptionKey: props.vaultKey,
      removalPolicy: props.removalPolicy,
      blockRecoveryPointDeletion: props.blockRecoveryPointDeletion,
      ...(props.vaultLockMinRetentionDays === undefined
        ? {}
        : { lockConfiguration: { minRetention: Duration.days(props.vaultLockMinRetentionDays) } }),
    });

    const rules = [
      new BackupPlanRule({
        ruleName: 'Daily',
        backupVault: this.vault,
        scheduleExpression: Schedule.cron({ hour: '2', minute: '0' }),
        deleteAfter: Duration.days(props.dailyRetentionDays),
      }),
    ];
    if (props.monthlyRetentionDays !== undefined) {
      rules.push(
        new BackupPlanRule({
          ruleName: 'Monthly',
          backupVault: this.vault,
          scheduleExpression: Schedule.cron({ day: '1', hour: '3', minute: '0' }),
          deleteAfter: Duration.days(props.monthlyRetentionDays),
        }),
      );
    }
    this.plan = new BackupPlan(this, 'Plan', {
      backupPlanName: `temba-payments-${props.stage}`,
      backupVault: this.vault,
      backupPlanRules: rules,
    });
    // allowRestores: the restore drill (go-live plan: "test backup restoration") runs with this role.
    this.plan.addSelection('Table', {
      resources: [BackupResource.fromArn(props.table.tableArn)],
      allowRestores: true,
    });
  }
}
