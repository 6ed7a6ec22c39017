import { isDeepStrictEqual } from 'node:util';
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Resource } from 'aws-cdk-lib/aws-apigateway';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { customerAuthSchema } from '../../../lambdas/shared/contract/auth';
import { ENV } from '../../../lambdas/shared/contract/env';
import { flagsSchema } from '../../../lambdas/shared/contract/flags';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../../lambdas/shared/contract/metrics';
import { LIMITS, ROUTES } from '../../../lambdas/shared/contract/routes';
import { storeInfoSchema } from '../../../lambdas/shared/contract/store-info';
import { TABLE } from '../../../lambdas/shared/contract/table';
import { type StageName, stageFlags, stageFraudRules } from '../../../lib/config';
import { STAGE_CONFIGS, TRAFFIC_MODEL } from '../../../lib/config/stages';
import { WAF_RULES } from '../../../lib/constructs/api-firewall';
import { featureFlagsDocument, fraudRulesJsonSchema } from '../../../lib/constructs/feature-flags';
import {
  APPCONFIG_EXTENSION_VARIABLES,
  SECRETS_EXTENSION_VARIABLES,
} from '../../../lib/constructs/lambda-extensions';
import type { PaymentFunction } from '../../../lib/constructs/payment-function';
import {
  OPERATOR_ROUTES,
  PUBLIC_ROUTES,
  type PublicRouteName,
  THROTTLED_ROUTES,
} from '../../../lib/stacks/application-stack';
import type { SynthesizedStage } from '../support/synth-stage';
import {
  inTemplate,
  logicalIdOf,
  onlyResource,
  resourcesOf,
  type Statement,
  statementsOfRole,
} from '../support/template';

const GO_LIVE_STORE = {
  name: 'Temba',
  tagline: 'Your Premier Event Ticketing Platform',
  phone: '+226 74 75 08 15',
  postal_address: 'Secteur 23, Zone 1, Section KC, Parcelle 09-10, Ouagadougou, Burkina Faso',
  website_url: 'https://temba.app',
  logo_url: 'https://temba.app/logo.svg',
};

/** Statements keyed by Sid (X-Ray's, added by CDK for active tracing, has none), actions sorted. */
export const normalise = (stack: Stack, statements: readonly Statement[]) =>
  Object.fromEntries(
    statements.map((statement) => {
      const actions = [statement.Action].flat().sort();
      const key =
        statement.Sid ?? (actions.every((action) => action.startsWith('xray:')) ? 'XRay' : 'unnamed');
      return [
        key,
        {
          Effect: statement.Effect,
          Action: actions,
          Resource: inTemplate(stack, statement.Resource),
          ...(statement.Condition ? { Condition: statement.Condition } : {}),
        },
      ];
    }),
  );

