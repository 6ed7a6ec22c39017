import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  type Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  METRIC_NAMESPACE,
  METRICS,
  type MetricName,
  SERVICE_NAME,
} from '../../lambdas/shared/contract/metrics';
import type { TABLE } from '../../lambdas/shared/contract/table';
import type { StageConfig } from '../config';
import type { AlertTopics, Severity } from './alert-topics';
import { type SeverityAlarmOptions, severityAlarm } from './notifying-alarm';
import type { PaymentFunction } from './payment-function';

export interface PaymentsMonitoringProps {
  readonly stage: string;
  readonly thresholds: StageConfig['alarms'];
  readonly topics: AlertTopics;
  readonly api: RestApi;
  readonly table: ITableV2;
  readonly tableIndexes: readonly (typeof TABLE.indexes)[keyof typeof TABLE.indexes]['name'][];
  readonly functions: readonly PaymentFunction[];
}

/** The DynamoDB operations that read or write the table's indexes (Query reads them; each write updates them). */
const INDEX_REACHING_OPERATIONS = [
  'Query',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'TransactWriteItems',
  'BatchWriteItem',
] as const;

/**
 * A metric the Lambda code emits through Powertools (EMF): namespace, name and the `service` dimension come
 * from the shared contract. Alarms read these totals; breakdowns (`method`, `reason`, `outcome`) are extra
 * dimension sets, emitted beside the total with `service` plus the breakdown's dimension (powertools-telemetry.ts).
 */
export const serviceMetric = (
  name: MetricName,
  period: Duration,
  statistic: string = Stats.SUM,
  breakdown: Readonly<Record<string, string>> = {},
): Metric =>
  new Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, ...breakdown },
    statistic,
    period,
  });

/**
 * Alarms for the go-live plan's KPIs and rollback triggers, and the payments dashboard.
 *
 * Critical (pages the on-call, and is an AppConfig monitor): payment success rate under 90 %, webhook failure
 * rate over 5 %, any forged webhook, any suspected fraud, API 5xx rate. Warning: success rate under 95 %, p99
 * latency, DynamoDB throttles, unsigned webhooks, state conflicts, open circuit; the functions' own alarms
 * (errors, throttles per alias) are made by PaymentFunction, reconcile's (heartbeat, discrepancies, order errors)
 * by ReconcileOperations, which keeps them off the AppConfig monitors.
 */
export class PaymentsMonitoring extends Construct {
  /** Every alarm that notifies the critical topic. */
  readonly criticalAlarms: Alarm[] = [];
  readonly warningAlarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly props: PaymentsMonitoringProps;

