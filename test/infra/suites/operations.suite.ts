import { Validations } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { scheduleInputSchema } from '../../../lambdas/reconcile/reconcile.handler';
import { ENV } from '../../../lambdas/shared/contract/env';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../../lambdas/shared/contract/metrics';
import { ROUTES } from '../../../lambdas/shared/contract/routes';
import { TABLE } from '../../../lambdas/shared/contract/table';
import { THRESHOLDS } from '../../../lambdas/shared/contract/thresholds';
import type { StageName } from '../../../lib/config';
import { STAGE_CONFIGS } from '../../../lib/config/stages';
import {
  APPCONFIG_EXTENSION_VARIABLES,
  SECRETS_EXTENSION_VARIABLES,
} from '../../../lib/constructs/lambda-extensions';
import type { PaymentFunction } from '../../../lib/constructs/payment-function';
import { OPERATOR_ROUTES } from '../../../lib/stacks/application-stack';
import type { SynthesizedStage } from '../support/synth-stage';
import { inTemplate, logicalIdOf, onlyResource, resourcesOf, statementsOfRole } from '../support/template';
import { normalise } from './application-stack.suite';

type OperationsFunction = 'reconcile' | 'admin';
const OPERATIONS_FUNCTIONS = ['reconcile', 'admin'] as const satisfies readonly OperationsFunction[];

/**
 * Issue 4 on one stage's application stack: the reconcile function and its two schedules, the admin function
 * behind the IAM-authorised operator routes, reconcile's alarms, CORS origins and per-customer limits.
 */