/** Assertions on one stage's application stack. */
export const applicationStackSuite = (stage: StageName, get: () => SynthesizedStage): void => {
  const config = () => get().config;
  const fn = (route: PublicRouteName): PaymentFunction => get().stacks.application.functions[route];
  const functionResource = (route: PublicRouteName) =>
    onlyResource(
      get().application,
      'AWS::Lambda::Function',
      (p) => p.FunctionName === fn(route).functionName,
    );

  describe('functions', () => {
    it.each(PUBLIC_ROUTES)(
      '%s runs on Node.js 24, arm64, with its configured memory, timeout, tracing and own log group',
      (route) => {
        const settings = {
          createPayment: config().functions.createPayment,
          listPayments: config().functions.paymentStatus,
          getPayment: config().functions.paymentStatus,
          paydunyaWebhook: config().functions.webhook,
          disbursementWebhook: config().functions.webhook,
        }[route];
        const resource = functionResource(route);
        expect(resource.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          MemorySize: settings.memoryMb,
          Timeout: settings.timeoutSeconds,
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: logicalIdOf(fn(route).logGroup) } },
        });
        const logGroup = resourcesOf(get().application, 'AWS::Logs::LogGroup')[
          logicalIdOf(fn(route).logGroup)
        ];
        expect(logGroup?.Properties.RetentionInDays).toBe(config().logRetentionDays);
        expect(logGroup?.DeletionPolicy).toBe(stage === 'dev' ? 'Delete' : 'Retain');
      },
    );

    it.each([
      ['createPayment', 'createPayment', ['createPayment']],
      ['getPayment', 'paymentStatus', ['getPayment', 'listPayments']],
      ['paydunyaWebhook', 'webhook', ['paydunyaWebhook']],
    ] as const)(
      `%s reserves the concurrency its stage config sizes (${stage === 'dev' ? 'none in dev' : 'rate x duration, over every route it serves'})`,
      (route, settingsName, routes) => {
        const reserved = config().functions[settingsName].reservedConcurrency;
        if (stage === 'dev') expect(reserved).toBeUndefined();
        else expect(reserved).toBeGreaterThan(0);
        expect(functionResource(route).Properties.ReservedConcurrentExecutions).toBe(reserved);
        // A caller beyond the reservation gets a 500 from API Gateway: the routes' own 429s must come first at the
        // durations the reservation assumes (2 s for PayDunya-bound calls, 0.1 s for a status read, 0.2 s for a
        // listing: an index query, then a page of order reads).
        if (reserved !== undefined) {
          const seconds = { createPayment: 2, paydunyaWebhook: 2, getPayment: 0.1, listPayments: 0.2 };
          const needed = routes.reduce(
            (sum, name) => sum + config().api.routeThrottling[name].rateLimit * seconds[name],
            0,
          );
          expect(reserved).toBeGreaterThanOrEqual(needed);
          for (const name of routes) expect(fn(name)).toBe(fn(route));
        }
      },
    );

    it('leaves Lambda its 100 unreserved executions under the quota the stage states; reconcile and admin reserve none', () => {
      const quota = config().capacity.accountQuotas.lambdaConcurrentExecutions;
      const reserved = Object.values(resourcesOf(get().application, 'AWS::Lambda::Function')).reduce(
        (sum, resource) => sum + Number(resource.Properties.ReservedConcurrentExecutions ?? 0),
        0,
      );
      expect(reserved).toBeLessThanOrEqual(quota - 100);
      for (const fn of [get().stacks.application.reconcile, get().stacks.application.admin]) {
        const resource = onlyResource(
          get().application,
          'AWS::Lambda::Function',
          (p) => p.FunctionName === fn.functionName,
        );
        expect(resource.Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
      if (stage === 'prod') {
        // 1,000 + 450 + 600 under a quota raised to 3,000 (docs/capacity-notes.md: the preflight note).
        expect({ reserved, quota }).toEqual({ reserved: 2_050, quota: 3_000 });
      }
    });

    it('create-payment gets exactly the settings it reads, from the stage config', () => {
      const variables = functionResource('createPayment').Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      const app = get().stacks.application;
      const data = get().stacks.data;
      expect(variables.Variables).toEqual({
        [ENV.stage]: stage,
        [ENV.tableName]: inTemplate(app, data.table.tableName),
        [ENV.paydunyaMode]: stage === 'prod' ? 'live' : 'test',
        [ENV.paydunyaSecretArn]: inTemplate(app, data.paydunyaSecret.secretArn),
        [ENV.signingSecretArn]: inTemplate(app, data.signingSecret.secretArn),
        [ENV.piiKeyArn]: inTemplate(app, data.piiKey.keyArn),
        [ENV.publicBaseUrl]: inTemplate(app, config().urls.publicBaseUrl ?? app.api.publicBaseUrl),
        [ENV.returnUrl]: config().urls.returnUrl,
        [ENV.cancelUrl]: config().urls.cancelUrl,
        [ENV.storeJson]: JSON.stringify(config().paydunya.store),
        [ENV.criticalTopicArn]: { Ref: logicalIdOf(app.alerts.critical) },
        [ENV.warningTopicArn]: { Ref: logicalIdOf(app.alerts.warning) },
        [ENV.appConfigApplication]: { Ref: logicalIdOf(app.flags.application) },
        [ENV.appConfigEnvironment]: { Ref: logicalIdOf(app.flags.environment) },
        [ENV.appConfigProfile]: inTemplate(app, app.flags.profileId),
        [ENV.appConfigFraudRulesProfile]: inTemplate(app, app.flags.fraudRulesProfileId),
        [ENV.paydunyaTimeoutMs]: String(config().paydunya.timeoutMs),
        [ENV.customerAttemptMax]: String(config().limits.customerAttempts.max),
        [ENV.customerAttemptWindowSeconds]: String(config().limits.customerAttempts.windowSeconds),
        [ENV.corsAllowedOrigins]: config().api.corsOrigins.join(','),
        [ENV.customerAuth]: JSON.stringify(customerAuthSchema.parse(config().auth)),
        ...SECRETS_EXTENSION_VARIABLES,
        ...APPCONFIG_EXTENSION_VARIABLES,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('payment-status gets only the table, the identity provider, CORS origins and telemetry settings', () => {
      const variables = functionResource('getPayment').Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(Object.keys(variables.Variables).sort()).toEqual(
        [
          ENV.stage,
          ENV.tableName,
          ENV.customerAuth,
          ENV.corsAllowedOrigins,
          'POWERTOOLS_SERVICE_NAME',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_LOG_LEVEL',
          'NODE_OPTIONS',
        ].sort(),
      );
    });

    it('webhook gets the table, secrets, topics and PayDunya settings, but no flags, PII key or checkout URLs', () => {
      const variables = functionResource('paydunyaWebhook').Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      expect(Object.keys(variables.Variables).sort()).toEqual(
        [
          ENV.stage,
          ENV.tableName,
          ENV.paydunyaMode,
          ENV.paydunyaSecretArn,
          ENV.signingSecretArn,
          ENV.publicBaseUrl,
          ENV.criticalTopicArn,
          ENV.warningTopicArn,
          ENV.paydunyaTimeoutMs,
          ...Object.keys(SECRETS_EXTENSION_VARIABLES),
          'POWERTOOLS_SERVICE_NAME',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_LOG_LEVEL',
          'NODE_OPTIONS',
        ].sort(),
      );
    });

    it(
      stage === 'prod'
        ? "passes the go-live plan's store block to PayDunya, as JSON the code's schema accepts"
        : 'passes a store block the code schema accepts',
      () => {
        const variables = functionResource('createPayment').Properties.Environment as {
          Variables: Record<string, string>;
        };
        const store = storeInfoSchema.parse(JSON.parse(variables.Variables[ENV.storeJson] ?? ''));
        if (stage === 'prod') expect(store).toEqual(GO_LIVE_STORE);
      },
    );
  });

  describe('aliases and CodeDeploy', () => {
    const expectedConfig = {
      dev: 'CodeDeployDefault.LambdaAllAtOnce',
      staging: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      prod: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    }[stage];

    it.each(PUBLIC_ROUTES)(
      '%s is published as alias "live", which CodeDeploy moves on every new version',
      (route) => {
        const alias = onlyResource(
          get().application,
          'AWS::Lambda::Alias',
          (p) => JSON.stringify(p.FunctionName) === JSON.stringify({ Ref: logicalIdOf(fn(route).fn) }),
        );
        expect(alias.Properties.Name).toBe('live');
        expect(alias.UpdatePolicy).toEqual({
          CodeDeployLambdaAliasUpdate: {
            ApplicationName: {
              Ref: onlyResource(get().application, 'AWS::CodeDeploy::Application').logicalId,
            },
            DeploymentGroupName: { Ref: logicalIdOf(fn(route).deploymentGroup) },
          },
        });
      },
    );

    it.each(PUBLIC_ROUTES)(
      `%s rolls out with ${expectedConfig} and rolls back on its new version's error rate only`,
      (route) => {
        const group = onlyResource(get().application, 'AWS::CodeDeploy::DeploymentGroup', (p) =>
          JSON.stringify(p).includes(logicalIdOf(fn(route).rollbackAlarm)),
        );
        expect(group.Properties).toMatchObject({
          DeploymentConfigName: expectedConfig,
          AlarmConfiguration: {
            Enabled: true,
            Alarms: [{ Name: { Ref: logicalIdOf(fn(route).rollbackAlarm) } }],
          },
          AutoRollbackConfiguration: {
            Enabled: true,
            Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']),
          },
        });
      },
    );
  });

  describe('REST API', () => {
    type MethodSetting = Record<string, unknown> & { HttpMethod: string; ResourcePath: string };
    const methodSettings = () =>
      onlyResource(get().application, 'AWS::ApiGateway::Stage').Properties.MethodSettings as MethodSetting[];
    /** CloudFormation's spelling of a resource path in MethodSettings: `/payments/{orderId}` -> `/~1payments~1{orderId}`. */
    const settingPath = (path: string) => `/${path.replaceAll('/', '~1')}`;

    it('is regional, with JSON access logs, execution logging without bodies, X-Ray and stage throttling', () => {
      get().application.hasResourceProperties('AWS::ApiGateway::RestApi', {
        EndpointConfiguration: { Types: ['REGIONAL'] },
        DisableExecuteApiEndpoint: config().api.customDomain !== undefined,
      });
      const apiStage = onlyResource(get().application, 'AWS::ApiGateway::Stage');
      expect(apiStage.Properties.TracingEnabled).toBe(true);
      expect(methodSettings().find((setting) => setting.HttpMethod === '*')).toEqual({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'INFO',
        DataTraceEnabled: false,
        MetricsEnabled: true,
        ThrottlingRateLimit: config().api.throttling.rateLimit,
        ThrottlingBurstLimit: config().api.throttling.burstLimit,
      });
      expect(JSON.stringify(apiStage.Properties.AccessLogSetting)).toMatch(/"Ref":"ApiAccessLogs/);
      const format = JSON.parse(
        String((apiStage.Properties.AccessLogSetting as { Format: string }).Format),
      ) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    });

    it.each(THROTTLED_ROUTES)(
      '%s has its own throttle from the stage config, and keeps execution logging without bodies',
      (route) => {
        const { method, path } = ROUTES[route];
        const own = methodSettings().filter(
          (setting) => setting.HttpMethod === method && setting.ResourcePath === settingPath(path),
        );
        expect(own).toEqual([
          {
            HttpMethod: method,
            ResourcePath: settingPath(path),
            LoggingLevel: 'INFO',
            DataTraceEnabled: false,
            MetricsEnabled: true,
            ThrottlingRateLimit: config().api.routeThrottling[route].rateLimit,
            ThrottlingBurstLimit: config().api.routeThrottling[route].burstLimit,
          },
        ]);
        // The stage default plus one entry per throttled public route, nothing else.
        expect(methodSettings()).toHaveLength(1 + THROTTLED_ROUTES.length);
      },
    );

    it('runs the disbursement callback and the service routes under the stage default (a bucket per method)', () => {
      for (const name of ['disbursementWebhook', ...OPERATOR_ROUTES] as const) {
        const { method, path } = ROUTES[name];
        expect(
          methodSettings().filter(
            (setting) => setting.HttpMethod === method && setting.ResourcePath === settingPath(path),
          ),
        ).toEqual([]);
      }
      // One fulfilment acknowledgement per completed payment: the default bucket admits the stage's peak.
      expect(config().api.throttling.rateLimit).toBeGreaterThanOrEqual(
        config().capacity.peakCheckoutsPerSecond,
      );
    });

    if (stage === 'prod') {
      it('admits the sized on-sale peak: 200 checkouts/s, their preflights, 20 polls and 1.5 IPNs per checkout', () => {
        const peak = config().capacity.peakCheckoutsPerSecond;
        expect(peak).toBe(200);
        const rateOf = (route: PublicRouteName) =>
          methodSettings().find(
            (setting) =>
              setting.HttpMethod === ROUTES[route].method &&
              setting.ResourcePath === settingPath(ROUTES[route].path),
          )?.ThrottlingRateLimit;
        expect(rateOf('createPayment')).toBeGreaterThanOrEqual(peak);
        expect(rateOf('listPayments')).toBeGreaterThanOrEqual(peak * TRAFFIC_MODEL.listingsPerCheckout);
        expect(rateOf('getPayment')).toBeGreaterThanOrEqual(peak * TRAFFIC_MODEL.statusPollsPerCheckout);
        expect(rateOf('paydunyaWebhook')).toBeGreaterThanOrEqual(peak * TRAFFIC_MODEL.ipnsPerCheckout);
        // OPTIONS /payments (one preflight per checkout) runs under the stage default.
        expect(
          methodSettings().find((setting) => setting.HttpMethod === '*')?.ThrottlingRateLimit,
        ).toBeGreaterThanOrEqual(peak);
        // Today's 50 requests/s would have refused three checkouts out of four.
        expect(rateOf('createPayment')).toBeGreaterThan(50);
      });
    }

    it.each(PUBLIC_ROUTES)(
      '%s is routed to the function alias (never $LATEST), with request validation',
      (route) => {
        const { method, path } = ROUTES[route];
        const resource = get().stacks.application.api.api.root.resourceForPath(path);
        const methods = Object.values(resourcesOf(get().application, 'AWS::ApiGateway::Method')).filter(
          (candidate) =>
            candidate.Properties.HttpMethod === method &&
            JSON.stringify(candidate.Properties.ResourceId) ===
              JSON.stringify({ Ref: logicalIdOf(resource) }),
        );
        const aliasRef = { Ref: logicalIdOf(fn(route).alias) };
        expect(methods).toHaveLength(1);
        expect(JSON.stringify(methods[0]?.Properties.Integration)).toContain(JSON.stringify(aliasRef));
        expect(methods[0]?.Properties).toMatchObject({
          AuthorizationType: 'NONE',
          Integration: { Type: 'AWS_PROXY' },
          RequestValidatorId: { Ref: expect.stringMatching(/^ApiValidator/) },
        });
        get().application.hasResourceProperties('AWS::Lambda::Permission', {
          FunctionName: aliasRef,
          Principal: 'apigateway.amazonaws.com',
        });
      },
    );

    it('validates body and parameters: JSON object body on POST /payments, orderId required on GET', () => {
      get().application.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      get().application.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'GET',
        RequestParameters: { 'method.request.path.orderId': true },
      });
      get().application.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        RequestModels: { 'application/json': Match.anyValue() },
      });
    });

    it('answers CORS preflights for the configured origins on /payments only, never on the webhooks or service routes', () => {
      const preflights = Object.values(resourcesOf(get().application, 'AWS::ApiGateway::Method')).filter(
        (resource) => resource.Properties.HttpMethod === 'OPTIONS',
      );
      expect(preflights).toHaveLength(2);
      const api = get().stacks.application.api.api;
      const withPreflight = [ROUTES.createPayment.path, ROUTES.getPayment.path].map((path) => ({
        Ref: logicalIdOf(api.root.resourceForPath(path)),
      }));
      for (const preflight of preflights) {
        expect(withPreflight).toContainEqual(preflight.Properties.ResourceId);
        const text = JSON.stringify(preflight.Properties);
        for (const origin of config().api.corsOrigins) expect(text).toContain(origin);
      }
    });

    if (stage === 'dev') {
      it('has no custom domain: the webhook callback URL is built from the execute-api URL', () => {
        get().application.resourceCountIs('AWS::ApiGateway::DomainName', 0);
        expect(
          JSON.stringify(inTemplate(get().stacks.application, get().stacks.application.api.publicBaseUrl)),
        ).toContain('execute-api');
      });
    } else {
      it('serves its custom domain with TLS 1.2, regional, mapped to the stage', () => {
        get().application.hasResourceProperties('AWS::ApiGateway::DomainName', {
          DomainName: config().api.customDomain?.domainName,
          SecurityPolicy: 'TLS_1_2',
          EndpointConfiguration: { Types: ['REGIONAL'] },
        });
        get().application.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
        expect(config().urls.publicBaseUrl).toBe(`https://${config().api.customDomain?.domainName}`);
      });
    }
  });

  describe('routes and who may call them (issue 13)', () => {
    type MethodResource = ReturnType<typeof resourcesOf>[string];
    /** Every API resource's path, by the logical id API Gateway methods reference it with. */
    const pathsById = (): Map<string, string> => {
      const api = get().stacks.application.api.api;
      const paths = new Map<string, string>([
        [JSON.stringify(inTemplate(get().stacks.application, api.root.resourceId)), '/'],
      ]);
      for (const construct of api.root.node.findAll()) {
        if (construct instanceof Resource)
          paths.set(JSON.stringify({ Ref: logicalIdOf(construct) }), construct.path);
      }
      return paths;
    };
    /** Every method of the synthesized template but the CORS preflights, with its path, from the template alone. */
    const methods = () => {
      const paths = pathsById();
      return Object.entries(resourcesOf(get().application, 'AWS::ApiGateway::Method'))
        .filter(([, method]) => method.Properties.HttpMethod !== 'OPTIONS')
        .map(([logicalId, method]) => ({
          logicalId,
          method: String(method.Properties.HttpMethod),
          path: paths.get(JSON.stringify(method.Properties.ResourceId)) ?? '(unknown resource)',
          properties: method.Properties,
        }));
    };
    /** The Lambda function behind a method: its integration invokes an alias, the alias names the function. */
    const functionBehind = (properties: MethodResource['Properties']) => {
      const integration = JSON.stringify(properties.Integration);
      const aliases = Object.entries(resourcesOf(get().application, 'AWS::Lambda::Alias')).filter(([id]) =>
        integration.includes(JSON.stringify({ Ref: id })),
      );
      expect(aliases).toHaveLength(1);
      const functionRef = (aliases[0]?.[1].Properties.FunctionName ?? {}) as { Ref?: string };
      const found = resourcesOf(get().application, 'AWS::Lambda::Function')[functionRef.Ref ?? ''];
      if (!found) throw new Error(`no function behind ${integration}`);
      return found;
    };
    const routeOf = (method: string, path: string) =>
      Object.entries(ROUTES).find(([, route]) => route.method === method && route.path === path);

    it('serves exactly the ROUTES contract: every API Gateway method is a ROUTES entry, every entry one method', () => {
      const served = methods();
      const unknown = served.filter(({ method, path }) => routeOf(method, path) === undefined);
      expect(unknown.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
      expect(served.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(
        Object.values(ROUTES)
          .map(({ method, path }) => `${method} ${path}`)
          .sort(),
      );
    });

    it("maps each route's `auth` to API Gateway: iam is AWS_IAM, customer and paydunya have no API Gateway authorizer", () => {
      for (const { method, path, properties } of methods()) {
        const [name, route] = routeOf(method, path) ?? [];
        expect(route, `${method} ${path}`).toBeDefined();
        expect(properties.AuthorizationType, String(name)).toBe(route?.auth === 'iam' ? 'AWS_IAM' : 'NONE');
        expect(properties.AuthorizerId, String(name)).toBeUndefined();
      }
      // Customer tokens are verified in the handler: no API Gateway authorizer (nor its result cache) anywhere.
      get().application.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    });

    it("puts every customer route on a function that carries the stage's identity provider (CUSTOMER_AUTH), parsed by the shared schema", () => {
      const customer = methods().filter(({ method, path }) => routeOf(method, path)?.[1].auth === 'customer');
      expect(customer.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(
        ['GET /payments', 'GET /payments/{orderId}', 'POST /payments'].sort(),
      );
      for (const { method, path, properties } of customer) {
        const variables = (
          functionBehind(properties).Properties.Environment as { Variables: Record<string, unknown> }
        ).Variables;
        const raw = variables[ENV.customerAuth];
        expect(typeof raw, `${method} ${path}: ${ENV.customerAuth}`).toBe('string');
        const parsed = customerAuthSchema.parse(JSON.parse(String(raw)));
        // Defaults filled in by the CDK, so the code and the config agree on every field.
        expect(parsed).toEqual(customerAuthSchema.parse(config().auth));
        expect(JSON.parse(String(raw))).toEqual(parsed);
      }
    });

    it('gives the identity provider only to the functions that serve customer routes', () => {
      const customerFunctions = new Set(
        methods()
          .filter(({ method, path }) => routeOf(method, path)?.[1].auth === 'customer')
          .map(({ properties }) => String(functionBehind(properties).Properties.FunctionName)),
      );
      for (const fn of Object.values(resourcesOf(get().application, 'AWS::Lambda::Function'))) {
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(ENV.customerAuth in variables, String(fn.Properties.FunctionName)).toBe(
          customerFunctions.has(String(fn.Properties.FunctionName)),
        );
      }
    });

    it('keeps PayDunya routes under /webhooks/ only (where the WAF allowlist applies)', () => {
      const paydunya = methods().filter(({ method, path }) => routeOf(method, path)?.[1].auth === 'paydunya');
      expect(paydunya).toHaveLength(2);
      for (const { path } of paydunya) expect(path.startsWith('/webhooks/')).toBe(true);
      for (const { method, path } of methods()) {
        if (path.startsWith('/webhooks/')) expect(routeOf(method, path)?.[1].auth).toBe('paydunya');
      }
    });

    it('answers CORS preflights of every customer route with Authorization allowed, for the configured origins only', () => {
      const paths = pathsById();
      const preflights = Object.values(resourcesOf(get().application, 'AWS::ApiGateway::Method')).filter(
        (method) => method.Properties.HttpMethod === 'OPTIONS',
      );
      for (const route of Object.values(ROUTES).filter((candidate) => candidate.auth === 'customer')) {
        const preflight = preflights.filter(
          (method) => paths.get(JSON.stringify(method.Properties.ResourceId)) === route.path,
        );
        expect(preflight, `OPTIONS ${route.path}`).toHaveLength(1);
        const integration = preflight[0]?.Properties.Integration as {
          IntegrationResponses: { ResponseParameters: Record<string, string>; ResponseTemplates?: unknown }[];
        };
        const answer = integration.IntegrationResponses[0];
        const allowHeaders =
          answer?.ResponseParameters['method.response.header.Access-Control-Allow-Headers'] ?? '';
        expect(allowHeaders.replaceAll("'", '').split(',')).toEqual(
          expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key']),
        );
        expect(answer?.ResponseParameters['method.response.header.Access-Control-Allow-Methods']).toContain(
          route.method,
        );
        const allowOrigin = answer?.ResponseParameters['method.response.header.Access-Control-Allow-Origin'];
        expect(allowOrigin).not.toContain('*');
        const text = JSON.stringify(answer);
        for (const origin of config().api.corsOrigins) expect(text).toContain(origin);
        expect(text).not.toMatch(/\*/);
      }
    });
  });

  describe('WAF', () => {
    const webAcl = () => onlyResource(get().application, 'AWS::WAFv2::WebACL');
    const rule = (name: string) =>
      (
        webAcl().Properties.Rules as { Name: string; Priority: number; Statement: Record<string, unknown> }[]
      ).find((candidate) => candidate.Name === name);

    it('protects the API stage (regional web ACL associated with the stage ARN)', () => {
      expect(webAcl().Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
      get().application.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        ResourceArn: inTemplate(
          get().stacks.application,
          get().stacks.application.api.api.deploymentStage.stageArn,
        ),
        WebACLArn: { 'Fn::GetAtt': [webAcl().logicalId, 'Arn'] },
      });
    });

    it('runs the AWS managed rule groups: common, known bad inputs, IP reputation', () => {
      const groups = (
        webAcl().Properties.Rules as { Statement: { ManagedRuleGroupStatement?: { Name: string } } }[]
      )
        .map((candidate) => candidate.Statement.ManagedRuleGroupStatement?.Name)
        .filter((name) => name !== undefined)
        .sort();
      expect(groups).toEqual([
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
      ]);
    });

    it(`guards POST /payments per IP with the stage's flood-guard limit (${STAGE_CONFIGS[stage].waf.paymentsRateLimit.limit} per ${STAGE_CONFIGS[stage].waf.paymentsRateLimit.windowSeconds} s)`, () => {
      const { limit, windowSeconds } = config().waf.paymentsRateLimit;
      const statement = rule(WAF_RULES.paymentsRate)?.Statement.RateBasedStatement as Record<string, unknown>;
      expect(statement).toMatchObject({
        AggregateKeyType: 'IP',
        Limit: limit,
        EvaluationWindowSec: windowSeconds,
      });
      const scope = JSON.stringify(statement.ScopeDownStatement);
      expect(scope).toContain('"SearchString":"POST"');
      expect(scope).toContain('"RegexString":"/payments/?$"');
      expect(rule(WAF_RULES.paymentsRate)).toMatchObject({ Action: { Block: {} } });
    });

    if (stage !== 'dev') {
      it('lets one carrier NAT address carry its share of the peak: the per-IP rules are flood guards, not customer limits', () => {
        const peak = config().capacity.peakCheckoutsPerSecond;
        const natShare = TRAFFIC_MODEL.busiestCarrierShare / TRAFFIC_MODEL.carrierNatAddresses;
        const perSecond = ({ limit, windowSeconds }: { limit: number; windowSeconds: number }) =>
          limit / windowSeconds;
        // Sized on prod's peak in staging too, so a load test meets prod's rules.
        const prodPeak = STAGE_CONFIGS.prod.capacity.peakCheckoutsPerSecond;
        expect(peak).toBeLessThanOrEqual(prodPeak);
        expect(perSecond(config().waf.paymentsRateLimit)).toBeGreaterThanOrEqual(prodPeak * natShare);
        // POST, the preflights (the polls and the listing carry Authorization), the polls, the listing: 24.
        const requestsPerCheckout =
          1 +
          TRAFFIC_MODEL.preflightsPerCheckout +
          TRAFFIC_MODEL.statusPollsPerCheckout +
          TRAFFIC_MODEL.listingsPerCheckout;
        expect(requestsPerCheckout).toBe(24);
        // With the 1.5 headroom of docs/capacity-notes.md §2.
        expect(perSecond(config().waf.globalRateLimit)).toBeGreaterThanOrEqual(
          prodPeak * requestsPerCheckout * natShare * 1.5,
        );
      });
    }

    it("counts every route per IP except PayDunya's callbacks: the global rule's scope-down excludes the IPN and the disbursement callback", () => {
      expect(rule(WAF_RULES.globalRate)).toMatchObject({ Action: { Block: {} } });
      const endsWith = (path: string) => ({
        ByteMatchStatement: {
          FieldToMatch: { UriPath: {} },
          PositionalConstraint: 'ENDS_WITH',
          SearchString: path,
          TextTransformations: [
            { Priority: 0, Type: 'URL_DECODE' },
            { Priority: 1, Type: 'NORMALIZE_PATH' },
            { Priority: 2, Type: 'LOWERCASE' },
          ],
        },
      });
      expect(rule(WAF_RULES.globalRate)?.Statement.RateBasedStatement).toEqual({
        AggregateKeyType: 'IP',
        Limit: config().waf.globalRateLimit.limit,
        EvaluationWindowSec: config().waf.globalRateLimit.windowSeconds,
        ScopeDownStatement: {
          NotStatement: {
            Statement: {
              OrStatement: {
                Statements: [
                  endsWith(ROUTES.paydunyaWebhook.path),
                  endsWith(ROUTES.disbursementWebhook.path),
                ],
              },
            },
          },
        },
      });
      // Only the global rule skips the webhook: the per-IP checkout rule never matched it in the first place.
      expect(JSON.stringify(rule(WAF_RULES.paymentsRate)?.Statement)).not.toContain('webhooks');
    });

    it('counts every customer route, GET /payments included, in the global per-IP flood guard; only POST /payments in the checkout rule', () => {
      const statement = rule(WAF_RULES.globalRate)?.Statement.RateBasedStatement as {
        ScopeDownStatement: { NotStatement: { Statement: unknown } };
      };
      /** The paths the global rule leaves out: every ENDS_WITH search string under its NotStatement. */
      const excluded = [
        ...JSON.stringify(statement.ScopeDownStatement.NotStatement).matchAll(/"SearchString":"([^"]+)"/g),
      ].map((match) => match[1] as string);
      expect(excluded.sort()).toEqual([ROUTES.paydunyaWebhook.path, ROUTES.disbursementWebhook.path].sort());
      const asSent = (path: string) => `/v1${path.replace(/\{\w+\}/g, '01jtest')}`.toLowerCase();
      const customerRoutes = Object.values(ROUTES).filter((route) => route.auth === 'customer');
      expect(customerRoutes).toContainEqual(ROUTES.listPayments);
      for (const route of customerRoutes) {
        expect(
          excluded.some((path) => asSent(route.path).endsWith(path)),
          `${route.method} ${route.path}`,
        ).toBe(false);
      }
      const checkout = JSON.stringify(rule(WAF_RULES.paymentsRate)?.Statement);
      expect(checkout).toContain('"SearchString":"POST"');
      expect(checkout).not.toContain('"SearchString":"GET"');
    });

    it(`blocks bodies over LIMITS.maxBodyBytes (${LIMITS.maxBodyBytes}), inspecting up to 64 KB`, () => {
      expect(rule(WAF_RULES.bodySize)?.Statement.SizeConstraintStatement).toMatchObject({
        ComparisonOperator: 'GT',
        Size: LIMITS.maxBodyBytes,
        FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
      });
      expect(webAcl().Properties.AssociationConfig).toEqual({
        RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } },
      });
    });

    it('has no webhook allowlist rule while the stage lists no PayDunya addresses', () => {
      const { ipv4, ipv6 } = config().waf.webhookAllowlist;
      expect(ipv4.length + ipv6.length).toBe(0);
      expect(rule(WAF_RULES.webhookAllowlist)).toBeUndefined();
      get().application.resourceCountIs('AWS::WAFv2::IPSet', 0);
    });

    it('logs to CloudWatch Logs with Authorization, Cookie and the query string redacted', () => {
      const logGroup = onlyResource(get().application, 'AWS::Logs::LogGroup', (p) =>
        JSON.stringify(p.LogGroupName ?? '').includes(`aws-waf-logs-temba-payments-${stage}-`),
      );
      expect(logGroup.Properties.RetentionInDays).toBe(config().logRetentionDays);
      get().application.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        ResourceArn: { 'Fn::GetAtt': [webAcl().logicalId, 'Arn'] },
        RedactedFields: [
          { SingleHeader: { Name: 'authorization' } },
          { SingleHeader: { Name: 'cookie' } },
          { QueryString: {} },
        ],
      });
    });
  });

  describe('alarms', () => {
    const alarm = (name: string) =>
      onlyResource(
        get().application,
        'AWS::CloudWatch::Alarm',
        (p) => p.AlarmName === `temba-payments-${stage}-${name}`,
      );
    const topicRef = (severity: 'critical' | 'warning') => ({
      Ref: logicalIdOf(get().stacks.application.alerts[severity]),
    });
    const t = () => config().alarms;

    it.each([
      {
        name: 'success-rate-critical',
        severity: 'critical',
        operator: 'LessThanThreshold',
        threshold: () => t().successRate.criticalBelowPercent,
        missing: 'notBreaching',
      },
      {
        name: 'success-rate-warning',
        severity: 'warning',
        operator: 'LessThanThreshold',
        threshold: () => t().successRate.warningBelowPercent,
        missing: 'notBreaching',
      },
      {
        name: 'webhook-failure-rate',
        severity: 'critical',
        operator: 'GreaterThanThreshold',
        threshold: () => t().webhookFailureRate.abovePercent,
        missing: 'notBreaching',
      },
      {
        name: 'webhook-forged',
        severity: 'critical',
        operator: 'GreaterThanOrEqualToThreshold',
        threshold: () => 1,
        missing: 'notBreaching',
      },
      {
        name: 'fraud-suspected',
        severity: 'critical',
        operator: 'GreaterThanOrEqualToThreshold',
        threshold: () => 1,
        missing: 'notBreaching',
      },
      {
        name: 'api-5xx-rate',
        severity: 'critical',
        operator: 'GreaterThanThreshold',
        threshold: () => t().api5xxRate.abovePercent,
        missing: 'notBreaching',
      },
      {
        name: 'api-p99-latency',
        severity: 'warning',
        operator: 'GreaterThanThreshold',
        threshold: () => t().apiP99LatencyMs.threshold,
        missing: 'ignore',
      },
      {
        name: 'dynamodb-throttles',
        severity: 'warning',
        operator: 'GreaterThanOrEqualToThreshold',
        threshold: () => t().dynamoThrottles.threshold,
        missing: 'notBreaching',
      },
      {
        name: 'webhook-unsigned',
        severity: 'warning',
        operator: 'GreaterThanOrEqualToThreshold',
        threshold: () => 1,
        missing: 'notBreaching',
      },
      {
        name: 'state-conflict',
        severity: 'warning',
        operator: 'GreaterThanOrEqualToThreshold',
        threshold: () => 1,
        missing: 'notBreaching',
      },
      {
        name: 'circuit-open',
        severity: 'warning',
        operator: 'GreaterThanOrEqualToThreshold',
        threshold: () => 1,
        missing: 'notBreaching',
      },
    ] as const)('$name notifies the $severity topic on $operator, missing data $missing', (row) => {
      expect(alarm(row.name).Properties).toMatchObject({
        ComparisonOperator: row.operator,
        Threshold: row.threshold(),
        TreatMissingData: row.missing,
        AlarmActions: [topicRef(row.severity)],
        OKActions: [topicRef(row.severity)],
      });
    });

    it('dynamodb-throttles covers the table and every index (whatever their number) within the 10 metrics an alarm may read', () => {
      const metrics = alarm('dynamodb-throttles').Properties.Metrics as {
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } };
      }[];
      const stats = metrics.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []));
      expect(stats.length).toBeLessThanOrEqual(10);
      const described = stats.map(
        (metric) =>
          `${metric.MetricName}${metric.Dimensions.filter((d) => d.Name === 'Operation').map((d) => `:${String(d.Value)}`)}`,
      );
      // Event-level on the table itself; request-level (any event of the request, table or index) for the
      // operations that read an index (Query) or update them (every write).
      expect(described.sort()).toEqual(
        [
          'ReadThrottleEvents',
          'WriteThrottleEvents',
          'ThrottledRequests:Query',
          'ThrottledRequests:PutItem',
          'ThrottledRequests:UpdateItem',
          'ThrottledRequests:DeleteItem',
          'ThrottledRequests:TransactWriteItems',
          'ThrottledRequests:BatchWriteItem',
        ].sort(),
      );
      for (const metric of stats)
        expect(metric.Dimensions.map((d) => d.Name)).not.toContain('GlobalSecondaryIndexName');
    });

    it('go-live thresholds: success rate warns under 95 % and is critical under 90 %, webhooks over 5 %', () => {
      expect(alarm('success-rate-warning').Properties.Threshold).toBe(95);
      expect(alarm('success-rate-critical').Properties.Threshold).toBe(90);
      expect(alarm('webhook-failure-rate').Properties.Threshold).toBe(5);
    });

    it('computes the success rate from the metric names and dimension the Lambda code emits', () => {
      const metrics = alarm('success-rate-critical').Properties.Metrics as {
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown } };
      }[];
      const stats = metrics.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []));
      expect(stats.map((metric) => metric.MetricName).sort()).toEqual(
        [METRICS.paymentCompleted, METRICS.paymentFailed, METRICS.paymentInitiationFailed].sort(),
      );
      for (const metric of stats) {
        expect(metric.Namespace).toBe(METRIC_NAMESPACE);
        expect(metric.Dimensions).toEqual([{ Name: 'service', Value: SERVICE_NAME }]);
      }
    });

    it('watches the security events by their shared metric names', () => {
      expect(alarm('webhook-forged').Properties).toMatchObject({
        MetricName: METRICS.webhookRejected,
        Namespace: METRIC_NAMESPACE,
      });
      expect(alarm('fraud-suspected').Properties).toMatchObject({
        MetricName: METRICS.fraudSuspected,
        Namespace: METRIC_NAMESPACE,
      });
    });

    it.each(PUBLIC_ROUTES)(
      '%s has error and throttle alarms on its alias that notify the warning topic and ignore idle periods',
      (route) => {
        for (const [name, metric, threshold] of [
          ['errors', 'Errors', t().lambdaErrors.threshold],
          ['throttles', 'Throttles', t().lambdaThrottles.threshold],
        ] as const) {
          const found = onlyResource(
            get().application,
            'AWS::CloudWatch::Alarm',
            (p) => p.AlarmName === `${fn(route).functionName}-${name}`,
          );
          expect(found.Properties).toMatchObject({
            MetricName: metric,
            Namespace: 'AWS/Lambda',
            Threshold: threshold,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [topicRef('warning')],
            Dimensions: expect.arrayContaining([
              { Name: 'Resource', Value: expect.anything() },
              { Name: 'FunctionName', Value: { Ref: logicalIdOf(fn(route).fn) } },
            ]),
          });
        }
      },
    );

    it('has a dashboard charting volume, success rate, value, latency, webhooks and errors', () => {
      const dashboard = onlyResource(get().application, 'AWS::CloudWatch::Dashboard');
      expect(dashboard.Properties.DashboardName).toBe(`temba-payments-${stage}`);
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const title of [
        'Payment volume',
        'Success rate',
        'Payment value',
        'Latency',
        'Webhook deliveries',
        'Errors',
      ]) {
        expect(body).toContain(title);
      }
      for (const name of [METRICS.paymentCreated, METRICS.paymentAmount, METRICS.webhookReceived])
        expect(body).toContain(name);
    });
  });

  describe('alert topics', () => {
    it('are KMS-encrypted with the alerts key and refuse publishing without TLS', () => {
      const alerts = get().stacks.application.alerts;
      for (const topic of [alerts.critical, alerts.warning]) {
        get().application.hasResourceProperties('AWS::SNS::Topic', {
          TopicName: `temba-payments-${stage}-${topic === alerts.critical ? 'critical' : 'warning'}`,
          KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(alerts.key), 'Arn'] },
        });
        get().application.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: logicalIdOf(topic) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('subscribe the configured e-mail addresses and phones', () => {
      const subscriptions = Object.values(resourcesOf(get().application, 'AWS::SNS::Subscription')).map(
        (subscription) => ({
          protocol: subscription.Properties.Protocol,
          endpoint: subscription.Properties.Endpoint,
          topic: subscription.Properties.TopicArn,
        }),
      );
      const expected = (['critical', 'warning'] as const).flatMap((severity) => [
        ...config().alerts[severity].emails.map((endpoint) => ({
          protocol: 'email',
          endpoint,
          topic: { Ref: logicalIdOf(get().stacks.application.alerts[severity]) },
        })),
        ...config().alerts[severity].sms.map((endpoint) => ({
          protocol: 'sms',
          endpoint,
          topic: { Ref: logicalIdOf(get().stacks.application.alerts[severity]) },
        })),
      ]);
      expect(subscriptions).toEqual(expect.arrayContaining(expected));
      expect(subscriptions).toHaveLength(expected.length);
    });
  });

  describe('AppConfig feature flags', () => {
    /** A HostedConfiguration's profile resource (its default child is the hosted version). */
    const profileIdOf = (hosted: IConstruct) => logicalIdOf(hosted.node.findChild('ConfigurationProfile'));
    /** The hosted version of one profile (flags, fraud rules): each profile has exactly one. */
    const versionOf = (hosted: IConstruct) =>
      onlyResource(get().application, 'AWS::AppConfig::HostedConfigurationVersion', (properties) =>
        isDeepStrictEqual(properties.ConfigurationProfileId, { Ref: profileIdOf(hosted) }),
      );

    it('is a feature flags profile (AWS.AppConfig.FeatureFlags) in one environment named after the stage', () => {
      get().application.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', {
        Type: 'AWS.AppConfig.FeatureFlags',
        LocationUri: 'hosted',
      });
      get().application.hasResourceProperties('AWS::AppConfig::Environment', { Name: stage });
    });

    it('is watched by every critical alarm: a flags rollout stops and rolls back when one fires', () => {
      const environment = onlyResource(get().application, 'AWS::AppConfig::Environment');
      const monitored = (
        environment.Properties.Monitors as { AlarmArn: unknown; AlarmRoleArn: unknown }[]
      ).map((monitor) => monitor.AlarmArn);
      const critical = get().stacks.application.monitoring.criticalAlarms.map((alarm) => ({
        'Fn::GetAtt': [logicalIdOf(alarm), 'Arn'],
      }));
      expect(critical).toHaveLength(5);
      expect(monitored).toEqual(critical);
    });

    it("deploys the stage's flags (defaults + overrides) in the FeatureFlags document format", () => {
      const version = versionOf(get().stacks.application.flags.profile);
      expect(version.Properties.ContentType).toBe('application/json');
      const document = JSON.parse(String(version.Properties.Content)) as ReturnType<
        typeof featureFlagsDocument
      >;
      expect(document).toEqual(featureFlagsDocument(stageFlags(config())));
      expect(document.version).toBe('1');
      expect(Object.keys(document.flags)).toEqual([
        'payments_enabled',
        'live_payments',
        'manual_review',
        'daily_limit',
        'refunds_enabled',
      ]);
      // What AppConfig serves back is { flag: { enabled, ...attributes } }: the shape the code parses.
      const served = flagsSchema.parse(document.values);
      expect(served.manual_review.threshold_xof).toBe(100_000);
      expect(served.live_payments.enabled).toBe(stage === 'prod');
      expect(document.flags.daily_limit?.attributes).toEqual({
        max_xof: { constraints: { type: 'number', required: true, minimum: 1 } },
        max_count: { constraints: { type: 'number', required: true, minimum: 1 } },
      });
    });

    const refundCap = { dev: 1_000_000, staging: 50_000_000, prod: 1_000_000 }[stage];
    it(`deploys refunds_enabled like the other flags: on, with a daily cap of ${refundCap.toLocaleString('en')} XOF`, () => {
      const version = versionOf(get().stacks.application.flags.profile);
      const document = JSON.parse(String(version.Properties.Content)) as ReturnType<
        typeof featureFlagsDocument
      >;
      // Declared with its typed attribute, although its schema carries a zod default (for older local files).
      expect(document.flags.refunds_enabled).toEqual({
        name: 'refunds_enabled',
        attributes: { daily_cap_xof: { constraints: { type: 'number', required: true, minimum: 0 } } },
      });
      // The stage's value, not the schema default (off, cap 0) that a partial parse of the overrides would inject.
      expect(document.values.refunds_enabled).toEqual({ enabled: true, daily_cap_xof: refundCap });
      expect(flagsSchema.parse(document.values).refunds_enabled).toEqual({
        enabled: true,
        daily_cap_xof: refundCap,
      });
    });

    it("deploys the stage's fraud rules as their own freeform profile, validated by the schema the code reads them with", () => {
      const flags = get().stacks.application.flags;
      const profile = onlyResource(get().application, 'AWS::AppConfig::ConfigurationProfile', (properties) =>
        isDeepStrictEqual(properties.Name, 'fraud-rules'),
      );
      expect(profile.logicalId).toBe(profileIdOf(flags.fraudRules));
      expect(profile.Properties.Type).toBe('AWS.Freeform');
      // AppConfig refuses a new version (a threshold changed without a deploy) that the code would not read.
      expect(profile.Properties.Validators).toEqual([
        { Type: 'JSON_SCHEMA', Content: JSON.stringify(fraudRulesJsonSchema()) },
      ]);
      const version = versionOf(flags.fraudRules);
      expect(JSON.parse(String(version.Properties.Content))).toEqual(stageFraudRules(config()));
      // One deployment per environment at a time: the rules wait for the flags' deployment.
      const deployments = resourcesOf(get().application, 'AWS::AppConfig::Deployment');
      const [rulesDeployment] = Object.values(deployments).filter((deployment) =>
        isDeepStrictEqual(deployment.Properties.ConfigurationProfileId, { Ref: profile.logicalId }),
      );
      expect(rulesDeployment).toBeDefined();
      const dependsOn = (get().application.toJSON().Resources as Record<string, { DependsOn?: string[] }>)[
        Object.entries(deployments).find(([, d]) => d === rulesDeployment)?.[0] ?? ''
      ]?.DependsOn;
      const flagsDeployment = Object.keys(deployments).find((id) =>
        isDeepStrictEqual(deployments[id]?.Properties.ConfigurationProfileId, {
          Ref: profileIdOf(flags.profile),
        }),
      );
      expect(flagsDeployment).toBeDefined();
      expect(dependsOn ?? []).toContain(flagsDeployment);
    });

    it(`rolls out with the stage's strategy`, () => {
      get().application.hasResourceProperties('AWS::AppConfig::Deployment', {
        DeploymentStrategyId: {
          dev: 'AppConfig.AllAtOnce',
          staging: 'AppConfig.Linear50PercentEvery30Seconds',
          prod: 'AppConfig.Canary10Percent20Minutes',
        }[stage],
      });
    });
  });

  describe('IAM: each function gets exactly the actions it uses on exactly its resources', () => {
    const statementsOf = (route: PublicRouteName) =>
      normalise(get().stacks.application, statementsOfRole(get().application, logicalIdOf(fn(route).role)));
    const app = () => get().stacks.application;
    const data = () => get().stacks.data;
    const allow = (Action: string[], Resource: unknown, Condition?: unknown) => ({
      Effect: 'Allow',
      Action: [...Action].sort(),
      Resource: inTemplate(app(), Resource),
      ...(Condition ? { Condition } : {}),
    });
    const region = STAGE_CONFIGS[stage].env.region;
    const viaDynamo = { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } };
    const viaSns = { StringEquals: { 'kms:ViaService': `sns.${region}.amazonaws.com` } };
    const base = (route: PublicRouteName) => ({
      WriteOwnLogs: allow(['logs:CreateLogStream', 'logs:PutLogEvents'], fn(route).logGroup.logGroupArn),
      XRay: { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
    });
    const secretsAndAlerts = () => ({
      ReadPaydunyaSecretArn: allow(['secretsmanager:GetSecretValue'], data().paydunyaSecret.secretArn),
      ReadSigningSecretArn: allow(['secretsmanager:GetSecretValue'], data().signingSecret.secretArn),
      PublishAlerts: allow(['sns:Publish'], [app().alerts.critical.topicArn, app().alerts.warning.topicArn]),
      AlertsKey: allow(['kms:Decrypt', 'kms:GenerateDataKey'], app().alerts.key.keyArn, viaSns),
    });

    it('create-payment: orders with their audit trail, idempotency, attempts and limit slices (reads every slice when one is full), PII key, both secrets, alerts, its flags', () => {
      expect(statementsOf('createPayment')).toEqual({
        ...base('createPayment'),
        Table: allow(
          [
            'dynamodb:BatchGetItem',
            'dynamodb:ConditionCheckItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          data().table.tableArn,
        ),
        TableKey: allow(
          ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          data().tableKey.keyArn,
          viaDynamo,
        ),
        EncryptPii: allow(['kms:GenerateDataKey'], data().piiKey.keyArn),
        ...secretsAndAlerts(),
        ReadFlags: allow(
          ['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession'],
          app().flags.configurationArn,
        ),
        ReadFraudRules: allow(
          ['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession'],
          app().flags.fraudRulesConfigurationArn,
        ),
      });
    });

    it('payment-status: reads orders and queries the byOwner index only (no writes, no secrets, no PII key, nothing for the JWKS)', () => {
      expect(statementsOf('getPayment')).toEqual({
        ...base('getPayment'),
        Table: allow(['dynamodb:GetItem', 'dynamodb:Query'], data().table.tableArn),
        TableIndexes: allow(
          ['dynamodb:Query'],
          `${data().table.tableArn}/index/${TABLE.indexes.byOwner.name}`,
        ),
        TableKey: allow(['kms:Decrypt'], data().tableKey.keyArn, viaDynamo),
      });
    });

    it('webhook: reads orders (byToken index), updates them with their audit event, counts late payments in the limit slices, re-issues reports (byDay index), secrets, alerts', () => {
      expect(statementsOf('paydunyaWebhook')).toEqual({
        ...base('paydunyaWebhook'),
        Table: allow(
          [
            'dynamodb:BatchGetItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          data().table.tableArn,
        ),
        TableIndexes: allow(
          ['dynamodb:Query'],
          [
            `${data().table.tableArn}/index/${TABLE.indexes.byDay.name}`,
            `${data().table.tableArn}/index/${TABLE.indexes.byToken.name}`,
          ],
        ),
        TableKey: allow(
          ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          data().tableKey.keyArn,
          viaDynamo,
        ),
        ...secretsAndAlerts(),
      });
    });
  });
};
