import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Alarm, type ComparisonOperator, type TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Severity } from './alert-topics';

export type SeverityAlarmOptions = Omit<NotifyingAlarmOptions, 'stage' | 'severity' | 'topic'>;

export interface NotifyingAlarmOptions {
  readonly stage: string;
  readonly severity: Severity;
  readonly description: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** Chosen per alarm, on purpose: say why next to each call. */
  readonly treatMissingData: TreatMissingData;
  /** Periods that must all breach (default 1). */
  readonly evaluationPeriods?: number;
  /** The topic of its severity: alarms and recoveries both go there. */
  readonly topic: ITopic;
}

/**
 * Every alarm of the stack: named `temba-payments-<stage>-<name>` (the runbook and preflight find it by that
 * name), its severity at the start of the description, and both ALARM and OK sent to the severity's topic.
 */
export const notifyingAlarm = (scope: Construct, name: string, options: NotifyingAlarmOptions): Alarm => {
  const evaluationPeriods = options.evaluationPeriods ?? 1;
  const alarm = new Alarm(scope, name, {
    alarmName: `temba-payments-${options.stage}-${name}`,
    alarmDescription: `[${options.severity}] ${options.description}`,
    metric: options.metric,
    threshold: options.threshold,
    comparisonOperator: options.comparisonOperator,
    evaluationPeriods,
    datapointsToAlarm: evaluationPeriods,
    treatMissingData: options.treatMissingData,
  });
  const action = new SnsAction(options.topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
};

/** A construct that keeps the alarms it defines by severity (the stack's rollouts and flags watch the critical ones). */
export interface SeverityAlarms {
  readonly criticalAlarms: Alarm[];
  readonly warningAlarms: Alarm[];
}

/** One alarm of `owner`, sent to its severity's topic and kept in the owner's list of that severity. */
export const severityAlarm = (
  owner: Construct & SeverityAlarms,
  settings: { readonly stage: string; readonly topics: { topic(severity: Severity): ITopic } },
  severity: Severity,
  name: string,
  options: SeverityAlarmOptions,
): Alarm => {
  const alarm = notifyingAlarm(owner, name, {
    ...options,
    stage: settings.stage,
    severity,
    topic: settings.topics.topic(severity),
  });
  (severity === 'critical' ? owner.criticalAlarms : owner.warningAlarms).push(alarm);
  return alarm;
};
