import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { ManagedPolicy, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from './notifying-alarm';
import { rotatingKey } from './rotating-key';

/** How long a failure waits in the queue for the on-call (SQS's maximum). */
export const ASYNC_FAILURES_RETENTION_DAYS = 14;

export interface AsyncFailuresProps {
  readonly stage: string;
}

/**
 * The stack's one dead-letter queue for everything asynchronous that gave up after its retries, so nothing fails
 * silently: scheduled runs (the on-failure destination of each scheduled function's `live` alias), EventBridge
 * schedule targets EventBridge could not invoke, and alert deliveries SNS could not make (e-mail, SMS). The event
 * publisher keeps its own queue (its messages are stream batch descriptions an operator replays).
 *
 * Encrypted with its own customer-managed key, TLS only, 14 days. Who may send: the scheduled functions' roles (the
 * managed `senderPolicy`); EventBridge for each rule and SNS for each topic (queue policy statements CDK
 * writes with `aws:SourceArn` = that rule or topic); the key lets EventBridge and SNS of this account use it through
 * SQS only. Alarm `async-failures-not-empty` (critical) as soon as one message is visible.
 */
export class AsyncFailures extends Construct {
  readonly key: IKey;
  readonly queue: Queue;
  /**
   * What a scheduled function's role needs to record its failed runs (Lambda writes the on-failure record with the
   * function's role): SendMessage on this queue only, and its key only through SQS. One customer-managed policy,
   * attached to each such role, rather than the same statements inline in each.
   */
  readonly senderPolicy: ManagedPolicy;
  private readonly stage: string;
  private notEmpty?: Alarm;

  constructor(scope: Construct, id: string, props: AsyncFailuresProps) {
    super(scope, id);
    this.stage = props.stage;
    const { account, region, partition } = Stack.of(this);
    const key = rotatingKey(this, 'Key', {
      alias: `temba-payments/${props.stage}/async-failures`,
      description: `Temba payments ${props.stage}: the async failures dead-letter queue`,
      // Failure records only matter while the queue holds them: nothing to keep once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // EventBridge (a target it could not invoke) and SNS (a delivery it could not make) write to the queue with
    // their own service identity: they need the key, only through SQS, only for sources of this account.
    const senders = [
      { service: 'events', source: `arn:${partition}:events:${region}:${account}:rule/*` },
      { service: 'sns', source: `arn:${partition}:sns:${region}:${account}:temba-payments-${props.stage}-*` },
    ];
    for (const { service, source } of senders) {
      key.addToResourcePolicy(
        new PolicyStatement({
          sid: `${service === 'events' ? 'EventBridge' : 'Sns'}SendsFailures`,
          principals: [new ServicePrincipal(`${service}.amazonaws.com`)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': account, 'kms:ViaService': `sqs.${region}.amazonaws.com` },
            ArnLike: { 'aws:SourceArn': source },
          },
        }),
      );
    }
    this.key = key;
    this.queue = new Queue(this, 'Queue', {
      queueName: `temba-payments-${props.stage}-async-failures`,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(ASYNC_FAILURES_RETENTION_DAYS),
    });
    this.senderPolicy = new ManagedPolicy(this, 'SenderPolicy', {
      description: `Temba payments ${props.stage}: record a failed asynchronous run in the async failures queue`,
      statements: [
        new PolicyStatement({
          sid: 'SendFailures',
          actions: ['sqs:SendMessage'],
          resources: [this.queue.queueArn],
        }),
        new PolicyStatement({
          sid: 'FailuresKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${region}.amazonaws.com` } },
        }),
      ],
    });
  }

  /** The queue's alarm, sent to `topic` (ALARM and OK); made once. */
  alarmsTo(topic: ITopic): Alarm {
    this.notEmpty ??= notifyingAlarm(this, 'async-failures-not-empty', {
      stage: this.stage,
      severity: 'critical',
      topic,
      description:
        'Something asynchronous gave up after its retries and left a record in the async failures queue ' +
        `(temba-payments-${this.stage}-async-failures). Read it with aws sqs receive-message ` +
        '--attribute-names All --message-attribute-names All: a scheduled run (reconcile, daily report, restore ' +
        'drill) is a Lambda invocation record (requestContext.functionArn, condition, responsePayload); an ' +
        'EventBridge target failure carries the RULE_ARN, TARGET_ARN and ERROR_MESSAGE attributes; an alert SNS ' +
        'could not deliver is the SNS message itself (TopicArn, Subject). See docs/infra-notes.md',
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // SQS reports the queue's size every minute, empty or not: a missing point is no failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return this.notEmpty;
  }
}
