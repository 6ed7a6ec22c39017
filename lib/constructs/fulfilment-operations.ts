import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  type Dashboard,
  GraphWidget,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS, type MetricName } from '../../lambdas/shared/contract/metrics';
import type { StageConfig } from '../config';
import type { AlertTopics, Severity } from './alert-topics';
import { type SeverityAlarmOptions, severityAlarm } from './notifying-alarm';
import { serviceMetric } from './payments-monitoring';

/** The `outcome` dimension of FulfilmentAcknowledged (ticketing's answer), as the code emits it. */
export const FULFILMENT_OUTCOMES = ['delivered', 'failed'] as const;

export interface FulfilmentOperationsProps {
  readonly stage: string;
  readonly thresholds: Pick<
    StageConfig['alarms'],
    'refundFailed' | 'refundStuck' | 'disbursementBalanceLow' | 'refundManual' | 'fulfilmentOverdue'
  >;
  /** Reconcile's period: the overdue and stuck counts are emitted once per run. */
  readonly reconcileEveryMinutes: number;
  /** How long ticketing has to acknowledge a paid order (stage config `fulfilment.ackMinutes`). */
  readonly ackMinutes: number;
  readonly topics: AlertTopics;
  /** The stage's dashboard: acknowledgements and refunds get a row. */
  readonly dashboard: Dashboard;
}

/**
 * What happens after a payment: ticketing's acknowledgements and the refunds (paid back through PayDunya
 * disbursements) that a failed delivery, a late payment, a review rejection or an operator starts. Alarms:
 * - `refund-failed` (critical): PayDunya ended a refund's disbursement `Failed`: a customer is still owed money.
 * - `refund-stuck` (critical): a refund SUBMITTED for over THRESHOLDS.refunds.stuckSubmittedMinutes (counted by
 *   every reconcile run, so the alarm holds while it lasts).
 * - `disbursement-balance-low` (critical): PayDunya refused a disbursement for lack of funds: refunds stop.
 * - `refund-manual` (warning): a refund went to a person (card, operator not served, refunds off, over the cap).
 * - `fulfilment-overdue` (warning): paid orders ticketing has not acknowledged in time (ticketing may be down, or
 *   events are not reaching it).
 * None is an AppConfig monitor (AppConfig takes five, all taken by the payment alarms).
 */
export class FulfilmentOperations extends Construct {
  readonly criticalAlarms: Alarm[] = [];
  readonly warningAlarms: Alarm[] = [];
  private readonly props: FulfilmentOperationsProps;

  constructor(scope: Construct, id: string, props: FulfilmentOperationsProps) {
    super(scope, id);
    this.props = props;
    const t = props.thresholds;
    const fiveMinutes = Duration.minutes(5);
    const perRun = Duration.minutes(props.reconcileEveryMinutes);

    const count = (
      severity: Severity,
      name: string,
      metric: MetricName,
      threshold: number,
      period: Duration,
      description: string,
    ) =>
      this.alarm(severity, name, {
        description,
        metric: serviceMetric(metric, period),
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Counted only when it happens (or, for reconcile's counts, only when there is something to count).
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    count(
      'critical',
      'refund-failed',
      METRICS.refundFailed,
      t.refundFailed.threshold,
      fiveMinutes,
      'PayDunya ended a refund disbursement Failed: the customer has not been paid back',
    );
    count(
      'critical',
      'refund-stuck',
      METRICS.refundStuck,
      t.refundStuck.threshold,
      perRun,
      'A refund has been SUBMITTED to PayDunya for too long without a final status (counted by each reconcile run)',
    );
    count(
      'critical',
      'disbursement-balance-low',
      METRICS.disbursementBalanceLow,
      t.disbursementBalanceLow.threshold,
      fiveMinutes,
      "PayDunya refused a disbursement for lack of funds on Temba's account: refunds cannot be paid",
    );
    count(
      'warning',
      'refund-manual',
      METRICS.refundManual,
      t.refundManual.threshold,
      fiveMinutes,
      'A refund needs a person (card payment, operator not served, refunds switched off or over the daily cap)',
    );
    count(
      'warning',
      'fulfilment-overdue',
      METRICS.fulfilmentOverdue,
      t.fulfilmentOverdue.threshold,
      perRun,
      `Paid orders not acknowledged by ticketing within ${props.ackMinutes} minutes (counted by each reconcile run)`,
    );

    this.addDashboardRow();
  }

  private alarm(severity: Severity, name: string, options: SeverityAlarmOptions): Alarm {
    return severityAlarm(this, this.props, severity, name, options);
  }

  private addDashboardRow(): void {
    // Acknowledgements follow their payment by seconds to minutes: hourly counts compare like with like.
    const hour = Duration.hours(1);
    const completed = serviceMetric(METRICS.paymentCompleted, hour);
    const acknowledged = serviceMetric(METRICS.fulfilmentAcknowledged, hour);
    const byOutcome = (outcome: (typeof FULFILMENT_OUTCOMES)[number]) =>
      serviceMetric(METRICS.fulfilmentAcknowledged, hour, Stats.SUM, { outcome });
    const period = Duration.minutes(5);
    const count = (name: MetricName, label: string) => serviceMetric(name, period).with({ label });
    this.props.dashboard.addWidgets(
      new GraphWidget({
        title: 'Fulfilment acknowledgements (per hour)',
        width: 6,
        left: [
          completed.with({ label: 'payments completed' }),
          byOutcome('delivered').with({ label: 'acknowledged: delivered' }),
          byOutcome('failed').with({ label: 'acknowledged: failed (refunded)' }),
          serviceMetric(METRICS.fulfilmentOverdue, hour, Stats.MAXIMUM).with({
            label: 'overdue (max per run)',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Acknowledgement rate (%)',
        width: 6,
        left: [
          new MathExpression({
            label: 'acknowledged / completed (hourly)',
            period: hour,
            expression: 'IF(FILL(c,0) > 0, 100*FILL(a,0)/c, 100)',
            usingMetrics: { c: completed, a: acknowledged },
          }),
        ],
        leftYAxis: { min: 0 },
      }),
      new GraphWidget({
        title: 'Refunds (per 5 minutes)',
        width: 6,
        left: [
          count(METRICS.refundRequested, 'requested'),
          count(METRICS.refundSucceeded, 'succeeded'),
          count(METRICS.refundFailed, 'failed'),
          count(METRICS.refundManual, 'manual'),
          count(METRICS.refundStuck, 'stuck in SUBMITTED'),
          count(METRICS.disbursementBalanceLow, 'refused: balance low'),
        ],
      }),
      new AlarmStatusWidget({
        title: 'Fulfilment and refund alarms',
        width: 6,
        alarms: [...this.criticalAlarms, ...this.warningAlarms],
      }),
    );
  }
}
