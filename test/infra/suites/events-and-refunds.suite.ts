import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/shared/contract/env';
import { EVENTS } from '../../../lambdas/shared/contract/events';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../../lambdas/shared/contract/metrics';
import { ROUTES } from '../../../lambdas/shared/contract/routes';
import { TABLE } from '../../../lambdas/shared/contract/table';
import { THRESHOLDS } from '../../../lambdas/shared/contract/thresholds';
import {
  idempotencyKey,
  limitShardKey,
  orderKey,
  refundCapKey,
  reportKey,
} from '../../../lambdas/shared/store/keys';
import type { StageName } from '../../../lib/config';
import { STAGE_CONFIGS } from '../../../lib/config/stages';
import { WAF_RULES } from '../../../lib/constructs/api-firewall';
import { ORDER_KEY_PREFIX, PUBLISHER_MAPPING } from '../../../lib/constructs/payment-events';
import { OPERATOR_ROUTES, PUBLIC_ROUTES } from '../../../lib/stacks/application-stack';
import type { SynthesizedStage } from '../support/synth-stage';
import {
  inTemplate,
  logicalIdOf,
  onlyResource,
  resourcesOf,
  type Statement,
  statementsOfRole,
} from '../support/template';
import { normalise } from './application-stack.suite';

/** The DynamoDB stream record fields the mapping's filter reads. */
interface StreamRecord {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly dynamodb: { readonly Keys: Record<string, { readonly S: string }> };
}

/**
 * Lambda's event filtering for the shapes this mapping uses (a list of values, or `{ prefix }`), applied to a stream
 * record: what reaches the publisher.
 */
const passesFilter = (pattern: unknown, value: unknown): boolean => {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) =>
      typeof rule === 'object' && rule !== null && 'prefix' in rule
        ? typeof value === 'string' && value.startsWith(String((rule as { prefix: string }).prefix))
        : rule === value,
    );
  }
  if (typeof pattern === 'object' && pattern !== null) {
    return Object.entries(pattern).every(([key, inner]) =>
      passesFilter(inner, (value as Record<string, unknown> | undefined)?.[key]),
    );
  }
  return false;
};

/**
 * Issue 12 on one stage's stacks: the payment events outbox (stream, bus, archive, publisher, its mapping and
 * dead-letter queue), the service routes (fulfilment, refunds, lookup by reference) and the disbursement callback,
 * the new alarms and the dashboard rows.
 */
