import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
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
import { type IManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Alias, Architecture, type IDestination, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
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
import { addAppConfigExtension, addParamsAndSecretsExtension } from './lambda-extensions';

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

/** The fraud rules profile, beside the flags in the same AppConfig application and environment. */
export interface FraudRulesSource {
  readonly applicationId: string;
  readonly environmentId: string;
  readonly fraudRulesProfileId: string;
  readonly fraudRulesConfigurationArn: string;
}

/** The stack's dead-letter queue for asynchronous runs, and the policy that lets a role write to it. */
export interface AsyncFailureQueue {
  readonly queue: IQueue;
  readonly senderPolicy: IManagedPolicy;
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
  /** The stage's logs key (customer-managed): the stacks always pass it, and the infra tests check every log group. */
  readonly logKey?: IKey;
  /**
   * Where an asynchronous invocation that gave up is recorded (`runsOnSchedule`): the stack's async failures queue
   * and its key. The stacks always pass it; cdk-nag (Serverless) and the infra tests catch a schedule without it.
   */
  readonly asyncFailures?: AsyncFailureQueue;
  readonly rollout: LambdaRollout;
  readonly deploymentApplication: LambdaApplication;
  /** Alarm thresholds of the alias and of a version being rolled out, and where the alarms notify. */
  readonly alarms: {
    readonly errors: number;
    readonly throttles: number;
    readonly newVersionErrorRate: NewVersionErrorRate;
    readonly notify: ITopic;
  };
}

/** Stage config `alarms.newVersionErrorRate`: the rollback trigger of a rollout. */
export interface NewVersionErrorRate {
  readonly abovePercent: number;
  readonly periodMinutes: number;
  readonly minEvents: number;
}

const ROLLOUT: Record<LambdaRollout, ILambdaDeploymentConfig> = {
  'all-at-once': LambdaDeploymentConfig.ALL_AT_ONCE,
  linear: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  canary: LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
};

/**
 * The retry budget of a scheduled run, in one place. EventBridge: an invocation it could not make (throttled,
 * permission lost) is retried twice within an hour, then goes to the async failures queue. Lambda: a run that threw
 * or timed out is retried twice (after about 1 and 2 minutes), and an event still waiting after an hour (throttled,
 * concurrency at its ceiling) is dropped from the retry queue; either way its invocation record goes to the async
 * failures queue. An hour is four reconcile periods: a later run has long since done the work of a dropped one, and
 * the reconcile heartbeat alarm has already fired.
 */
export const SCHEDULED_RUN_RETRIES = {
  eventBridge: { retryAttempts: 2, maxEventAge: Duration.hours(1) },
  lambda: { retryAttempts: 2, maxEventAge: Duration.hours(1) },
} as const;

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
  /** The error rate of the version the alias is moving to: the only alarm that rolls a rollout back. */
  readonly rollbackAlarm: Alarm;
  readonly functionName: string;
  /** The identity provider this function checks customer tokens against (`verifiesCustomerTokens`), if any. */
  private customerAuthConfig: CustomerAuthConfig | undefined;
  private readonly asyncFailures: PaymentFunctionProps['asyncFailures'];
  /** Set by the first `runsOnSchedule`: bounded retries and the on-failure destination of the `live` alias. */
  private asyncInvokeConfigured = false;

  constructor(scope: Construct, id: string, props: PaymentFunctionProps) {
    super(scope, id);
    this.functionName = `temba-payments-${props.stage}-${props.name}`;
    this.asyncFailures = props.asyncFailures;

    // Unnamed on purpose: a retained log group would block redeploying a torn-down stack under the same name.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logKey,
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

    this.alias = new Alias(this, 'Live', { aliasName: 'live', version: this.fn.currentVersion });

    const notify = new SnsAction(props.alarms.notify);
    // Errors of the alias, minute by minute, whichever version served them: worth a look, never a rollback (the
    // old version's faults and the world's are not the new code's).
    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmName: `${this.functionName}-errors`,
      alarmDescription: `${props.name} (alias live) threw or timed out`,
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
    this.rollbackAlarm = this.newVersionErrorRateAlarm(props.alarms.newVersionErrorRate);
    for (const alarm of [this.errorsAlarm, this.throttlesAlarm, this.rollbackAlarm]) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    this.deploymentGroup = new LambdaDeploymentGroup(this, 'Deployment', {
      application: props.deploymentApplication,
      alias: this.alias,
      deploymentConfig: ROLLOUT[props.rollout],
      // Only the new version's own error rate: a PayDunya outage (success rate) or the previous version's errors
      // must not undo a good deployment. docs/runbook.md says which alarm stops a rollout and why.
      alarms: [this.rollbackAlarm],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
  }

  /**
   * Errors / invocations of the version `live` points at in this synthesis (Lambda's `ExecutedVersion` dimension
   * under the alias), in percent, once it served `minEvents` requests in the window; under that it reads 0 and
   * the alarm stays OK. The alarm is updated to the new version before CloudFormation hands the alias to
   * CodeDeploy, so during a canary it watches exactly the 10 % the new code serves.
   */
  private newVersionErrorRateAlarm(rate: NewVersionErrorRate): Alarm {
    const period = Duration.minutes(rate.periodMinutes);
    const dimensionsMap = {
      FunctionName: this.fn.functionName,
      Resource: `${this.fn.functionName}:${this.alias.aliasName}`,
      ExecutedVersion: this.fn.currentVersion.version,
    };
    const metric = (metricName: string) =>
      new Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap, period, statistic: Stats.SUM });
    const alarm = new Alarm(this, 'NewVersionErrorRateAlarm', {
      alarmName: `${this.functionName}-new-version-error-rate`,
      alarmDescription:
        `Over ${rate.abovePercent} % of the requests served by the version being rolled out failed (at least ` +
        `${rate.minEvents} requests in ${rate.periodMinutes} min): rolls the CodeDeploy rollout back`,
      metric: new MathExpression({
        label: 'New version error rate (%)',
        period,
        expression: `IF(FILL(n,0) >= ${rate.minEvents}, 100*FILL(e,0)/FILL(n,0), 0)`,
        usingMetrics: { e: metric('Errors'), n: metric('Invocations') },
      }),
      threshold: rate.abovePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alias.node.addDependency(alarm);
    return alarm;
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

  /**
   * The secret's ARN in `name` + GetSecretValue on that secret only. The code reads it through the AWS Parameters
   * and Secrets Lambda Extension (its layer and settings added with the first secret; it calls GetSecretValue with
   * the function's role, so the grant below is all it gets).
   */
  readsSecret(name: typeof ENV.paydunyaSecretArn | typeof ENV.signingSecretArn, secret: ISecret): this {
    if (!this.node.tryFindChild('ParamsAndSecretsExtension')) addParamsAndSecretsExtension(this, this.fn);
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

  /**
   * The AppConfig ids + a configuration session on that profile only. The code reads the flags through the AWS
   * AppConfig Agent Lambda extension (its arm64 layer for the stack's region, lambda-extensions.ts), which starts
   * the session and polls with the function's role.
   */
  readsFlags(flags: FlagsSource): this {
    return this.readsAppConfigProfile(
      flags,
      ENV.appConfigProfile,
      flags.profileId,
      'ReadFlags',
      flags.configurationArn,
    );
  }

  /** The fraud screening rules (create-payment only), through the same AppConfig extension as the flags. */
  readsFraudRules(flags: FraudRulesSource): this {
    return this.readsAppConfigProfile(
      flags,
      ENV.appConfigFraudRulesProfile,
      flags.fraudRulesProfileId,
      'ReadFraudRules',
      flags.fraudRulesConfigurationArn,
    );
  }

  /** One AppConfig profile through the extension: its ids in the environment, a session on it alone. */
  private readsAppConfigProfile(
    where: { readonly applicationId: string; readonly environmentId: string },
    profileVariable: string,
    profileId: string,
    sid: string,
    configurationArn: string,
  ): this {
    addAppConfigExtension(this, this.fn);
    this.fn.addEnvironment(ENV.appConfigApplication, where.applicationId);
    this.fn.addEnvironment(ENV.appConfigEnvironment, where.environmentId);
    this.fn.addEnvironment(profileVariable, profileId);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid,
        actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        resources: [configurationArn],
      }),
    );
    return this;
  }

  /**
   * Invokes the `live` alias on a schedule (reconcile, daily report, restore drill) with `input` as the event
   * (without one, the handler receives EventBridge's "Scheduled Event"); returns the rule.
   *
   * Nothing fails silently (SCHEDULED_RUN_RETRIES): EventBridge retries an invocation it could not make, then
   * records it in the async failures queue (the target's dead-letter queue); once Lambda accepted the event, a run
   * that throws or times out is retried by Lambda, then its invocation record goes to the same queue (the alias's
   * on-failure destination). The queue's alarm tells the on-call.
   */
  runsOnSchedule(id: string, schedule: Schedule, description: string, input?: object): Rule {
    const failures = this.asyncFailures;
    if (failures) this.recordsAsyncFailuresIn(failures);
    return new Rule(this, id, {
      schedule,
      description,
      targets: [
        new LambdaFunctionTarget(this.alias, {
          retryAttempts: SCHEDULED_RUN_RETRIES.eventBridge.retryAttempts,
          maxEventAge: SCHEDULED_RUN_RETRIES.eventBridge.maxEventAge,
          ...(failures ? { deadLetterQueue: failures.queue } : {}),
          ...(input ? { event: RuleTargetInput.fromObject(input) } : {}),
        }),
      ],
    });
  }

  /** The `live` alias's asynchronous invocations: bounded retries, then a record in the failures queue. */
  private recordsAsyncFailuresIn(failures: AsyncFailureQueue): void {
    if (this.asyncInvokeConfigured) return;
    this.asyncInvokeConfigured = true;
    this.role.addManagedPolicy(failures.senderPolicy);
    // The grant is the sender policy above: this destination only names the queue (SqsDestination would grant the
    // queue key's wildcard actions).
    const onFailure: IDestination = {
      bind: () => ({ destination: failures.queue.queueArn }),
    };
    this.alias.configureAsyncInvoke({
      retryAttempts: SCHEDULED_RUN_RETRIES.lambda.retryAttempts,
      maxEventAge: SCHEDULED_RUN_RETRIES.lambda.maxEventAge,
      onFailure,
    });
  }
}
