import { fileURLToPath } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/contract/env';
import { LIMITS, ROUTES } from '../../lambdas/shared/contract/routes';
import { ApiFirewall, WAF_RULES } from '../../lib/constructs/api-firewall';
import { PaymentsApi } from '../../lib/constructs/payments-api';
import { devFunction } from './support/dev-function';
import { logicalIdOf, onlyResource } from './support/template';

/** A bare stack for one construct at a time; bundling skipped so no esbuild runs. */
const bareStack = () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-3' } });
};

const statusEntry = fileURLToPath(
  new URL('../../lambdas/payment-status/payment-status.handler.ts', import.meta.url),
);

const paymentFunction = (stack: Stack) =>
  devFunction(stack, 'Reconcile', { name: 'reconcile', entry: statusEntry, memoryMb: 256 });

describe('PaymentFunction schedules', () => {
  it('invoke the live alias, never $LATEST, with the given input as the event', () => {
    const stack = bareStack();
    const fn = paymentFunction(stack);
    fn.runsOnSchedule('Every15Minutes', Schedule.rate(Duration.minutes(15)), 'reconcile stale orders', {
      task: 'reconcile',
    });
    const template = Template.fromStack(stack);
    const rule = onlyResource(template, 'AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: logicalIdOf(fn.alias) }, Input: '{"task":"reconcile"}' }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { Ref: logicalIdOf(fn.alias) },
      Principal: 'events.amazonaws.com',
    });
  });
});

