import { ArnFormat, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
  /** The stage's application stack, whose log groups the logs key encrypts. */
  readonly applicationStackName: string;
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
  /** Encrypts every CloudWatch Logs group of the application stack (functions, API Gateway, WAF). */
  readonly logsKey: IKey;
}

/**
 * The log groups the logs key may encrypt, as CloudWatch Logs names them in its encryption context: those
 * CloudFormation names after the application stack (functions, API access logs), WAF's (`aws-waf-logs-` prefix, a
 * WAF requirement) and API Gateway's execution logs (`API-Gateway-Execution-Logs_<api id>/<stage>`).
 */
export const logGroupNamePatterns = (stage: string, applicationStackName: string): string[] => [
  `${applicationStackName}-*`,
  `aws-waf-logs-temba-payments-${stage}-*`,
  'API-Gateway-Execution-Logs_*',
];

/**
 * The stateful half of a stage: table, KMS keys (table, PII, backups, secrets, logs), backups, secrets. Kept (RETAIN) and deletion-protected
 * everywhere but dev, so the application stack can be destroyed and redeployed without touching data.
 */
export class DataStack extends Stack implements PaymentsData {
  readonly table: ITableV2;
  readonly tableStreamArn: string;
  readonly tableKey: IKey;
  readonly piiKey: IKey;
  readonly paydunyaSecret: ISecret;
  readonly signingSecret: ISecret;
  readonly logsKey: IKey;

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
    // Logs are evidence (PCI DSS 10.5): encrypted with a key the stage owns, kept here with the data so that log
    // groups retained after the application stack is destroyed stay readable.
    const logsKey = rotatingKey(this, 'LogsKey', {
      alias: keyAlias('logs'),
      description: `Temba payments ${config.stage}: CloudWatch Logs of the application stack`,
      removalPolicy,
    });
    logsKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsOfThisStage',
        principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': logGroupNamePatterns(
              config.stage,
              props.applicationStackName,
            ).map((name) =>
              this.formatArn({
                service: 'logs',
                resource: 'log-group',
                resourceName: name,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ),
          },
        },
      }),
    );
    this.logsKey = logsKey;

    const payments = new PaymentsTable(this, 'Payments', {
      stage: config.stage,
      key: this.tableKey,
      removalPolicy,
      deletionProtection: config.removal.deletionProtection,
    });
    this.table = payments.table;
    this.tableStreamArn = payments.tableStreamArn;

    // Where data is kept (staging, prod). Dev has none (the stage config refuses it there): its data is disposable,
    // a vault holding recovery points cannot be deleted, so `cdk destroy` would fail; PITR keeps 35 days.
    if (config.backup) {
      new PaymentsBackup(this, 'Backup', {
        stage: config.stage,
        table: this.table,
        vaultKey: rotatingKey(this, 'BackupKey', {
          alias: keyAlias('backup'),
          description: `Temba payments ${config.stage}: AWS Backup vault encryption`,
          removalPolicy,
        }),
        removalPolicy,
        dailyRetentionDays: config.backup.dailyRetentionDays,
        monthlyRetentionDays: config.backup.monthlyRetentionDays,
        vaultLockMinRetentionDays: config.backup.vaultLockMinRetentionDays,
        blockRecoveryPointDeletion: config.removal.retainData,
      });
    }

    const secretsKey = rotatingKey(this, 'SecretsKey', {
      alias: keyAlias('secrets'),
      description: `Temba payments ${config.stage}: Secrets Manager secrets (PayDunya keys, callback signing)`,
      removalPolicy,
    });
    const secrets = new PaymentSecrets(this, 'Secrets', {
      stage: config.stage,
      paydunyaMode: config.paydunya.mode,
      removalPolicy,
      key: secretsKey,
    });
    this.paydunyaSecret = secrets.paydunyaKeys;
    this.signingSecret = secrets.signingSecret;
  }
}
