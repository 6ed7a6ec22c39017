import { Duration, Stack } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { RestoreDrillInput } from '../../lambdas/restore-drill/restore-drill.handler';
import { ENV } from '../../lambdas/shared/contract/env';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { DRILL_TABLE, ITEM_PREFIX } from '../../lambdas/shared/contract/table';
import { RESTORE_DRILL } from '../../lambdas/shared/ops/restore-drill';
import { type NotifyingAlarmOptions, notifyingAlarm } from './notifying-alarm';
import type { PaymentFunction } from './payment-function';
import { serviceMetric } from './payments-monitoring';

/** The stages whose data is kept run the drill; dev's table is disposable. */
export const RESTORE_DRILL_STAGES: readonly string[] = ['staging', 'prod'];

/** The drill function: scans and restores take time, so the longest Lambda timeout. */
export const RESTORE_DRILL_FUNCTION = { memoryMb: 512, timeoutSeconds: RESTORE_DRILL.functionTimeoutSeconds };

export const DRILL_INPUT = { action: 'drill' } as const satisfies RestoreDrillInput;
export const WATCH_INPUT = { action: 'watch' } as const satisfies RestoreDrillInput;

/**
 * When: the drill on the 1st of each month, every 30 minutes from 03:00 to 08:30 UTC (the quiet hours; each
 * invocation moves the month's drill one step, so a restore may take up to five hours); the watch daily at 09:00.
 */
export const RESTORE_DRILL_SCHEDULES = {
  drill: { minute: '0/30', hour: '3-8', day: '1', month: '*', year: '*' },
  watch: { minute: '0', hour: '9' },
} as const;

export interface RestoreDrillProps {
  readonly stage: string;
  /** Made by ApplicationStack.addFunction('restore-drill', RESTORE_DRILL_FUNCTION). */
  readonly fn: PaymentFunction;
  readonly table: ITableV2;
  readonly tableKey: IKey;
  /** Where the drill's alarms notify (the warning topic: a failed drill needs eyes in working hours). */
  readonly notify: ITopic;
}

/**
 * The monthly backup-restoration drill (go-live plan: "test backup restoration process"): its schedules, its
 * least-privilege grants and its two alarms.
 *
 * IAM: on the payments table only what reading it takes (point-in-time status, restore from it, Scan and GetItem to
 * compare), plus Query/PutItem on the drill's own records (partition `DRILL` only, by `dynamodb:LeadingKeys`); on
 * scratch tables (`temba-payments-<stage>-drill-*` and nothing else) what a restore into them, the comparison and
 * their deletion take; the table key only through DynamoDB, since the scratch copy is encrypted with it too.
 *
 * Alarms: `restore-drill-failed` on a drill that ran and failed (RestoreDrillSucceeded 0); `restore-drill-overdue`
 * when the last successful drill is older than 35 days, or when the daily watch stops reporting (missing data
 * breaches): a drill that silently stops running is caught too.
 */
export class RestoreDrill extends Construct {
  readonly drillRule: Rule;
  readonly watchRule: Rule;
  readonly failedAlarm: Alarm;
  readonly overdueAlarm: Alarm;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const { fn, table, tableKey, stage } = props;
    const stack = Stack.of(this);
    const scratchTables = stack.formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: `${DRILL_TABLE.prefixFor(stage)}*`,
    });

    fn.setsEnv(ENV.tableName, table.tableName).setsEnv(ENV.tableKeyArn, tableKey.keyArn);
    const statements = [
      new PolicyStatement({
        sid: 'DrillReadsTable',
        actions: [
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:RestoreTableToPointInTime',
          'dynamodb:Scan',
          'dynamodb:GetItem',
        ],
        resources: [table.tableArn],
      }),
      new PolicyStatement({
        sid: 'DrillRecords',
        actions: ['dynamodb:Query', 'dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ITEM_PREFIX.restoreDrill] } },
      }),
      new PolicyStatement({
        sid: 'DrillScratchTables',
        // A restore writes the target's items itself, with the caller's rights: hence the write actions.
        actions: [
          'dynamodb:RestoreTableToPointInTime',
          'dynamodb:DescribeTable',
          'dynamodb:DeleteTable',
          'dynamodb:Scan',
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
        ],
        resources: [scratchTables, `${scratchTables}/index/*`],
      }),
      new PolicyStatement({
        sid: 'DrillTableKey',
        actions: [
          'kms:Decrypt',
          'kms:Encrypt',
          'kms:GenerateDataKey*',
          'kms:ReEncrypt*',
          'kms:DescribeKey',
          'kms:CreateGrant',
        ],
        resources: [tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
      }),
    ];
    for (const statement of statements) fn.role.addToPrincipalPolicy(statement);

    this.drillRule = fn.runsOnSchedule(
      'DrillSchedule',
      Schedule.cron(RESTORE_DRILL_SCHEDULES.drill),
      `Temba payments ${stage}: monthly restore drill (each run moves the month's drill one step)`,
      DRILL_INPUT,
    );
    this.watchRule = fn.runsOnSchedule(
      'DrillWatchSchedule',
      Schedule.cron(RESTORE_DRILL_SCHEDULES.watch),
      `Temba payments ${stage}: days since the last successful restore drill`,
      WATCH_INPUT,
    );

    const alarm = (name: string, options: Omit<NotifyingAlarmOptions, 'stage' | 'severity' | 'topic'>) =>
      notifyingAlarm(this, name, { ...options, stage, severity: 'warning', topic: props.notify });
    this.failedAlarm = alarm('restore-drill-failed', {
      description:
        'The monthly restore drill failed: the backup could not be restored or did not match the table',
      metric: serviceMetric(METRICS.restoreDrillSucceeded, Duration.hours(1), Stats.MINIMUM),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // One data point a month: between drills there is nothing to judge.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.overdueAlarm = alarm('restore-drill-overdue', {
      description: `No successful restore drill in ${RESTORE_DRILL.overdueAfterDays} days, or the daily drill watch stopped reporting`,
      metric: serviceMetric(METRICS.restoreDrillAgeDays, Duration.days(1), Stats.MAXIMUM),
      threshold: RESTORE_DRILL.overdueAfterDays,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      // The watch reports every day: two days without a report means the drill machinery itself is broken.
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.alarms = [this.failedAlarm, this.overdueAlarm];
  }
}