export const operationsSuite = (stage: StageName, get: () => SynthesizedStage): void => {
  const config = () => get().config;
  const app = () => get().stacks.application;
  const data = () => get().stacks.data;
  const template = () => get().application;
  const fn = (name: OperationsFunction): PaymentFunction => app()[name];
  const functionResource = (target: PaymentFunction) =>
    onlyResource(template(), 'AWS::Lambda::Function', (p) => p.FunctionName === target.functionName);
  const variablesOf = (target: PaymentFunction) =>
    (functionResource(target).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  const aliasRef = (target: PaymentFunction) => ({ Ref: logicalIdOf(target.alias) });
  const topicRef = (severity: 'critical' | 'warning') => ({ Ref: logicalIdOf(app().alerts[severity]) });
  const every = () => config().schedules.reconcileEveryMinutes;

  describe('reconcile and admin functions', () => {
    it.each(OPERATIONS_FUNCTIONS)(
      '%s runs on Node.js 24, arm64, with its configured memory, timeout, tracing and own log group',
      (name) => {
        const settings = config().functions[name];
        expect(functionResource(fn(name)).Properties).toMatchObject({
          FunctionName: `temba-payments-${stage}-${name}`,
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: settings.memoryMb,
          Timeout: settings.timeoutSeconds,
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: logicalIdOf(fn(name).logGroup) } },
        });
        const logGroup = resourcesOf(template(), 'AWS::Logs::LogGroup')[logicalIdOf(fn(name).logGroup)];
        expect(logGroup?.Properties.RetentionInDays).toBe(config().logRetentionDays);
      },
    );

    const expectedConfig = {
      dev: 'CodeDeployDefault.LambdaAllAtOnce',
      staging: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      prod: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    }[stage];
    it.each(OPERATIONS_FUNCTIONS)(
      `%s is published as alias "live", moved by CodeDeploy (${expectedConfig}), rolled back on its error alarm and the success-rate critical alarm`,
      (name) => {
        const alias = onlyResource(
          template(),
          'AWS::Lambda::Alias',
          (p) => JSON.stringify(p.FunctionName) === JSON.stringify({ Ref: logicalIdOf(fn(name).fn) }),
        );
        expect(alias.Properties.Name).toBe('live');
        expect(alias.UpdatePolicy).toMatchObject({
          CodeDeployLambdaAliasUpdate: {
            DeploymentGroupName: { Ref: logicalIdOf(fn(name).deploymentGroup) },
          },
        });
        const group = resourcesOf(template(), 'AWS::CodeDeploy::DeploymentGroup')[
          logicalIdOf(fn(name).deploymentGroup)
        ];
        expect(group?.Properties).toMatchObject({
          DeploymentConfigName: expectedConfig,
          AlarmConfiguration: {
            Enabled: true,
            Alarms: [{ Name: { Ref: logicalIdOf(fn(name).rollbackAlarm) } }],
          },
        });
      },
    );

    it.each(OPERATIONS_FUNCTIONS)(
      '%s has error and throttle alarms on its alias that notify the warning topic',
      (name) => {
        for (const [suffix, metric] of [
          ['errors', 'Errors'],
          ['throttles', 'Throttles'],
        ] as const) {
          const alarm = onlyResource(
            template(),
            'AWS::CloudWatch::Alarm',
            (p) => p.AlarmName === `temba-payments-${stage}-${name}-${suffix}`,
          );
          expect(alarm.Properties).toMatchObject({
            MetricName: metric,
            Namespace: 'AWS/Lambda',
            TreatMissingData: 'notBreaching',
            AlarmActions: [topicRef('warning')],
            Dimensions: expect.arrayContaining([
              { Name: 'FunctionName', Value: { Ref: logicalIdOf(fn(name).fn) } },
            ]),
          });
        }
      },
    );

    const flagsVariables = () => ({
      [ENV.appConfigApplication]: { Ref: logicalIdOf(app().flags.application) },
      [ENV.appConfigEnvironment]: { Ref: logicalIdOf(app().flags.environment) },
      [ENV.appConfigProfile]: inTemplate(app(), app().flags.profileId),
    });
    const publicBaseUrl = () => inTemplate(app(), config().urls.publicBaseUrl ?? app().api.publicBaseUrl);

    it('reconcile gets the webhook context plus what resuming a refund and watching acknowledgements read: PII key, flags, PayDunya mode, callback base URL, acknowledgement window', () => {
      expect(variablesOf(fn('reconcile'))).toEqual({
        [ENV.stage]: stage,
        [ENV.tableName]: inTemplate(app(), data().table.tableName),
        [ENV.piiKeyArn]: inTemplate(app(), data().piiKey.keyArn),
        [ENV.paydunyaSecretArn]: inTemplate(app(), data().paydunyaSecret.secretArn),
        [ENV.signingSecretArn]: inTemplate(app(), data().signingSecret.secretArn),
        [ENV.criticalTopicArn]: topicRef('critical'),
        [ENV.warningTopicArn]: topicRef('warning'),
        ...flagsVariables(),
        ...SECRETS_EXTENSION_VARIABLES,
        ...APPCONFIG_EXTENSION_VARIABLES,
        [ENV.paydunyaMode]: config().paydunya.mode,
        [ENV.paydunyaTimeoutMs]: String(config().paydunya.timeoutMs),
        [ENV.publicBaseUrl]: publicBaseUrl(),
        [ENV.checkoutWindowMinutes]: String(THRESHOLDS.checkout.windowMinutes),
        [ENV.fulfilmentAckMinutes]: String(config().fulfilment.ackMinutes),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(config().fulfilment.ackMinutes).toBe(THRESHOLDS.fulfilment.ackMinutes);
    });

    it('admin gets the table, PII key, both secrets, both topics, flags and PayDunya settings (a refund disburses inline): no CORS origins, no checkout URLs', () => {
      expect(variablesOf(fn('admin'))).toEqual({
        [ENV.stage]: stage,
        [ENV.tableName]: inTemplate(app(), data().table.tableName),
        [ENV.piiKeyArn]: inTemplate(app(), data().piiKey.keyArn),
        [ENV.paydunyaSecretArn]: inTemplate(app(), data().paydunyaSecret.secretArn),
        [ENV.signingSecretArn]: inTemplate(app(), data().signingSecret.secretArn),
        [ENV.criticalTopicArn]: topicRef('critical'),
        [ENV.warningTopicArn]: topicRef('warning'),
        ...flagsVariables(),
        ...SECRETS_EXTENSION_VARIABLES,
        ...APPCONFIG_EXTENSION_VARIABLES,
        [ENV.paydunyaMode]: config().paydunya.mode,
        [ENV.paydunyaTimeoutMs]: String(config().paydunya.timeoutMs),
        [ENV.publicBaseUrl]: publicBaseUrl(),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('admin has time for an inline disbursement: get-invoice and submit, under API Gateway 29 s', () => {
      const timeoutSeconds = config().functions.admin.timeoutSeconds;
      expect(timeoutSeconds * 1000).toBeGreaterThanOrEqual(2 * config().paydunya.timeoutMs + 2_000);
      expect(timeoutSeconds).toBeLessThanOrEqual(28);
    });
  });

  describe('IAM: exactly the actions each operations function uses', () => {
    const statementsOf = (name: OperationsFunction) =>
      normalise(app(), statementsOfRole(template(), logicalIdOf(fn(name).role)));
    const allow = (Action: string[], Resource: unknown, Condition?: unknown) => ({
      Effect: 'Allow',
      Action: [...Action].sort(),
      Resource: inTemplate(app(), Resource),
      ...(Condition ? { Condition } : {}),
    });
    const region = STAGE_CONFIGS[stage].env.region;
    const viaDynamo = { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } };
    const base = (name: OperationsFunction) => ({
      WriteOwnLogs: allow(['logs:CreateLogStream', 'logs:PutLogEvents'], fn(name).logGroup.logGroupArn),
      XRay: { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
    });
    const writesTable = () => ({
      Table: allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], data().table.tableArn),
      TableKey: allow(
        ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        data().tableKey.keyArn,
        viaDynamo,
      ),
    });

    const alerts = () => ({
      PublishAlerts: allow(['sns:Publish'], [app().alerts.critical.topicArn, app().alerts.warning.topicArn]),
      AlertsKey: allow(['kms:Decrypt', 'kms:GenerateDataKey'], app().alerts.key.keyArn, {
        StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` },
      }),
    });

    const flags = () => ({
      ReadFlags: allow(
        ['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession'],
        app().flags.configurationArn,
      ),
    });
    const secrets = () => ({
      ReadPaydunyaSecretArn: allow(['secretsmanager:GetSecretValue'], data().paydunyaSecret.secretArn),
      ReadSigningSecretArn: allow(['secretsmanager:GetSecretValue'], data().signingSecret.secretArn),
    });
    // Decrypt only: the payer's phone, to pay a refund back to it; neither function encrypts customer details.
    const decryptsPii = () => ({ DecryptPii: allow(['kms:Decrypt'], data().piiKey.keyArn) });

    it('reconcile: settles orders, gives limit shares back, frees keys (delete), lists them on byStatus and builds reports on byDay only (no table query), decrypts PII (refunds), secrets, alerts, flags', () => {
      expect(statementsOf('reconcile')).toEqual({
        ...base('reconcile'),
        ...writesTable(),
        Table: allow(
          [
            'dynamodb:BatchGetItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ],
          data().table.tableArn,
        ),
        TableIndexes: allow(
          ['dynamodb:Query'],
          [
            `${data().table.tableArn}/index/${TABLE.indexes.byDay.name}`,
            `${data().table.tableArn}/index/${TABLE.indexes.byStatus.name}`,
          ],
        ),
        ...decryptsPii(),
        ...secrets(),
        ...alerts(),
        ...flags(),
      });
    });

    it('admin: reads orders, reports and refund caps (get, batch get), records reviews, acknowledgements and refunds as order writes (put, update), queries byDay and byReference only, decrypts PII, secrets, alerts, flags; nothing else', () => {
      expect(statementsOf('admin')).toEqual({
        ...base('admin'),
        ...writesTable(),
        Table: allow(
          ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          data().table.tableArn,
        ),
        TableIndexes: allow(
          ['dynamodb:Query'],
          [
            `${data().table.tableArn}/index/${TABLE.indexes.byDay.name}`,
            `${data().table.tableArn}/index/${TABLE.indexes.byReference.name}`,
          ],
        ),
        ...decryptsPii(),
        ...secrets(),
        ...alerts(),
        ...flags(),
      });
    });

    it('neither admin nor reconcile can encrypt with the PII key (no GenerateDataKey): only create-payment does', () => {
      for (const name of OPERATIONS_FUNCTIONS) {
        const onPiiKey = Object.values(statementsOf(name)).filter(
          (statement) =>
            JSON.stringify(statement.Resource) === JSON.stringify(inTemplate(app(), data().piiKey.keyArn)),
        );
        expect(onPiiKey.flatMap((statement) => statement.Action)).toEqual(['kms:Decrypt']);
      }
    });
  });

  describe('schedules', () => {
    const targetsOf = (rule: { Properties: Record<string, unknown> }) =>
      rule.Properties.Targets as { Arn: unknown; Input?: string; RetryPolicy?: unknown }[];
    // Reconcile's rules: other functions (the restore drill, in staging and prod) have schedules of their own.
    const isReconcileRule = (properties: Record<string, unknown>) =>
      JSON.stringify(properties.Targets ?? []).includes(JSON.stringify(aliasRef(fn('reconcile'))));
    const rules = () =>
      Object.values(resourcesOf(template(), 'AWS::Events::Rule')).filter((rule) =>
        isReconcileRule(rule.Properties),
      );

    it(`runs reconcile every ${STAGE_CONFIGS[stage].schedules.reconcileEveryMinutes} minutes with {"task":"reconcile"}, on the live alias`, () => {
      expect(every()).toBe(THRESHOLDS.reconcile.scheduleMinutes);
      const rule = onlyResource(template(), 'AWS::Events::Rule', (p) =>
        String(p.ScheduleExpression).startsWith('rate('),
      );
      expect(rule.Properties).toMatchObject({
        ScheduleExpression: `rate(${every()} minutes)`,
        State: 'ENABLED',
      });
      expect(targetsOf(rule)).toEqual([
        expect.objectContaining({
          Arn: aliasRef(fn('reconcile')),
          Input: JSON.stringify({ task: 'reconcile' }),
        }),
      ]);
    });

    it(`runs the daily report at ${THRESHOLDS.dailyReportCron.hour}:${THRESHOLDS.dailyReportCron.minute} UTC with {"task":"daily-report"}, on the live alias`, () => {
      const { minute, hour } = config().schedules.dailyReport;
      expect({ minute, hour }).toEqual(THRESHOLDS.dailyReportCron);
      const rule = onlyResource(
        template(),
        'AWS::Events::Rule',
        (p) => String(p.ScheduleExpression).startsWith('cron(') && isReconcileRule(p),
      );
      expect(rule.Properties.ScheduleExpression).toBe(`cron(${minute} ${hour} * * ? *)`);
      expect(targetsOf(rule)).toEqual([
        expect.objectContaining({
          Arn: aliasRef(fn('reconcile')),
          Input: JSON.stringify({ task: 'daily-report' }),
        }),
      ]);
    });

    it("sends inputs the reconcile handler's schema accepts, and only to the alias (never $LATEST)", () => {
      expect(rules()).toHaveLength(2);
      const tasks = rules().flatMap((rule) =>
        targetsOf(rule).map((target) => {
          expect(target.Arn).toEqual(aliasRef(fn('reconcile')));
          return scheduleInputSchema.parse(JSON.parse(target.Input ?? 'null')).task;
        }),
      );
      expect(tasks.sort()).toEqual(['daily-report', 'reconcile']);
    });

    it('lets EventBridge invoke the reconcile alias from those two rules only', () => {
      const permissions = Object.values(resourcesOf(template(), 'AWS::Lambda::Permission')).filter(
        (permission) =>
          permission.Properties.Principal === 'events.amazonaws.com' &&
          JSON.stringify(permission.Properties.FunctionName) === JSON.stringify(aliasRef(fn('reconcile'))),
      );
      expect(permissions.map((permission) => permission.Properties.FunctionName)).toEqual([
        aliasRef(fn('reconcile')),
        aliasRef(fn('reconcile')),
      ]);
      const ruleArns = Object.entries(resourcesOf(template(), 'AWS::Events::Rule'))
        .filter(([, rule]) => isReconcileRule(rule.Properties))
        .map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
      expect(permissions.map((permission) => permission.Properties.SourceArn)).toEqual(
        expect.arrayContaining(ruleArns),
      );
    });
  });

  describe('operator routes', () => {
    const methodOf = (name: (typeof OPERATOR_ROUTES)[number]) => {
      const { method, path } = ROUTES[name];
      const resource = app().api.api.root.resourceForPath(path);
      const construct = resource.node.tryFindChild(method);
      if (!construct) throw new Error(`no ${method} ${path}`);
      return { construct, resourceRef: { Ref: logicalIdOf(resource) }, method };
    };

    it.each(OPERATOR_ROUTES)(
      '%s is IAM-authorised (AWS_IAM), validated, and routed to the admin alias',
      (name) => {
        const { construct, resourceRef, method } = methodOf(name);
        const resource = resourcesOf(template(), 'AWS::ApiGateway::Method')[logicalIdOf(construct)];
        const pathParameters = [...ROUTES[name].path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        expect(resource?.Properties).toMatchObject({
          HttpMethod: method,
          ResourceId: resourceRef,
          AuthorizationType: 'AWS_IAM',
          RequestValidatorId: { Ref: expect.stringMatching(/^ApiValidator/) },
          RequestParameters: Object.fromEntries(
            pathParameters.map((parameter) => [`method.request.path.${parameter}`, true]),
          ),
          Integration: { Type: 'AWS_PROXY' },
        });
        expect(JSON.stringify(resource?.Properties.Integration)).toContain(
          JSON.stringify(aliasRef(fn('admin'))),
        );
      },
    );

    it.each(['adminReview', 'recordFulfilment', 'requestRefund'] as const)(
      '%s requires a JSON object body',
      (name) => {
        const { construct } = methodOf(name);
        const resource = resourcesOf(template(), 'AWS::ApiGateway::Method')[logicalIdOf(construct)];
        expect(resource?.Properties.RequestModels).toEqual({ 'application/json': expect.anything() });
      },
    );

    it('answers no CORS preflight: browsers cannot call them', () => {
      const operatorResources = OPERATOR_ROUTES.map((name) => methodOf(name).resourceRef);
      const preflights = Object.values(resourcesOf(template(), 'AWS::ApiGateway::Method')).filter(
        (resource) => resource.Properties.HttpMethod === 'OPTIONS',
      );
      for (const preflight of preflights)
        expect(operatorResources).not.toContainEqual(preflight.Properties.ResourceId);
      expect(variablesOf(fn('admin'))).not.toHaveProperty(ENV.corsAllowedOrigins);
    });

    it('need no cdk-nag "no authorizer" (APIG4) acknowledgement: only COG4, which asks for Cognito specifically', () => {
      for (const name of OPERATOR_ROUTES) {
        const acknowledged = methodOf(name)
          .construct.node.findAll()
          .flatMap((construct) =>
            construct.node.metadata
              .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
              .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
              // Stored as `Annotation::<rule id>`.
              .map((id) => id.replace(/^Annotation::/, '')),
          );
        expect(acknowledged).toEqual(['AwsSolutions-COG4']);
      }
    });

    it('lets API Gateway invoke the admin alias once per operator route, never $LATEST', () => {
      const permissions = Object.values(resourcesOf(template(), 'AWS::Lambda::Permission')).filter(
        (permission) =>
          JSON.stringify(permission.Properties.FunctionName).includes(logicalIdOf(fn('admin').fn)) ||
          JSON.stringify(permission.Properties.FunctionName) === JSON.stringify(aliasRef(fn('admin'))),
      );
      expect(permissions).toHaveLength(OPERATOR_ROUTES.length);
      for (const permission of permissions) {
        expect(permission.Properties).toMatchObject({
          FunctionName: aliasRef(fn('admin')),
          Principal: 'apigateway.amazonaws.com',
        });
      }
    });
  });

  describe('CORS origins and per-customer limits in the functions', () => {
    it('create-payment and payment-status answer browsers from the origins the preflight allows; no other function does', () => {
      const expected = config().api.corsOrigins.join(',');
      const functions = app().functions;
      expect(variablesOf(functions.createPayment)[ENV.corsAllowedOrigins]).toBe(expected);
      expect(variablesOf(functions.getPayment)[ENV.corsAllowedOrigins]).toBe(expected);
      for (const other of [functions.paydunyaWebhook, fn('reconcile'), fn('admin')])
        expect(variablesOf(other)).not.toHaveProperty(ENV.corsAllowedOrigins);
      const preflights = Object.values(resourcesOf(template(), 'AWS::ApiGateway::Method')).filter(
        (resource) => resource.Properties.HttpMethod === 'OPTIONS',
      );
      for (const preflight of preflights) {
        for (const origin of expected.split(','))
          expect(JSON.stringify(preflight.Properties)).toContain(origin);
      }
    });

    const attempts = { dev: [5, 900], staging: [200, 900], prod: [5, 900] }[stage];
    it(`create-payment allows each customer ${attempts[0]} payment attempts per ${attempts[1]} s${stage === 'prod' ? ' (go-live plan: 5 per 15 minutes)' : ''}`, () => {
      const variables = variablesOf(app().functions.createPayment);
      expect(variables[ENV.customerAttemptMax]).toBe(String(attempts[0]));
      expect(variables[ENV.customerAttemptWindowSeconds]).toBe(String(attempts[1]));
    });
  });

  describe('reconcile alarms', () => {
    const alarm = (name: string) =>
      onlyResource(
        template(),
        'AWS::CloudWatch::Alarm',
        (p) => p.AlarmName === `temba-payments-${stage}-${name}`,
      );

    it.each([
      {
        name: 'reconcile-heartbeat',
        severity: 'critical',
        metric: METRICS.reconcileRun,
        operator: 'LessThanThreshold',
        periodSeconds: () => 2 * every() * 60,
        evaluationPeriods: 1,
        missing: 'breaching',
      },
      {
        name: 'reconcile-discrepancy',
        severity: 'critical',
        metric: METRICS.reconcileDiscrepancy,
        operator: 'GreaterThanOrEqualToThreshold',
        periodSeconds: () => 300,
        evaluationPeriods: 1,
        missing: 'notBreaching',
      },
      {
        name: 'reconcile-order-errors',
        severity: 'warning',
        metric: METRICS.reconcileErrors,
        operator: 'GreaterThanOrEqualToThreshold',
        periodSeconds: () => every() * 60,
        evaluationPeriods: 2,
        missing: 'notBreaching',
      },
    ] as const)(
      '$name watches $metric ($operator 1, $evaluationPeriods period(s), missing data $missing) and notifies the $severity topic',
      (row) => {
        expect(alarm(row.name).Properties).toMatchObject({
          Namespace: METRIC_NAMESPACE,
          MetricName: row.metric,
          Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
          Statistic: 'Sum',
          Period: row.periodSeconds(),
          ComparisonOperator: row.operator,
          Threshold: 1,
          EvaluationPeriods: row.evaluationPeriods,
          DatapointsToAlarm: row.evaluationPeriods,
          TreatMissingData: row.missing,
          AlarmActions: [topicRef(row.severity)],
          OKActions: [topicRef(row.severity)],
        });
      },
    );

    it('watches reconcile function errors through its alias errors alarm (also a rollback trigger)', () => {
      expect(alarm('reconcile-errors').Properties).toMatchObject({
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Threshold: 1,
        Dimensions: expect.arrayContaining([
          { Name: 'FunctionName', Value: { Ref: logicalIdOf(fn('reconcile').fn) } },
        ]),
      });
    });

    it('has one discrepancy alarm only (critical), and none of these alarms rolls back a flags deployment', () => {
      const onDiscrepancy = Object.values(resourcesOf(template(), 'AWS::CloudWatch::Alarm')).filter(
        (resource) => resource.Properties.MetricName === METRICS.reconcileDiscrepancy,
      );
      expect(onDiscrepancy).toHaveLength(1);
      const monitors = JSON.stringify(
        onlyResource(template(), 'AWS::AppConfig::Environment').Properties.Monitors,
      );
      const operations = app().reconcileOperations;
      for (const created of [...operations.criticalAlarms, ...operations.warningAlarms])
        expect(monitors).not.toContain(logicalIdOf(created));
    });

    it('shows reconcile runs, expiries, discrepancies, errors and its alarms on the dashboard', () => {
      const body = JSON.stringify(
        onlyResource(template(), 'AWS::CloudWatch::Dashboard').Properties.DashboardBody,
      );
      expect(body).toContain('Reconcile (per');
      for (const metric of [
        METRICS.reconcileRun,
        METRICS.paymentExpired,
        METRICS.reconcileDiscrepancy,
        METRICS.reconcileErrors,
      ])
        expect(body).toContain(metric);
      const operations = app().reconcileOperations;
      for (const shown of [
        operations.heartbeatAlarm,
        operations.discrepancyAlarm,
        operations.orderErrorsAlarm,
        fn('reconcile').errorsAlarm,
        fn('admin').errorsAlarm,
      ])
        expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(shown), 'Arn'] }));
    });
  });
};
