import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarm, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  type ILambdaDeploymentConfig,
  type LambdaApplication,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
} from 'aws-cdk-lib/aws-codedeploy';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule, RuleTargetInput, type Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Alias, Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type * as z from 'zod';
import { type CustomerAuthConfig, customerAuthSchema } from '../../lambdas/shared/contract/auth';
import { ENV, type EnvName } from '../../lambdas/shared/contract/env';
import { EVENTS } from '../../lambdas/shared/contract/events';
import { METRIC_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/contract/metrics';
import type { LambdaRollout } from '../config';
import { LAMBDA_BUNDLING } from './lambda-bundling';

/** Table operations a function may be granted; transactions are authorised per contained operation. */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem';
const WRITE_ACTIONS: readonly TableAction[] = ['PutItem', 'UpdateItem', 'DeleteItem'];

/** An AppConfig feature-flags profile as a function reads it (see FeatureFlags). */
export interface FlagsSource {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  /** `arn:...:application/<app>/environment/<env>/configuration/<profile>`: what a session is started on. */
  readonly configurationArn: string;
}

/** The two alert topics and the key they are encrypted with. */
export interface AlertChannels {
  readonly critical: ITopic;
  readonly warning: ITopic;
  readonly key: IKey;
}

export interface PaymentFunctionProps {
  readonly stage: string;
  /** Short name, also the `fn` of its route in ROUTES, e.g. `create-payment`. */
  readonly name: string;
  /** Absolute path of the handler file; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Concurrent executions set aside for the function, which are also its ceiling (all versions together).
   * Absent: it shares the account's unreserved pool.
   */
  readonly reservedConcurrency?: number;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly rollout: LambdaRollout;
  readonly deploymentApplication: LambdaApplication;
  /** Alarm thresholds of the alias, and where the alarms notify. */
  readonly alarms: { readonly errors: number; readonly throttles: number; readonly notify: ITopic };
}

const ROLLOUT: Record<LambdaRollout, ILambdaDeploymentConfig> = {
  'all-at-once': LambdaDeploymentConfig.ALL_AT_ONCE,
  linear: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  canary: LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
};

/** `PAYDUNYA_SECRET_ARN` -> `PaydunyaSecretArn`: a statement id that says which setting it backs. */
const sidOf = (name: string): string =>
  name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');

/**
 * The one way this project runs code on Lambda: a NodejsFunction (esbuild: ESM, minified, source maps, AWS SDK
 * bundled), Node.js 24 on arm64, its own role, log group and X-Ray tracing, published as the alias `live`,
 * which CodeDeploy moves from version to version (all at once, linear or canary) and rolls back on alarm.
 *
 * Callers never touch `process.env` or IAM directly: each `uses...`/`reads...` method grants exactly the
 * actions the code performs on exactly the resource AND sets the variable the code reads it from, so access
 * and configuration cannot drift apart.
 */
export class PaymentFunction extends Construct {
  readonly fn: NodejsFunction;
  /** What API Gateway and schedules invoke; never `$LATEST`. */
  readonly alias: Alias;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly deploymentGroup: LambdaDeploymentGroup;
  readonly errorsAlarm: Alarm;
  readonly throttlesAlarm: Alarm;
  readonly functionName: string;
  /** The identity provider this function checks customer tokens against (`verifiesCustomerTokens`), if any. */
  private customerAuthConfig: CustomerAuthConfig | undefined;

  constructor(scope: Construct, id: string, props: PaymentFunctionProps) {
    super(scope, id);
    this.functionName = `temba-payments-${props.stage}-${props.name}`;

    // Unnamed on purpose: a retained log group would block redeploying a torn-down stack under the same name.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // Our own role, so no AWS-managed policy rides along: logs go to this log group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${this.functionName}: exactly what the ${props.name} handler calls`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      functionName: this.functionName,
      entry: props.entry,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      description: `Temba payments ${props.stage}: ${props.name}`,
      environment: {
        [ENV.stage]: props.stage,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Stack traces point at the TypeScript sources through the bundled source maps.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: LAMBDA_BUNDLING,
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement (xray:PutTraceSegments, xray:PutTelemetryRecords) uses *: these X-Ray actions ' +
        'support no resource-level permissions. Every other statement names its resource.',
    });

    this.alias = new Alias(this, 'Live', { aliasName: 'live', version: this.fn.currentVersion });

    const notify = new SnsAction(props.alarms.notify);
    // Errors of the alias, minute by minute: the first error during a rollout stops and reverts it.
    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmName: `${this.functionName}-errors`,
      alarmDescription: `${props.name} (alias live) threw or timed out; rolls back a CodeDeploy rollout in progress`,
      metric: this.alias.metricErrors({ period: Duration.minutes(1), statistic: Stats.SUM }),
      threshold: props.alarms.errors,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No invocations means no errors: an idle function is healthy.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.throttlesAlarm = new Alarm(this, 'ThrottlesAlarm', {
      alarmName: `${this.functionName}-throttles`,
      // With a reservation this is the function at its ceiling (API Gateway answers those callers 500), or a burst
      // faster than Lambda scales (1,000 new environments per 10 s): either way, worth a look during an on-sale.
      alarmDescription:
        props.reservedConcurrency === undefined
          ? `${props.name} (alias live) was throttled: the account's unreserved concurrency ran out`
          : `${props.name} (alias live) was throttled: its ${props.reservedConcurrency} reserved executions were ` +
            'all busy, or traffic rose faster than Lambda scales (docs/capacity-notes.md)',
      metric: this.alias.metricThrottles({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: props.alarms.throttles,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // Throttles are only reported when they happen: silence is the healthy state.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.errorsAlarm, this.throttlesAlarm]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    this.deploymentGroup = new LambdaDeploymentGroup(this, 'Deployment', {
      application: props.deploymentApplication,
      alias: this.alias,
      deploymentConfig: ROLLOUT[props.rollout],
      alarms: [this.errorsAlarm],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    Validations.of(this.deploymentGroup.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        'CodeDeploy shifts the live alias with the AWS-managed "Limited" Lambda policy (alias update, hooks, alarms ' +
        'read); only CodeDeploy can assume the role.',
    });
  }

  /** Also roll a deployment back when this alarm fires (e.g. the payment success rate). */
  rollsBackOn(alarm: IAlarm): this {
    this.deploymentGroup.addAlarm(alarm);
    return this;
  }

  /**
   * The function verifies customers' bearer tokens itself (the `customer` routes): the stage's identity provider as
   * JSON in `CUSTOMER_AUTH`, parsed with the shared schema so the code receives the defaults too. No IAM: the keys
   * are public and fetched from the provider over the internet (the functions run outside any VPC).
   */
  verifiesCustomerTokens(auth: z.input<typeof customerAuthSchema>): this {
    this.customerAuthConfig = customerAuthSchema.parse(auth);
    this.fn.addEnvironment(ENV.customerAuth, JSON.stringify(this.customerAuthConfig));
    return this;
  }

  /** The identity provider set by `verifiesCustomerTokens`; undefined when the function checks no tokens. */
  get customerAuth(): CustomerAuthConfig | undefined {
    return this.customerAuthConfig;
  }

  /** Sets a plain configuration value (no access implied). */
  setsEnv(name: EnvName, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /**
   * `TABLE_NAME` + the listed operations on the table (and Query on the listed indexes) + the table key,
   * used only through DynamoDB: Decrypt to read, Encrypt and GenerateDataKey as well when writing.
   */
  usesTable(
    table: ITableV2,
    key: IKey,
    actions: readonly TableAction[],
    options: { readonly queryIndexes?: readonly string[] } = {},
  ): this {
    this.fn.addEnvironment(ENV.tableName, table.tableName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'Table',
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [table.tableArn],
      }),
    );
    const indexes = options.queryIndexes ?? [];
    if (indexes.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'TableIndexes',
          actions: ['dynamodb:Query'],
          resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    }
    const writes = actions.some((action) => WRITE_ACTIONS.includes(action));
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'TableKey',
        actions: writes ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    return this;
  }

  /** The secret's ARN in `name` + GetSecretValue on that secret only. */
  readsSecret(name: typeof ENV.paydunyaSecretArn | typeof ENV.signingSecretArn, secret: ISecret): this {
    this.fn.addEnvironment(name, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: `Read${sidOf(name)}`,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secret.secretArn],
      }),
    );
    return this;
  }

  /** `PII_KEY_ARN` + GenerateDataKey on the PII key (envelope encryption of customer details). */
  encryptsPiiWith(key: IKey): this {
    this.fn.addEnvironment(ENV.piiKeyArn, key.keyArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'EncryptPii', actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }),
    );
    return this;
  }

  /**
   * `PII_KEY_ARN` + Decrypt on the PII key only: the function reads customer details another function encrypted
   * (the payer's phone, to pay a refund back to it) and can encrypt none.
   */
  decryptsPiiWith(key: IKey): this {
    this.fn.addEnvironment(ENV.piiKeyArn, key.keyArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'DecryptPii', actions: ['kms:Decrypt'], resources: [key.keyArn] }),
    );
    return this;
  }

  /**
   * `EVENT_BUS_NAME` + PutEvents on that bus only, and only for events whose source is ours (`events:source`):
   * the function cannot put events on any other bus nor pass for another producer.
   */
  publishesEventsTo(bus: IEventBus): this {
    this.fn.addEnvironment(ENV.eventBusName, bus.eventBusName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PublishEvents',
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': EVENTS.source } },
      }),
    );
    return this;
  }

  /**
   * What an event source mapping on a DynamoDB stream polls with the function's role: the stream's shards and
   * records (that stream only), and Decrypt on the table key, through DynamoDB only, since stream records are
   * encrypted with it. The mapping itself is made by the caller (see PaymentEvents).
   */
  readsStreamOf(streamArn: string, tableKey: IKey): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadStream',
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [streamArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StreamKey',
        actions: ['kms:Decrypt'],
        resources: [tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    return this;
  }

  /**
   * Where its event source mapping sends the description of a batch it gave up on (Lambda sends it with the
   * function's role): SendMessage on that queue only, and its key, used only through SQS.
   */
  sendsFailuresTo(queue: IQueue, key: IKey): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'SendFailures', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'FailuresKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    return this;
  }

  /** Both topic ARNs + Publish on them + the topics' key, used only through SNS. */
  publishesAlerts(channels: AlertChannels): this {
    this.fn.addEnvironment(ENV.criticalTopicArn, channels.critical.topicArn);
    this.fn.addEnvironment(ENV.warningTopicArn, channels.warning.topicArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [channels.critical.topicArn, channels.warning.topicArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AlertsKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [channels.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
    return this;
  }

  /** The AppConfig ids Powertools `getAppConfig` needs + a configuration session on that profile only. */
  readsFlags(flags: FlagsSource): this {
    this.fn.addEnvironment(ENV.appConfigApplication, flags.applicationId);
    this.fn.addEnvironment(ENV.appConfigEnvironment, flags.environmentId);
    this.fn.addEnvironment(ENV.appConfigProfile, flags.profileId);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadFlags',
        actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        resources: [flags.configurationArn],
      }),
    );
    return this;
  }

  /**
   * Invokes the `live` alias on a schedule (reconcile, daily report) with `input` as the event (without one,
   * the handler receives EventBridge's "Scheduled Event"); returns the rule.
   */
  runsOnSchedule(id: string, schedule: Schedule, description: string, input?: object): Rule {
    return new Rule(this, id, {
      schedule,
      description,
      targets: [
        new LambdaFunctionTarget(this.alias, {
          retryAttempts: 2,
          ...(input ? { event: RuleTargetInput.fromObject(input) } : {}),
        }),
      ],
    });
  }
}