  constructor(scope: Construct, id: string, props: PaymentsMonitoringProps) {
    super(scope, id);
    this.props = props;
    const { thresholds: t, api } = props;

    // Payment success rate = completed / (completed + failed + initiation failed). Customer cancellations are a
    // choice, not a failure. Under `minEvents` outcomes in the window the rate reads 100: too few to judge.
    const successRate = (period: Duration) =>
      new MathExpression({
        label: 'Payment success rate (%)',
        period,
        expression: `IF((FILL(c,0)+FILL(f,0)+FILL(i,0)) >= ${t.successRate.minEvents}, 100*FILL(c,0)/(FILL(c,0)+FILL(f,0)+FILL(i,0)), 100)`,
        usingMetrics: {
          c: serviceMetric(METRICS.paymentCompleted, period),
          f: serviceMetric(METRICS.paymentFailed, period),
          i: serviceMetric(METRICS.paymentInitiationFailed, period),
        },
      });
    const successPeriod = Duration.minutes(t.successRate.periodMinutes);
    // Critical, and a monitor of flags deployments, but not a code rollback trigger: PayDunya being down lowers it
    // as surely as a bad version does (rollbacks watch each new version's own errors, PaymentFunction).
    this.alarm('critical', 'success-rate-critical', {
      description: `Payment success rate under ${t.successRate.criticalBelowPercent} %: go-live rollback trigger (decide with the runbook)`,
      metric: successRate(successPeriod),
      threshold: t.successRate.criticalBelowPercent,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      // No outcome at all in the window: nothing to judge, so not a failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm('warning', 'success-rate-warning', {
      description: `Payment success rate under the go-live KPI of ${t.successRate.warningBelowPercent} %`,
      metric: successRate(successPeriod),
      threshold: t.successRate.warningBelowPercent,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const webhookPeriod = Duration.minutes(t.webhookFailureRate.periodMinutes);
    this.alarm('critical', 'webhook-failure-rate', {
      description: `Over ${t.webhookFailureRate.abovePercent} % of PayDunya IPNs could not be processed: rollback trigger`,
      metric: new MathExpression({
        label: 'Webhook failure rate (%)',
        period: webhookPeriod,
        expression: `IF(FILL(r,0) >= ${t.webhookFailureRate.minEvents}, 100*FILL(w,0)/FILL(r,0), 0)`,
        usingMetrics: {
          r: serviceMetric(METRICS.webhookReceived, webhookPeriod),
          w: serviceMetric(METRICS.webhookFailed, webhookPeriod),
        },
      }),
      threshold: t.webhookFailureRate.abovePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No IPN in the window: quiet, not failing (reconcile catches IPNs that never come).
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // Security events are counted only when they happen, so silence is the healthy state; one is enough.
    const fiveMinutes = Duration.minutes(5);
    const anyEvent = (severity: Severity, name: string, metric: MetricName, description: string) =>
      this.alarm(severity, name, {
        description,
        metric: serviceMetric(metric, fiveMinutes),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    anyEvent(
      'critical',
      'webhook-forged',
      METRICS.webhookRejected,
      'An IPN failed the PayDunya hash or callback signature',
    );
    anyEvent(
      'critical',
      'fraud-suspected',
      METRICS.fraudSuspected,
      'PayDunya confirm disagrees with the order (amount, token or order id)',
    );
    anyEvent(
      'warning',
      'webhook-unsigned',
      METRICS.webhookUnsigned,
      'An IPN arrived without our callback signature',
    );
    anyEvent(
      'warning',
      'state-conflict',
      METRICS.stateConflict,
      'A late or contradictory status reached a terminal order',
    );
    anyEvent(
      'warning',
      'circuit-open',
      METRICS.circuitOpen,
      'The PayDunya circuit breaker opened: PayDunya is failing',
    );

    const apiPeriod = Duration.minutes(t.api5xxRate.periodMinutes);
    this.alarm('critical', 'api-5xx-rate', {
      description: `Over ${t.api5xxRate.abovePercent} % of API requests answered 5xx`,
      metric: new MathExpression({
        label: 'API 5xx rate (%)',
        period: apiPeriod,
        expression: `IF(FILL(n,0) >= ${t.api5xxRate.minEvents}, 100*FILL(e,0)/FILL(n,0), 0)`,
        usingMetrics: {
          n: api.metricCount({ period: apiPeriod, statistic: Stats.SUM }),
          e: api.metricServerError({ period: apiPeriod, statistic: Stats.SUM }),
        },
      }),
      threshold: t.api5xxRate.abovePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No requests: nothing failed.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.alarm('warning', 'api-p99-latency', {
      description: `API p99 latency over ${t.apiP99LatencyMs.threshold} ms`,
      metric: api.metricLatency({ period: fiveMinutes, statistic: Stats.p(99) }),
      threshold: t.apiP99LatencyMs.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: t.apiP99LatencyMs.evaluationPeriods,
      // Traffic is sparse (a few payments an hour): quiet periods keep the last state instead of flapping to OK.
      treatMissingData: TreatMissingData.IGNORE,
    });

    this.alarm('warning', 'dynamodb-throttles', {
      description: 'DynamoDB throttled reads or writes on the payments table or its indexes',
      metric: this.dynamoThrottledRequests(fiveMinutes),
      threshold: t.dynamoThrottles.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Throttle events are only reported when they happen.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.dashboard = this.buildDashboard(successRate(fiveMinutes));
  }

  private alarm(severity: Severity, name: string, options: SeverityAlarmOptions): Alarm {
    return severityAlarm(this, this.props, severity, name, options);
  }

  /**
   * What the throttles alarm reads. An alarm's math may use at most 10 metrics, and the event-level metrics take two
   * per index (the table's own exclude its indexes), so it reads: the table's read and write throttle events, and
   * `ThrottledRequests` (one per request any of whose events, on the table or an index, was throttled) for the
   * operations that reach the indexes: Query reads them, every write updates them. However many indexes there are.
   */
  private dynamoThrottledRequests(period: Duration): MathExpression {
    const tableName = this.props.table.tableName;
    const metrics: Record<string, Metric> = {};
    for (const [key, metricName] of [
      ['r', 'ReadThrottleEvents'],
      ['w', 'WriteThrottleEvents'],
    ] as const) {
      metrics[key] = new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: tableName },
        statistic: Stats.SUM,
        period,
      });
    }
    INDEX_REACHING_OPERATIONS.forEach((operation, position) => {
      metrics[`q${position}`] = new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: 'ThrottledRequests',
        dimensionsMap: { TableName: tableName, Operation: operation },
        statistic: Stats.SUM,
        period,
      });
    });
    return new MathExpression({
      label: 'DynamoDB throttled requests',
      period,
      expression: Object.keys(metrics)
        .map((key) => `FILL(${key},0)`)
        .join('+'),
      usingMetrics: metrics,
    });
  }

  /** Every throttle event on the table and on each index, for the dashboard (a graph has no 10-metric limit). */
  private dynamoThrottles(period: Duration): MathExpression {
    const metrics: Record<string, Metric> = {};
    const dimensionSets: Record<string, string>[] = [
      { TableName: this.props.table.tableName },
      ...this.props.tableIndexes.map((index) => ({
        TableName: this.props.table.tableName,
        GlobalSecondaryIndexName: index,
      })),
    ];
    dimensionSets.forEach((dimensionsMap, position) => {
      for (const [key, metricName] of [
        ['r', 'ReadThrottleEvents'],
        ['w', 'WriteThrottleEvents'],
      ] as const) {
        metrics[`${key}${position}`] = new Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap,
          statistic: Stats.SUM,
          period,
        });
      }
    });
    return new MathExpression({
      label: 'DynamoDB throttle events',
      period,
      expression: Object.keys(metrics)
        .map((key) => `FILL(${key},0)`)
        .join('+'),
      usingMetrics: metrics,
    });
  }

  private buildDashboard(successRate: MathExpression): Dashboard {
    const { api, functions, stage } = this.props;
    const period = Duration.minutes(5);
    const count = (name: MetricName, label: string) => serviceMetric(name, period).with({ label });
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `temba-payments-${stage}`,
      defaultInterval: Duration.days(1),
    });
    dashboard.addWidgets(
      new TextWidget({
        markdown: `# Temba payments (${stage})\nCounts are per 5 minutes; amounts in XOF; success rate = completed / (completed + failed + initiation failed).`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Payment volume',
        width: 8,
        left: [
          count(METRICS.paymentCreated, 'created'),
          count(METRICS.paymentCompleted, 'completed'),
          count(METRICS.paymentFailed, 'failed'),
          count(METRICS.paymentCancelled, 'cancelled'),
          count(METRICS.paymentInitiationFailed, 'initiation failed'),
        ],
      }),
      new GraphWidget({
        title: 'Success rate (%)',
        width: 8,
        left: [successRate],
        leftYAxis: { min: 0, max: 100 },
        leftAnnotations: [
          {
            value: this.props.thresholds.successRate.warningBelowPercent,
            label: 'warning',
            color: '#ff7f0e',
          },
          {
            value: this.props.thresholds.successRate.criticalBelowPercent,
            label: 'rollback',
            color: '#d62728',
          },
        ],
      }),
      new GraphWidget({
        title: 'Payment value (XOF)',
        width: 8,
        left: [serviceMetric(METRICS.paymentAmount, period, Stats.AVERAGE).with({ label: 'average' })],
        right: [serviceMetric(METRICS.paymentAmount, period, Stats.SUM).with({ label: 'total' })],
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Latency (ms)',
        width: 8,
        left: [
          api.metricLatency({ period, statistic: Stats.p(50) }).with({ label: 'API p50' }),
          api.metricLatency({ period, statistic: Stats.p(99) }).with({ label: 'API p99' }),
        ],
        right: [
          serviceMetric(METRICS.paymentDuration, period, Stats.AVERAGE).with({
            label: 'payment time avg (KPI < 30 s)',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Webhook deliveries',
        width: 8,
        left: [
          count(METRICS.webhookReceived, 'received'),
          count(METRICS.webhookFailed, 'failed'),
          count(METRICS.webhookRejected, 'rejected (forged)'),
          count(METRICS.webhookUnsigned, 'unsigned'),
          count(METRICS.fraudSuspected, 'fraud suspected'),
        ],
      }),
      new GraphWidget({
        title: 'Errors',
        width: 8,
        left: [
          ...functions.map((fn) => fn.alias.metricErrors({ period }).with({ label: `${fn.node.id} errors` })),
          api.metricServerError({ period }).with({ label: 'API 5xx' }),
          api.metricClientError({ period }).with({ label: 'API 4xx' }),
        ],
        right: [this.dynamoThrottles(period)],
      }),
    );
    dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms',
        width: 24,
        alarms: [
          ...this.criticalAlarms,
          ...this.warningAlarms,
          ...functions.flatMap((fn): IAlarm[] => [fn.errorsAlarm, fn.throttlesAlarm]),
        ],
      }),
    );
    return dashboard;
  }
}
