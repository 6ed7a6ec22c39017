import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config';
import { PaymentSecrets } from '../constructs/payment-secrets';
import { PaymentsBackup } from '../constructs/payments-backup';
import { PaymentsTable } from '../constructs/payments-table';
import { rotatingKey } from '../constructs/rotating-key';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

/** What the application stack receives from the data stack. */
export interface PaymentsData {
  readonly table: ITableV2;
  /** The table's stream (every committed write, old and new image), encrypted with the table key. */
  readonly tableStreamArn: string;
  readonly tableKey: IKey;
  /** Envelope encryption of customer e-mail, phone and name before they reach the table. */
  readonly piiKey: IKey;
  readonly paydunyaSecret: ISecret;
  readonly signingSecret: ISecret;
}

/**
 * The stateful half of a stage: table, KMS keys, backups, secrets. Kept (RETAIN) and deletion-protected
 * everywhere but dev, so the application stack can be destroyed and redeployed without touching data.
 */
export class DataStack extends Stack implements PaymentsData {
  readonly table: ITableV2;
  readonly tableStreamArn: string;
  readonly tableKey: IKey;
  readonly piiKey: IKey;
  readonly paydunyaSecret: ISecret;
  readonly signingSecret: ISecret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removal.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const keyAlias = (purpose: string) => `temba-payments/${config.stage}/${purpose}`;

    this.tableKey = rotatingKey(this, 'TableKey', {
      alias: keyAlias('table'),
      description: `Temba payments ${config.stage}: DynamoDB table encryption at rest`,
      removalPolicy,
    });
    this.piiKey = rotatingKey(this, 'PiiKey', {
      alias: keyAlias('pii'),
      description: `Temba payments ${config.stage}: envelope encryption of customer e-mail, phone and name`,
      removalPolicy,
    });
    const backupKey = rotatingKey(this, 'BackupKey', {
      alias: keyAlias('backup'),
      description: `Temba payments ${config.stage}: AWS Backup vault encryption`,
      removalPolicy,
    });

    const payments = new PaymentsTable(this, 'Payments', {
      stage: config.stage,
      key: this.tableKey,
      removalPolicy,
      deletionProtection: config.removal.deletionProtection,
    });
    this.table = payments.table;
    this.tableStreamArn = payments.tableStreamArn;

    new PaymentsBackup(this, 'Backup', {
      stage: config.stage,
      table: this.table,
      vaultKey: backupKey,
      removalPolicy,
      dailyRetentionDays: config.backup.dailyRetentionDays,
      monthlyRetentionDays: config.backup.monthlyRetentionDays,
      vaultLockMinRetentionDays: config.backup.vaultLockMinRetentionDays,
      blockRecoveryPointDeletion: config.removal.retainData,
    });

    const secrets = new PaymentSecrets(this, 'Secrets', {
      stage: config.stage,
      paydunyaMode: config.paydunya.mode,
      removalPolicy,
    });
    this.paydunyaSecret = secrets.paydunyaKeys;
    this.signingSecret = secrets.signingSecret;
  }
}
