import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  type Dashboard,
  GraphWidget,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { type Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { ScheduleInput } from '../../lambdas/reconcile/reconcile.handler';
import { METRICS, type MetricName } from '../../lambdas/shared/contract/metrics';
import type { StageConfig } from '../config';
import type { AlertTopics, Severity } from './alert-topics';
import { type SeverityAlarmOptions, severityAlarm } from './notifying-alarm';
import type { PaymentFunction } from './payment-function';
import { serviceMetric } from './payments-monitoring';

/** The event each schedule sends; typed by the handler's own input schema. */
export const RECONCILE_INPUT = { task: 'reconcile' } as const satisfies ScheduleInput;
export const DAILY_REPORT_INPUT = { task: 'daily-report' } as const satisfies ScheduleInput;

export interface ReconcileOperationsProps {
  readonly stage: string;
  /** The reconcile function (its `live` alias is what the schedules invoke). */
  readonly reconcile: PaymentFunction;
  readonly schedules: StageConfig['schedules'];
  readonly topics: AlertTopics;
  /** The stage's dashboard: reconcile gets its own row. */
  readonly dashboard: Dashboard;
}

/**
 * Reconcile's schedules and alarms. Two EventBridge rules invoke the function's `live` alias: reconcile every
 * `reconcileEveryMinutes`, the daily report once a day. Alarms:
 * - `reconcile-heartbeat` (critical): no completed run in two schedule periods. Reconcile is the backstop for
 *   IPNs that never arrive and the go-live plan's reconciliation control: when it stops, nothing else says so.
 * - `reconcile-discrepancy` (critical): PayDunya and our records disagree on an order (money may be at stake).
 * - `reconcile-order-errors` (warning): orders could not be confirmed on two runs in a row (one failure is
 *   retried by the next run).
 * The function's own errors alarm (warning, CodeDeploy rollback) comes with PaymentFunction. None of these is an
 * AppConfig monitor: a flags rollout has nothing to do with them (and AppConfig takes five monitors at most).
 */
export class ReconcileOperations extends Construct {
  readonly reconcileRule: Rule;
  readonly dailyReportRule: Rule;
  readonly heartbeatAlarm: Alarm;
  readonly discrepancyAlarm: Alarm;
  readonly orderErrorsAlarm: Alarm;
  /** Every alarm made here, by severity. */
  readonly criticalAlarms: Alarm[] = [];
  readonly warningAlarms: Alarm[] = [];
  private readonly props: ReconcileOperationsProps;

  constructor(scope: Construct, id: string, props: ReconcileOperationsProps) {
    super(scope, id);
    this.props = props;
    const { reconcile, schedules } = props;
    const every = schedules.reconcileEveryMinutes;

    this.reconcileRule = reconcile.runsOnSchedule(
      'ReconcileSchedule',
      Schedule.rate(Duration.minutes(every)),
      `Temba payments ${props.stage}: confirm stale PENDING orders with PayDunya every ${every} minutes`,
      RECONCILE_INPUT,
    );
    const { minute, hour } = schedules.dailyReport;
    this.dailyReportRule = reconcile.runsOnSchedule(
      'DailyReportSchedule',
      Schedule.cron({ minute, hour }),
      `Temba payments ${props.stage}: daily reconciliation report for the day before, at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')} UTC`,
      DAILY_REPORT_INPUT,
    );

    const heartbeatWindow = Duration.minutes(2 * every);
    this.heartbeatAlarm = this.alarm('critical', 'reconcile-heartbeat', {
      description: `No reconcile run completed in ${2 * every} minutes (two schedule periods): stale PENDING orders are not being settled`,
      metric: serviceMetric(METRICS.reconcileRun, heartbeatWindow),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      // Each completed run emits one ReconcileRun. A run that never starts (rule disabled or deleted, function
      // broken at cold start, permission lost) or dies before its end emits nothing at all: here the absence of
      // data IS the failure, so missing data breaches. Two periods tolerate one late run. (A new stage alarms until
      // its first run, at most one period after the deploy.)
      treatMissingData: TreatMissingData.BREACHING,
    });

    this.discrepancyAlarm = this.alarm('critical', 'reconcile-discrepancy', {
      description:
        'PayDunya and our records disagree on an order (status or amount): recorded as an audit event, never fixed automatically',
      metric: serviceMetric(METRICS.reconcileDiscrepancy, Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Counted only when one is found: silence is the healthy state.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.orderErrorsAlarm = this.alarm('warning', 'reconcile-order-errors', {
      description:
        'Reconcile could not confirm orders with PayDunya (or apply the result) on two runs in a row',
      metric: serviceMetric(METRICS.reconcileErrors, Duration.minutes(every)),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      // Emitted only by a run with errors: a clean run leaves no data point.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.addDashboardRow();
  }

  private alarm(severity: Severity, name: string, options: SeverityAlarmOptions): Alarm {
    return severityAlarm(this, this.props, severity, name, options);
  }

  private addDashboardRow(): void {
    const { reconcile, schedules } = this.props;
    const period = Duration.minutes(schedules.reconcileEveryMinutes);
    const count = (name: MetricName, label: string) => serviceMetric(name, period).with({ label });
    this.props.dashboard.addWidgets(
      new GraphWidget({
        title: `Reconcile (per ${schedules.reconcileEveryMinutes} minutes)`,
        width: 12,
        left: [
          count(METRICS.reconcileRun, 'runs'),
          count(METRICS.paymentExpired, 'expired'),
          count(METRICS.reconcileDiscrepancy, 'discrepancies'),
          count(METRICS.reconcileErrors, 'order errors'),
        ],
        right: [
          reconcile.alias.metricErrors({ period, statistic: Stats.SUM }).with({ label: 'function errors' }),
        ],
      }),
      new AlarmStatusWidget({
        title: 'Reconcile alarms',
        width: 12,
        alarms: [...this.criticalAlarms, ...this.warningAlarms, reconcile.errorsAlarm],
      }),
    );
  }
}
