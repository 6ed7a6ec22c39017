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
import { Construct } from 'constructs';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { COMPLAINT_CATEGORIES } from '../../lambdas/shared/contract/routes';
import { THRESHOLDS } from '../../lambdas/shared/contract/thresholds';
import type { AlertTopics, Severity } from './alert-topics';
import { type SeverityAlarmOptions, severityAlarm } from './notifying-alarm';
import { serviceMetric } from './payments-monitoring';

export interface CustomerComplaintsProps {
  readonly stage: string;
  readonly topics: AlertTopics;
  /** The stage's dashboard: complaints get a row. */
  readonly dashboard: Dashboard;
}

/** What the on-call runs when the complaints alarm fires (docs/runbook.md, "Rollback"). */
export const complaintsRollbackCommand = (stage: string): string =>
  `npm run rollback -- --stage ${stage} --to paused`;

/**
 * Customers' complaints recorded by support (POST /payments/{orderId}/complaints). One alarm:
 * - `complaints-rollback` (critical): more than THRESHOLDS.complaints.rollbackAbove complaints in one hour, the
 *   go-live plan's rollback trigger; its description gives the rollback command. One period of an hour, the sum
 *   of the hour: it goes to ALARM once when the hour's count passes the threshold and stays there (one message,
 *   not one per complaint) until the count falls back, then says OK once.
 *
 * Not an AppConfig monitor, and not a CodeDeploy rollback alarm. Complaints trail the change that causes them by
 * hours (a customer complains after the ticket did not come), so they say nothing about a rollout's bake time; the
 * rollback they call for IS a flags deployment (`--to paused`), which AppConfig would revert while a monitor is in
 * ALARM, i.e. for the whole hour this one stays there; and AppConfig takes five monitors, all taken by the
 * payment alarms. A person decides, with the command in hand.
 */
export class CustomerComplaints extends Construct {
  readonly criticalAlarms: Alarm[] = [];
  readonly warningAlarms: Alarm[] = [];
  readonly rollbackAlarm: Alarm;
  private readonly props: CustomerComplaintsProps;

  constructor(scope: Construct, id: string, props: CustomerComplaintsProps) {
    super(scope, id);
    this.props = props;
    const { rollbackAbove, periodMinutes } = THRESHOLDS.complaints;
    const period = Duration.minutes(periodMinutes);
    this.rollbackAlarm = this.alarm('critical', 'complaints-rollback', {
      description:
        `More than ${rollbackAbove} customer complaints in ${periodMinutes} minutes: go-live rollback trigger. ` +
        `Roll back: ${complaintsRollbackCommand(props.stage)} (docs/runbook.md "Rollback"); categories on the dashboard`,
      metric: serviceMetric(METRICS.complaintRecorded, period),
      threshold: rollbackAbove,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // Counted only when a complaint is recorded: an hour without one is the healthy state.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.addDashboardRow();
  }

  private alarm(severity: Severity, name: string, options: SeverityAlarmOptions): Alarm {
    return severityAlarm(this, this.props, severity, name, options);
  }

  private addDashboardRow(): void {
    const hour = Duration.hours(1);
    this.props.dashboard.addWidgets(
      new GraphWidget({
        title: 'Customer complaints (per hour)',
        width: 18,
        left: [
          serviceMetric(METRICS.complaintRecorded, hour).with({ label: 'all' }),
          ...COMPLAINT_CATEGORIES.map((category) =>
            serviceMetric(METRICS.complaintRecorded, hour, Stats.SUM, { category }).with({ label: category }),
          ),
        ],
        leftAnnotations: [
          { value: THRESHOLDS.complaints.rollbackAbove, label: 'rollback', color: '#d62728' },
        ],
      }),
      new AlarmStatusWidget({ title: 'Complaint alarms', width: 6, alarms: [this.rollbackAlarm] }),
    );
  }
}
