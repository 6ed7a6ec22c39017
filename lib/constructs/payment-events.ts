import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  type Dashboard,
  GraphWidget,
  MathExpression,
  type Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type IEventSourceDlq,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENTS } from '../../lambdas/shared/contract/events';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { TABLE } from '../../lambdas/shared/contract/table';
import type { StageConfig } from '../config';
import type { AlertTopics, Severity } from './alert-topics';
import { type SeverityAlarmOptions, severityAlarm } from './notifying-alarm';
import type { PaymentFunction } from './payment-function';
import { serviceMetric } from './payments-monitoring';
import { rotatingKey } from './rotating-key';

/**
 * Partition key prefix of order items (`pk = ORDER#<orderId>`, lambdas/shared/store/keys.ts): the only items whose
 * changes carry payment and refund events. A test keeps it equal to the store's key.
 */
export const ORDER_KEY_PREFIX = 'ORDER#';

/** How the publisher reads the stream; exported for the tests and the notes. */
export const PUBLISHER_MAPPING = {
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  /** After this many retries of a failing record, its batch's description goes to the dead-letter queue. */
  retryAttempts: 10,
  dlqRetentionDays: 14,
} as const;

export interface PaymentEventsProps {
  readonly stage: string;
  /** Made by ApplicationStack.addFunction('event-publisher', ...): granted and wired to the stream here. */
  readonly publisher: PaymentFunction;
  /** The payments table's stream (NEW_AND_OLD_IMAGES), from the data stack. */
  readonly tableStreamArn: string;
  /** The table key: stream records are encrypted with it. */
  readonly tableKey: IKey;
  readonly archiveRetentionDays: number;
  readonly thresholds: Pick<StageConfig['alarms'], 'eventPublishLag' | 'eventPublishFailed'>;
  readonly topics: AlertTopics;
  /** The stage's dashboard: event delivery gets its own row. */
  readonly dashboard: Dashboard;
}

/**
 * Payment events as a transactional outbox: the table's stream carries every committed order write (the audit event
 * a change appends is its outbox entry), the `event-publisher` function turns each into one EventBridge event on
 * the stage's custom bus `temba-payments-<stage>`, and an archive keeps every event of source `temba.payments` for
 * replay. A change that did not commit is in no stream record, so no event exists without its change.
 *
 * The stream mapping (on the publisher's `live` alias): only order items, only inserts and changes (filtered before
 * any invocation); from the oldest record the stream still holds (TRIM_HORIZON: a new or re-created mapping misses
 * nothing of the last 24 hours); 100 records or 1 s per batch; partial batch failures, so one refused event does not
 * resend its batch; a failing batch is split in two until the bad record is alone; 10 retries, after which the
 * batch's description (shard, sequence numbers) goes to an SQS dead-letter queue (customer-managed key, TLS only,
 * 14 days), from which an operator replays it (docs/runbook.md).
 *
 * Alarms: `event-publish-lag` (critical) when the oldest record waiting is older than the threshold (60 s: a
 * committed change is not published), `event-dlq-not-empty` (critical) when a batch was given up, and
 * `event-publish-failed` (warning) when the bus refused events (the publisher retries them).
 */