describe('PaymentsApi operator routes', () => {
  it('are IAM-authorised (SigV4) and need no public reason', () => {
    const stack = bareStack();
    const api = new PaymentsApi(stack, 'Api', {
      stage: 'dev',
      corsOrigins: ['https://dev.temba.app'],
      throttling: { rateLimit: 10, burstLimit: 20 },
      logRetention: RetentionDays.TWO_WEEKS,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    api.addRoute(ROUTES.adminReport, paymentFunction(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.path.date': true },
    });
  });

  it('refuse a public route without a stated reason', () => {
    const stack = bareStack();
    const api = new PaymentsApi(stack, 'Api', {
      stage: 'dev',
      corsOrigins: ['https://dev.temba.app'],
      throttling: { rateLimit: 10, burstLimit: 20 },
      logRetention: RetentionDays.TWO_WEEKS,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    expect(() => api.addRoute(ROUTES.createPayment, paymentFunction(stack))).toThrow(
      'POST /payments has no authorizer: say why (publicBecause)',
    );
  });
});

describe('PaymentsApi customer and PayDunya routes', () => {
  const api = (stack: Stack) =>
    new PaymentsApi(stack, 'Api', {
      stage: 'dev',
      corsOrigins: ['https://dev.temba.app'],
      throttling: { rateLimit: 10, burstLimit: 20 },
      logRetention: RetentionDays.TWO_WEEKS,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
  const AUTH = {
    issuer: 'https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_AbCdEf123',
    jwksUri: 'https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_AbCdEf123/.well-known/jwks.json',
    audience: ['1example23456789abcdefghij'],
    audienceClaim: 'client_id' as const,
    algorithms: ['RS256' as const],
  };
  const reason =
    'Authenticated in the handler: bearer JWT verified against the stage JWKS before anything else.';

  it('refuse a customer route whose function does not verify tokens', () => {
    const stack = bareStack();
    expect(() =>
      api(stack).addRoute(ROUTES.listPayments, paymentFunction(stack), { publicBecause: reason }),
    ).toThrow('GET /payments is a customer route: its function must verify tokens (verifiesCustomerTokens)');
  });

  it('serve a customer route without an API Gateway authorizer, its function carrying the provider with defaults', () => {
    const stack = bareStack();
    const fn = paymentFunction(stack).verifiesCustomerTokens(AUTH);
    api(stack).addRoute(ROUTES.listPayments, fn, { publicBecause: reason, cors: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'NONE',
    });
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    const variables = (
      onlyResource(template, 'AWS::Lambda::Function').Properties.Environment as {
        Variables: Record<string, string>;
      }
    ).Variables;
    expect(JSON.parse(variables[ENV.customerAuth] ?? '')).toEqual({
      ...AUTH,
      clockSkewSeconds: 30,
      jwksCacheSeconds: 600,
    });
  });

  it('refuse a PayDunya route outside /webhooks/', () => {
    const stack = bareStack();
    expect(() =>
      api(stack).addRoute(
        { method: 'POST', path: '/paydunya/ipn', auth: 'paydunya' },
        paymentFunction(stack),
        {
          publicBecause: reason,
        },
      ),
    ).toThrow('POST /paydunya/ipn is a PayDunya callback: it belongs under /webhooks/');
  });
});

describe('ApiFirewall webhook allowlist', () => {
  let template: Template;

  beforeAll(() => {
    const stack = bareStack();
    new ApiFirewall(stack, 'Firewall', {
      stage: 'prod',
      apiStageArn: 'arn:aws:apigateway:eu-west-3::/restapis/abc/stages/v1',
      paymentsPath: ROUTES.createPayment.path,
      webhooksPathPrefix: '/webhooks/',
      webhookPaths: [ROUTES.paydunyaWebhook.path, ROUTES.disbursementWebhook.path],
      paymentsRateLimit: { limit: 10, windowSeconds: 600 },
      globalRateLimit: { limit: 1000, windowSeconds: 300 },
      webhookAllowlist: { ipv4: ['203.0.113.0/24'], ipv6: ['2001:db8::/32'] },
      maxBodyBytes: LIMITS.maxBodyBytes,
      logRetention: RetentionDays.ONE_YEAR,
      logRemovalPolicy: RemovalPolicy.RETAIN,
    });
    template = Template.fromStack(stack);
  });

  it('blocks /webhooks/* (the IPN and the disbursement callback) from any address outside the configured IPv4 and IPv6 sets', () => {
    template.hasResourceProperties('AWS::WAFv2::IPSet', {
      IPAddressVersion: 'IPV4',
      Addresses: ['203.0.113.0/24'],
    });
    template.hasResourceProperties('AWS::WAFv2::IPSet', {
      IPAddressVersion: 'IPV6',
      Addresses: ['2001:db8::/32'],
    });
    const rules = onlyResource(template, 'AWS::WAFv2::WebACL').Properties.Rules as {
      Name: string;
      Action?: unknown;
      Statement: { AndStatement?: { Statements: Record<string, unknown>[] } };
    }[];
    const allowlist = rules.find((rule) => rule.Name === WAF_RULES.webhookAllowlist);
    expect(allowlist?.Action).toEqual({ Block: {} });
    const [path, outside] = allowlist?.Statement.AndStatement?.Statements ?? [];
    expect(path).toMatchObject({
      ByteMatchStatement: { SearchString: '/webhooks/', PositionalConstraint: 'CONTAINS' },
    });
    expect(JSON.stringify(outside)).toMatch(/^\{"NotStatement":\{"Statement":\{"OrStatement"/);
    // Both PayDunya callbacks sit under the prefix the rule matches (CONTAINS, so with or without a stage prefix).
    for (const route of [ROUTES.paydunyaWebhook, ROUTES.disbursementWebhook])
      expect(`/v1${route.path}`.toLowerCase()).toContain('/webhooks/');
  });

  it("still rate-limits every other route per IP, and leaves PayDunya's two callbacks to the allowlist rule", () => {
    const rules = onlyResource(template, 'AWS::WAFv2::WebACL').Properties.Rules as {
      Name: string;
      Priority: number;
      Statement: { RateBasedStatement?: { ScopeDownStatement?: unknown } };
    }[];
    const global = rules.find((rule) => rule.Name === WAF_RULES.globalRate);
    const allowlist = rules.find((rule) => rule.Name === WAF_RULES.webhookAllowlist);
    const endsWith = (path: string) => ({
      ByteMatchStatement: expect.objectContaining({
        FieldToMatch: { UriPath: {} },
        PositionalConstraint: 'ENDS_WITH',
        SearchString: path,
      }),
    });
    expect(global?.Statement.RateBasedStatement?.ScopeDownStatement).toEqual({
      NotStatement: {
        Statement: {
          OrStatement: {
            Statements: [endsWith(ROUTES.paydunyaWebhook.path), endsWith(ROUTES.disbursementWebhook.path)],
          },
        },
      },
    });
    // The allowlist is evaluated first: an IPN from outside the PayDunya set is blocked before any rate rule.
    expect(allowlist?.Priority).toBeLessThan(global?.Priority ?? 0);
  });

  it('keeps the single-path scope-down as one match when only the IPN is given', () => {
    const stack = bareStack();
    new ApiFirewall(stack, 'Firewall', {
      stage: 'dev',
      apiStageArn: 'arn:aws:apigateway:eu-west-3::/restapis/abc/stages/v1',
      paymentsPath: '/payments',
      webhooksPathPrefix: '/webhooks/',
      webhookPaths: ['/webhooks/paydunya'],
      paymentsRateLimit: { limit: 10, windowSeconds: 600 },
      globalRateLimit: { limit: 1000, windowSeconds: 300 },
      webhookAllowlist: { ipv4: [], ipv6: [] },
      maxBodyBytes: LIMITS.maxBodyBytes,
      logRetention: RetentionDays.ONE_WEEK,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const rules = onlyResource(Template.fromStack(stack), 'AWS::WAFv2::WebACL').Properties.Rules as {
      Name: string;
      Statement: { RateBasedStatement?: { ScopeDownStatement?: unknown } };
    }[];
    expect(
      rules.find((rule) => rule.Name === WAF_RULES.globalRate)?.Statement.RateBasedStatement
        ?.ScopeDownStatement,
    ).toMatchObject({
      NotStatement: { Statement: { ByteMatchStatement: { SearchString: '/webhooks/paydunya' } } },
    });
  });

  it('refuses a body limit WAF cannot inspect', () => {
    const stack = bareStack();
    expect(
      () =>
        new ApiFirewall(stack, 'Firewall', {
          stage: 'dev',
          apiStageArn: 'arn:aws:apigateway:eu-west-3::/restapis/abc/stages/v1',
          paymentsPath: '/payments',
          webhooksPathPrefix: '/webhooks/',
          webhookPaths: ['/webhooks/paydunya'],
          paymentsRateLimit: { limit: 10, windowSeconds: 600 },
          globalRateLimit: { limit: 1000, windowSeconds: 300 },
          webhookAllowlist: { ipv4: [], ipv6: [] },
          maxBodyBytes: 100 * 1024,
          logRetention: RetentionDays.ONE_WEEK,
          logRemovalPolicy: RemovalPolicy.DESTROY,
        }),
    ).toThrow('WAF cannot inspect bodies of 102400 bytes (64 KB at most)');
  });
});