export const eventsAndRefundsSuite = (stage: StageName, get: () => SynthesizedStage): void => {
  const config = () => get().config;
  const app = () => get().stacks.application;
  const data = () => get().stacks.data;
  const template = () => get().application;
  const publisher = () => app().eventPublisher;
  const topicRef = (severity: 'critical' | 'warning') => ({ Ref: logicalIdOf(app().alerts[severity]) });
  const mapping = () => onlyResource(template(), 'AWS::Lambda::EventSourceMapping');

  describe('event bus and archive', () => {
    it(`is the custom bus ${EVENTS.busNameFor(stage)}`, () => {
      const bus = onlyResource(template(), 'AWS::Events::EventBus');
      expect(bus.Properties.Name).toBe(EVENTS.busNameFor(stage));
      expect(bus.logicalId).toBe(logicalIdOf(app().events.bus));
    });

    const days = { dev: 7, staging: 90, prod: 365 }[stage];
    it(`archives every event of source ${EVENTS.source} for ${days} days, for replay`, () => {
      expect(config().events.archiveRetentionDays).toBe(days);
      const archive = onlyResource(template(), 'AWS::Events::Archive');
      expect(archive.Properties).toMatchObject({
        SourceArn: { 'Fn::GetAtt': [logicalIdOf(app().events.bus), 'Arn'] },
        EventPattern: { source: [EVENTS.source] },
        RetentionDays: days,
      });
    });

    it('is named in the stack outputs, for ticketing to subscribe', () => {
      const outputs = template().toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(outputs.EventBusName?.Value).toEqual({ Ref: logicalIdOf(app().events.bus) });
    });
  });

  describe('event publisher', () => {
    const functionResource = () =>
      onlyResource(template(), 'AWS::Lambda::Function', (p) => p.FunctionName === publisher().functionName);

    it('is its own function (Node.js 24, arm64, configured memory and timeout, X-Ray, its own log group)', () => {
      const settings = config().functions.eventPublisher;
      expect(functionResource().Properties).toMatchObject({
        FunctionName: `temba-payments-${stage}-event-publisher`,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: settings.memoryMb,
        Timeout: settings.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: logicalIdOf(publisher().logGroup) } },
      });
      expect(functionResource().Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    it('gets the bus name and nothing of the table, secrets or keys', () => {
      const variables = (functionResource().Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(variables).toEqual({
        [ENV.stage]: stage,
        [ENV.eventBusName]: { Ref: logicalIdOf(app().events.bus) },
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('IAM: PutEvents on its bus only (source temba.payments), reads the stream and decrypts it (through DynamoDB), sends failed batches to its DLQ; nothing else', () => {
      const region = STAGE_CONFIGS[stage].env.region;
      const allow = (Action: string[], Resource: unknown, Condition?: unknown) => ({
        Effect: 'Allow',
        Action: [...Action].sort(),
        Resource: inTemplate(app(), Resource),
        ...(Condition ? { Condition } : {}),
      });
      const events = app().events;
      expect(normalise(app(), statementsOfRole(template(), logicalIdOf(publisher().role)))).toEqual({
        WriteOwnLogs: allow(['logs:CreateLogStream', 'logs:PutLogEvents'], publisher().logGroup.logGroupArn),
        XRay: {
          Effect: 'Allow',
          Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
          Resource: '*',
        },
        PublishEvents: allow(['events:PutEvents'], events.bus.eventBusArn, {
          StringEquals: { 'events:source': EVENTS.source },
        }),
        ReadStream: allow(
          [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ],
          data().tableStreamArn,
        ),
        StreamKey: allow(['kms:Decrypt'], data().tableKey.keyArn, {
          StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` },
        }),
        SendFailures: allow(['sqs:SendMessage'], events.deadLetterQueue.queueArn),
        FailuresKey: allow(['kms:Decrypt', 'kms:GenerateDataKey'], events.deadLetterKey.keyArn, {
          StringEquals: { 'kms:ViaService': `sqs.${region}.amazonaws.com` },
        }),
      });
    });

    it('is the only principal that may put events, and only on the stage bus', () => {
      const putters = Object.entries(resourcesOf(template(), 'AWS::IAM::Policy')).filter(([, policy]) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes('events:PutEvents'),
      );
      expect(putters.map(([, policy]) => policy.Properties.Roles)).toEqual([
        [{ Ref: logicalIdOf(publisher().role) }],
      ]);
      const [, policy] = putters[0] ?? [];
      if (!policy) throw new Error('no policy puts events');
      const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      const put = statements.filter((statement) => [statement.Action].flat().includes('events:PutEvents'));
      expect(put.map((statement) => statement.Resource)).toEqual([
        { 'Fn::GetAtt': [logicalIdOf(app().events.bus), 'Arn'] },
      ]);
    });

    it('is published as alias "live", moved by CodeDeploy, with error and throttle alarms to the warning topic', () => {
      const alias = onlyResource(
        template(),
        'AWS::Lambda::Alias',
        (p) => JSON.stringify(p.FunctionName) === JSON.stringify({ Ref: logicalIdOf(publisher().fn) }),
      );
      expect(alias.Properties.Name).toBe('live');
      expect(
        resourcesOf(template(), 'AWS::CodeDeploy::DeploymentGroup')[logicalIdOf(publisher().deploymentGroup)]
          ?.Properties,
      ).toMatchObject({
        AlarmConfiguration: {
          Enabled: true,
          Alarms: [{ Name: { Ref: logicalIdOf(publisher().rollbackAlarm) } }],
        },
      });
      for (const suffix of ['errors', 'throttles']) {
        const alarm = onlyResource(
          template(),
          'AWS::CloudWatch::Alarm',
          (p) => p.AlarmName === `temba-payments-${stage}-event-publisher-${suffix}`,
        );
        expect(alarm.Properties.AlarmActions).toEqual([topicRef('warning')]);
      }
    });
  });

  describe('stream mapping', () => {
    it('reads the table stream from the oldest record kept (TRIM_HORIZON) and invokes the live alias, never $LATEST', () => {
      expect(mapping().Properties.EventSourceArn).toEqual(inTemplate(app(), data().tableStreamArn));
      expect(JSON.stringify(mapping().Properties.EventSourceArn)).toContain(`TembaPayments-${stage}-Data`);
      expect(mapping().Properties.StartingPosition).toBe('TRIM_HORIZON');
      expect(JSON.stringify(mapping().Properties.FunctionName)).toContain(logicalIdOf(publisher().alias));
      expect(JSON.stringify(mapping().Properties.FunctionName)).toContain(':live');
    });

    it('batches 100 records or 1 s, reports partial batch failures, bisects a failing batch, retries 10 times, then dead-letters', () => {
      expect(mapping().Properties).toMatchObject({
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(app().events.deadLetterQueue), 'Arn'] } },
        },
      });
      expect(PUBLISHER_MAPPING.retryAttempts).toBeGreaterThan(0);
    });

    it('lets only inserts and changes of order items reach the publisher', () => {
      const filters = (mapping().Properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
      expect(filters).toHaveLength(1);
      const pattern = JSON.parse(filters[0]?.Pattern ?? '{}') as unknown;
      expect(pattern).toEqual({
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { Keys: { [TABLE.partitionKey.name]: { S: [{ prefix: 'ORDER#' }] } } },
      });
      const change = (eventName: StreamRecord['eventName'], pk: string): StreamRecord => ({
        eventName,
        dynamodb: { Keys: { pk: { S: pk }, sk: { S: 'X' } } },
      });
      const order = orderKey('01JTESTORDER').pk;
      expect(passesFilter(pattern, change('INSERT', order))).toBe(true);
      expect(passesFilter(pattern, change('MODIFY', order))).toBe(true);
      expect(passesFilter(pattern, change('REMOVE', order))).toBe(false);
      for (const other of [
        idempotencyKey('abc').pk,
        limitShardKey('2026-01-01', 3).pk,
        reportKey('2026-01-01').pk,
        refundCapKey('2026-01-01').pk,
        'ALERT#prod#x#y',
        'DRILL',
      ])
        expect(passesFilter(pattern, change('MODIFY', other)), other).toBe(false);
    });

    it('filters on the order key prefix the store writes (lambdas/shared/store/keys.ts)', () => {
      expect(orderKey('x').pk.startsWith(ORDER_KEY_PREFIX)).toBe(true);
      expect(ORDER_KEY_PREFIX).toBe('ORDER#');
    });

    it('is created after the publisher may read the stream (depends on its role policy)', () => {
      const policy = publisher().role.node.findChild('DefaultPolicy').node.defaultChild;
      if (!policy) throw new Error('no default policy');
      expect(
        (template().toJSON().Resources as Record<string, { DependsOn?: string[] }>)[mapping().logicalId]
          ?.DependsOn,
      ).toContain(logicalIdOf(policy));
    });
  });

  describe('dead-letter queue', () => {
    const queue = () =>
      onlyResource(
        template(),
        'AWS::SQS::Queue',
        (queue) => queue.QueueName === `temba-payments-${stage}-event-publisher-dlq`,
      );

    it('is encrypted with its own customer-managed key (rotated), keeps messages 14 days and refuses non-TLS requests', () => {
      expect(queue().Properties).toMatchObject({
        QueueName: `temba-payments-${stage}-event-publisher-dlq`,
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(app().events.deadLetterKey), 'Arn'] },
        MessageRetentionPeriod: 14 * 24 * 60 * 60,
      });
      const key = resourcesOf(template(), 'AWS::KMS::Key')[logicalIdOf(app().events.deadLetterKey)];
      expect(key?.Properties.EnableKeyRotation).toBe(true);
      template().hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue().logicalId }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        },
      });
    });

    it('acknowledges cdk-nag SQS3 and Serverless-SQSRedrivePolicy on the queue itself: it is a dead-letter queue, of a stream mapping', () => {
      const acknowledged = app()
        .events.deadLetterQueue.node.metadata.filter(
          (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
        )
        .flatMap((entry) => Object.keys(entry.data as Record<string, string>));
      expect(acknowledged.map((id) => id.replace(/^Annotation::/, ''))).toEqual([
        'AwsSolutions-SQS3',
        'Serverless-SQSRedrivePolicy',
      ]);
    });
  });

  describe('alarms', () => {
    const alarm = (name: string) =>
      onlyResource(
        template(),
        'AWS::CloudWatch::Alarm',
        (p) => p.AlarmName === `temba-payments-${stage}-${name}`,
      );
    const every = () => config().schedules.reconcileEveryMinutes;

    it('event-publish-lag (critical): the oldest unpublished change is 60 s old (IteratorAge maximum, per minute)', () => {
      expect(config().alarms.eventPublishLag.thresholdSeconds).toBe(THRESHOLDS.events.maxPublishLagSeconds);
      expect(alarm('event-publish-lag').Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(publisher().fn) } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: THRESHOLDS.events.maxPublishLagSeconds * 1000,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef('critical')],
        OKActions: [topicRef('critical')],
      });
    });

    it('event-dlq-not-empty (critical): any message in the dead-letter queue', () => {
      expect(alarm('event-dlq-not-empty').Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalIdOf(app().events.deadLetterQueue), 'QueueName'] },
          },
        ],
        Statistic: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef('critical')],
      });
    });

    it.each([
      {
        name: 'event-publish-failed',
        metric: METRICS.eventPublishFailed,
        severity: 'warning',
        period: () => 300,
      },
      { name: 'refund-failed', metric: METRICS.refundFailed, severity: 'critical', period: () => 300 },
      { name: 'refund-stuck', metric: METRICS.refundStuck, severity: 'critical', period: () => every() * 60 },
      {
        name: 'disbursement-balance-low',
        metric: METRICS.disbursementBalanceLow,
        severity: 'critical',
        period: () => 300,
      },
      { name: 'refund-manual', metric: METRICS.refundManual, severity: 'warning', period: () => 300 },
      {
        name: 'fulfilment-overdue',
        metric: METRICS.fulfilmentOverdue,
        severity: 'warning',
        period: () => every() * 60,
      },
    ] as const)(
      '$name ($severity) fires on one $metric, read as the code emits it (namespace, service dimension)',
      (row) => {
        expect(alarm(row.name).Properties).toMatchObject({
          Namespace: METRIC_NAMESPACE,
          MetricName: row.metric,
          Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
          Statistic: 'Sum',
          Period: row.period(),
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
          AlarmActions: [topicRef(row.severity)],
          OKActions: [topicRef(row.severity)],
        });
      },
    );

    it('takes its thresholds from the stage config', () => {
      const t = config().alarms;
      expect([
        t.eventPublishFailed,
        t.refundFailed,
        t.refundStuck,
        t.disbursementBalanceLow,
        t.refundManual,
        t.fulfilmentOverdue,
      ]).toEqual(Array(6).fill({ threshold: 1 }));
    });

    it('leaves the AppConfig monitors to the five payment alarms', () => {
      const monitors = JSON.stringify(
        onlyResource(template(), 'AWS::AppConfig::Environment').Properties.Monitors,
      );
      for (const created of [
        ...app().events.criticalAlarms,
        ...app().events.warningAlarms,
        ...app().fulfilmentOperations.criticalAlarms,
        ...app().fulfilmentOperations.warningAlarms,
      ])
        expect(monitors).not.toContain(logicalIdOf(created));
    });
  });

  describe('dashboard', () => {
    const body = () =>
      JSON.stringify(onlyResource(template(), 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);

    it('charts event delivery: published against refused, delivery lag, iterator age, dead letters', () => {
      for (const text of [
        'Payment events',
        'Event delivery rate',
        'Event delivery lag',
        METRICS.eventPublished,
        METRICS.eventPublishFailed,
        METRICS.eventDeliveryLag,
        'IteratorAge',
        'ApproximateNumberOfMessagesVisible',
      ])
        expect(body()).toContain(text);
    });

    it('charts acknowledgements by outcome against completed payments, and the acknowledgement rate', () => {
      expect(body()).toContain('Acknowledgement rate');
      expect(body()).toContain(METRICS.fulfilmentAcknowledged);
      expect(body()).toContain(METRICS.paymentCompleted);
      for (const outcome of ['delivered', 'failed'])
        expect(body()).toMatch(new RegExp(`outcome\\\\+",\\\\+"${outcome}`));
    });

    it('charts refunds: requested, succeeded, failed, manual, stuck', () => {
      for (const metric of [
        METRICS.refundRequested,
        METRICS.refundSucceeded,
        METRICS.refundFailed,
        METRICS.refundManual,
        METRICS.refundStuck,
      ])
        expect(body()).toContain(metric);
    });
  });

  describe('service routes and the disbursement callback', () => {
    type MethodJson = { logicalId: string; Properties: Record<string, unknown> };
    const methods = (): MethodJson[] =>
      Object.entries(resourcesOf(template(), 'AWS::ApiGateway::Method')).map(([logicalId, resource]) => ({
        logicalId,
        Properties: resource.Properties,
      }));
    const methodOf = (name: keyof typeof ROUTES): MethodJson => {
      const { method, path } = ROUTES[name];
      const resource = app().api.api.root.resourceForPath(path);
      const found = methods().filter(
        (candidate) =>
          candidate.Properties.HttpMethod === method &&
          JSON.stringify(candidate.Properties.ResourceId) === JSON.stringify({ Ref: logicalIdOf(resource) }),
      );
      if (found.length !== 1) throw new Error(`expected one ${method} ${path}, found ${found.length}`);
      return found[0] as MethodJson;
    };

    it.each(['recordFulfilment', 'requestRefund', 'findByReference'] as const)(
      '%s is IAM-authorised (SigV4) and served by the admin function',
      (name) => {
        const method = methodOf(name);
        expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
        expect(JSON.stringify(method.Properties.Integration)).toContain(
          JSON.stringify({ Ref: logicalIdOf(app().admin.alias) }),
        );
        expect(OPERATOR_ROUTES).toContain(name);
      },
    );

    it('the disbursement callback is public (no authorizer, a stated reason) and served by the webhook function', () => {
      const method = methodOf('disbursementWebhook');
      expect(method.Properties.AuthorizationType).toBe('NONE');
      expect(JSON.stringify(method.Properties.Integration)).toContain(
        JSON.stringify({ Ref: logicalIdOf(app().functions.paydunyaWebhook.alias) }),
      );
      const construct = app()
        .api.api.root.resourceForPath(ROUTES.disbursementWebhook.path)
        .node.findChild('POST');
      const reasons = construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.values(entry.data as Record<string, string>));
      expect(reasons.join(' ')).toContain('check-status');
    });

    it('no public route accepts a refund or a fulfilment: every unauthenticated method is a listed public route or a CORS preflight', () => {
      const publicMethods = PUBLIC_ROUTES.map((name) => methodOf(name).logicalId);
      for (const method of methods()) {
        if (method.Properties.AuthorizationType !== 'NONE') continue;
        if (method.Properties.HttpMethod === 'OPTIONS') continue;
        expect(publicMethods).toContain(method.logicalId);
      }
      for (const name of PUBLIC_ROUTES)
        expect(ROUTES[name].path).not.toMatch(/refund|fulfilment|reservations/);
      // Nothing under the refund or fulfilment paths answers without SigV4, not even a preflight.
      for (const name of ['requestRefund', 'recordFulfilment', 'findByReference'] as const) {
        const resource = { Ref: logicalIdOf(app().api.api.root.resourceForPath(ROUTES[name].path)) };
        const onResource = methods().filter(
          (method) => JSON.stringify(method.Properties.ResourceId) === JSON.stringify(resource),
        );
        expect(onResource.map((method) => method.Properties.AuthorizationType)).toEqual(['AWS_IAM']);
      }
    });

    it('WAF: the per-IP checkout rule does not count the service routes; the global rule skips both PayDunya callbacks', () => {
      const rules = onlyResource(template(), 'AWS::WAFv2::WebACL').Properties.Rules as {
        Name: string;
        Statement: Record<string, unknown>;
      }[];
      /** Every RegexString anywhere under a rule's statement. */
      const regexStrings = (value: unknown): string[] => {
        if (Array.isArray(value)) return value.flatMap(regexStrings);
        if (value && typeof value === 'object')
          return Object.entries(value).flatMap(([key, inner]) =>
            key === 'RegexString' && typeof inner === 'string' ? [inner] : regexStrings(inner),
          );
        return [];
      };
      const paymentsRule = rules.find((rule) => rule.Name === WAF_RULES.paymentsRate);
      const patterns = regexStrings(paymentsRule);
      expect(patterns).toHaveLength(1);
      const regex = new RegExp(patterns[0] ?? '');
      // The rule's scope-down: POST, and a path ending in /payments (with or without the stage prefix).
      expect(JSON.stringify(paymentsRule)).toContain('"SearchString":"POST"');
      const counted = (route: { method: string; path: string }) =>
        route.method === 'POST' &&
        regex.test(`/v1${route.path.replace(/\{\w+\}/g, '01jtest')}`.toLowerCase());
      expect(counted(ROUTES.createPayment)).toBe(true);
      for (const name of ['recordFulfilment', 'requestRefund', 'findByReference'] as const)
        expect(counted(ROUTES[name]), name).toBe(false);
      const global = JSON.stringify(rules.find((rule) => rule.Name === WAF_RULES.globalRate));
      for (const route of [ROUTES.paydunyaWebhook, ROUTES.disbursementWebhook])
        expect(global).toContain(`"SearchString":"${route.path}"`);
    });

    if (stage !== 'dev') {
      it('lets ticketing acknowledge and look up every payment of the peak from one address under the global per-IP rule', () => {
        const { limit, windowSeconds } = config().waf.globalRateLimit;
        // One acknowledgement and one lookup by reference per checkout, at prod's peak.
        expect(limit / windowSeconds).toBeGreaterThanOrEqual(
          2 * STAGE_CONFIGS.prod.capacity.peakCheckoutsPerSecond,
        );
      });
    }

    it('the webhook function, which serves both callbacks, keeps its PayDunya mode', () => {
      const variables = (
        onlyResource(
          template(),
          'AWS::Lambda::Function',
          (p) => p.FunctionName === app().functions.disbursementWebhook.functionName,
        ).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(variables[ENV.paydunyaMode]).toBe(config().paydunya.mode);
      expect(app().functions.disbursementWebhook).toBe(app().functions.paydunyaWebhook);
    });

    it('has each function once in the stack list, although the webhook serves two routes', () => {
      const names = app().allFunctions.map((fn) => fn.functionName);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain(publisher().functionName);
    });
  });
};
