import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type ITopicSubscription, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SmsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { rotatingKey } from './rotating-key';

export type Severity = 'critical' | 'warning';

export interface Subscriptions {
  readonly emails: readonly string[];
  readonly sms: readonly string[];
}

export interface AlertTopicsProps {
  readonly stage: string;
  readonly subscriptions: Readonly<Record<Severity, Subscriptions>>;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Where SNS puts an alert it could not deliver to a subscriber after its retries (redrive policy of every
   * subscription): the stack's async failures queue, whose alarm tells the on-call.
   */
  readonly deadLetterQueue: IQueue;
}

/**
 * The on-call's two channels. `critical` pages (rollback triggers, security events); `warning` is read in
 * working hours. Both are encrypted with a customer-managed key, because CloudWatch alarms cannot publish
 * to a topic encrypted with the AWS-managed SNS key, and both refuse publishers that do not use TLS. An alert SNS
 * cannot deliver (an address bouncing, a phone unreachable) goes to the dead-letter queue, never nowhere.
 */
export class AlertTopics extends Construct {
  readonly key: IKey;
  readonly critical: Topic;
  readonly warning: Topic;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    const key = rotatingKey(this, 'Key', {
      alias: `temba-payments/${props.stage}/alerts`,
      description: `Temba payments ${props.stage}: SNS alert topics`,
      removalPolicy: props.removalPolicy,
    });
    // CloudWatch alarms of this account encrypt the messages they publish with this key.
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    this.key = key;

    const topic = (severity: Severity): Topic => {
      const created = new Topic(this, severity === 'critical' ? 'Critical' : 'Warning', {
        topicName: `temba-payments-${props.stage}-${severity}`,
        displayName: `Temba payments ${props.stage} ${severity}`,
        masterKey: key,
        enforceSSL: true,
      });
      created.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowCloudWatchAlarms',
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [created.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnLike: {
              'aws:SourceArn': `arn:${Stack.of(this).partition}:cloudwatch:${region}:${account}:alarm:*`,
            },
          },
        }),
      );
      // SmsSubscription drops its `deadLetterQueue` option: the redrive policy is set on every subscription here.
      const redriven = (subscription: ITopicSubscription): ITopicSubscription => ({
        bind: (bound) => ({ ...subscription.bind(bound), deadLetterQueue: props.deadLetterQueue }),
      });
      for (const email of props.subscriptions[severity].emails)
        created.addSubscription(redriven(new EmailSubscription(email)));
      for (const phone of props.subscriptions[severity].sms)
        created.addSubscription(redriven(new SmsSubscription(phone)));
      return created;
    };
    this.critical = topic('critical');
    this.warning = topic('warning');
  }

  topic(severity: Severity): Topic {
    return severity === 'critical' ? this.critical : this.warning;
  }
}