export class PaymentEvents extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;
  readonly deadLetterKey: IKey;
  readonly deadLetterQueue: Queue;
  readonly mapping: EventSourceMapping;
  readonly lagAlarm: Alarm;
  readonly deadLetterAlarm: Alarm;
  readonly publishFailedAlarm: Alarm;
  readonly criticalAlarms: Alarm[] = [];
  readonly warningAlarms: Alarm[] = [];
  private readonly props: PaymentEventsProps;

  constructor(scope: Construct, id: string, props: PaymentEventsProps) {
    super(scope, id);
    this.props = props;
    const { stage, publisher } = props;
    const busName = EVENTS.busNameFor(stage);

    // Events carry ids, amounts and the caller's reference/metadata, never contact data: EventBridge's own
    // encryption at rest is enough (a customer key would add cost and a key policy for every consumer).
    this.bus = new EventBus(this, 'Bus', {
      eventBusName: busName,
      description: `Temba payments ${stage}: payment and refund events (source ${EVENTS.source})`,
    });
    this.archive = new Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      archiveName: `${busName}-all`,
      description: `Every ${EVENTS.source} event, kept ${props.archiveRetentionDays} days for replay`,
      eventPattern: { source: [EVENTS.source] },
      retention: Duration.days(props.archiveRetentionDays),
    });

    // The queue only ever holds descriptions of failed batches (no event content), so nothing to keep once the
    // application stack is gone.
    this.deadLetterKey = rotatingKey(this, 'DeadLetterKey', {
      alias: `temba-payments/${stage}/event-publisher-dlq`,
      description: `Temba payments ${stage}: the event publisher's dead-letter queue`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      queueName: `temba-payments-${stage}-event-publisher-dlq`,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.deadLetterKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(PUBLISHER_MAPPING.dlqRetentionDays),
    });

    publisher
      .publishesEventsTo(this.bus)
      .readsStreamOf(props.tableStreamArn, props.tableKey)
      .sendsFailuresTo(this.deadLetterQueue, this.deadLetterKey);

    // The grant is made above (sendsFailuresTo), as a named statement: this destination only names the queue.
    const onFailure: IEventSourceDlq = { bind: () => ({ destination: this.deadLetterQueue.queueArn }) };
    this.mapping = new EventSourceMapping(this, 'StreamMapping', {
      target: publisher.alias,
      eventSourceArn: props.tableStreamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: PUBLISHER_MAPPING.batchSize,
      maxBatchingWindow: Duration.seconds(PUBLISHER_MAPPING.maxBatchingWindowSeconds),
      retryAttempts: PUBLISHER_MAPPING.retryAttempts,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure,
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { Keys: { [TABLE.partitionKey.name]: { S: FilterRule.beginsWith(ORDER_KEY_PREFIX) } } },
        }),
      ],
    });
    // The grants must exist before the mapping polls: CloudFormation creates the mapping after the role's policy.
    const policy = publisher.role.node.tryFindChild('DefaultPolicy');
    if (policy) this.mapping.node.addDependency(policy);

    const t = props.thresholds;
    this.lagAlarm = this.alarm('critical', 'event-publish-lag', {
      description:
        `A committed change has not been published within ${t.eventPublishLag.thresholdSeconds} s: the oldest ` +
        'stream record waiting for the event publisher is older than that (IteratorAge)',
      metric: this.iteratorAge(Duration.minutes(1)),
      threshold: t.eventPublishLag.thresholdSeconds * 1000,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Reported only while the mapping delivers batches: no change, no data, nothing late.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm = this.alarm('critical', 'event-dlq-not-empty', {
      description:
        'The event publisher gave up on a batch of table changes after its retries: their events are not on the ' +
        'bus until replayed (the dead-letter message names the shard and sequence numbers)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // SQS stops reporting an idle, empty queue after a few hours: silence is an empty queue.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.publishFailedAlarm = this.alarm('warning', 'event-publish-failed', {
      description:
        'EventBridge refused payment events; the publisher retries them (partial batch failure), the lag and ' +
        'dead-letter alarms say when retrying did not help',
      metric: serviceMetric(METRICS.eventPublishFailed, Duration.minutes(5)),
      threshold: t.eventPublishFailed.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Counted only when it happens.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.addDashboardRow();
  }

  /** The age of the oldest record the mapping has yet to hand to the publisher (ms), every version of it. */
  iteratorAge(period: Duration): Metric {
    return this.props.publisher.fn.metric('IteratorAge', { period, statistic: Stats.MAXIMUM });
  }

  private alarm(severity: Severity, name: string, options: SeverityAlarmOptions): Alarm {
    return severityAlarm(this, this.props, severity, name, options);
  }

  private addDashboardRow(): void {
    const period = Duration.minutes(5);
    const published = serviceMetric(METRICS.eventPublished, period);
    const refused = serviceMetric(METRICS.eventPublishFailed, period);
    const lagMs = this.props.thresholds.eventPublishLag.thresholdSeconds * 1000;
    this.props.dashboard.addWidgets(
      new GraphWidget({
        title: 'Payment events (per 5 minutes)',
        width: 6,
        left: [
          published.with({ label: 'published' }),
          refused.with({ label: 'refused by the bus (retried)' }),
          this.deadLetterQueue
            .metricApproximateNumberOfMessagesVisible({ period, statistic: Stats.MAXIMUM })
            .with({ label: 'batches given up (DLQ)' }),
        ],
      }),
      new GraphWidget({
        title: 'Event delivery rate (%)',
        width: 6,
        left: [
          new MathExpression({
            label: 'accepted by the bus / attempted',
            period,
            expression: 'IF((FILL(p,0)+FILL(f,0)) > 0, 100*FILL(p,0)/(FILL(p,0)+FILL(f,0)), 100)',
            usingMetrics: { p: published, f: refused },
          }),
        ],
        leftYAxis: { min: 0, max: 100 },
      }),
      new GraphWidget({
        title: 'Event delivery lag (ms)',
        width: 6,
        left: [
          serviceMetric(METRICS.eventDeliveryLag, period, Stats.MAXIMUM).with({
            label: 'commit to bus, max',
          }),
          serviceMetric(METRICS.eventDeliveryLag, period, Stats.AVERAGE).with({
            label: 'commit to bus, avg',
          }),
          this.iteratorAge(period).with({ label: 'oldest record waiting (iterator age)' }),
        ],
        leftAnnotations: [{ value: lagMs, label: 'alarm', color: '#d62728' }],
      }),
      new AlarmStatusWidget({
        title: 'Event alarms',
        width: 6,
        alarms: [...this.criticalAlarms, ...this.warningAlarms, this.props.publisher.errorsAlarm],
      }),
    );
  }
}
