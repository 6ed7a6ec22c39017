import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  DomainName,
  EndpointType,
  JsonSchemaType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  type Model,
  type RequestValidator,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteAuth } from '../../lambdas/shared/contract/routes';
import type { PaymentFunction } from './payment-function';

/** An API Gateway token bucket: steady requests a second, and how many may arrive at once. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface PaymentsApiProps {
  readonly stage: string;
  readonly corsOrigins: readonly string[];
  /** The stage default: each method without its own limit gets a bucket of this size (per method, not shared). */
  readonly throttling: Throttle;
  /** Methods with their own bucket, e.g. a polled GET sized apart from the checkout POST. */
  readonly methodThrottling?: readonly (Throttle & { readonly method: string; readonly path: string })[];
  readonly customDomain?: { readonly domainName: string; readonly certificateArn?: string };
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

export interface Route {
  readonly method: string;
  readonly path: string;
  /**
   * `iam`: callers sign with SigV4, checked by API Gateway (AWS_IAM). `customer`: a bearer token the handler verifies
   * (no API Gateway authorizer), so the function must carry the identity provider (`verifiesCustomerTokens`).
   * `paydunya`: PayDunya's callbacks, under `/webhooks/` only (where the WAF allowlist applies).
   */
  readonly auth: RouteAuth;
}

/** Where PayDunya's callbacks live: the WAF allowlist and the global rule's exclusion match this prefix. */
export const WEBHOOKS_PREFIX = '/webhooks/';

export interface RouteOptions {
  /** The body must be a JSON object (field-level validation stays in the handler, which lists every field). */
  readonly jsonObjectBody?: boolean;
  /** Browsers on the configured origins may call it (adds the OPTIONS preflight). */
  readonly cors?: boolean;
  /**
   * Why a route without an API Gateway authorizer is acceptable (cdk-nag APIG4/COG4 acknowledgements carry it):
   * how the handler authenticates the caller. Required unless the route is IAM.
   */
  readonly publicBecause?: string;
}

/** Stage name of the deployment; invisible behind the custom domain, part of the URL without one. */
export const API_STAGE_NAME = 'v1';

/** Execution logging and metrics of every method: a method with its own settings must repeat them. */
const METHOD_LOGGING = {
  loggingLevel: MethodLoggingLevel.INFO,
  dataTraceEnabled: false,
  metricsEnabled: true,
} as const;

/**
 * The public REST API (regional: WAF attaches only to REST APIs): JSON access logs, execution logging without
 * request/response bodies (they carry customer details), X-Ray, stage and per-method throttling, request validation,
 * CORS for the configured origins only, TLS 1.2 on the custom domain. Integrations target the functions'
 * `live` alias, never `$LATEST`.
 */
export class PaymentsApi extends Construct {
  readonly api: RestApi;
  /** The base the webhook callback URL is built from: the custom domain, or the stage's execute-api URL. */
  readonly publicBaseUrl: string;
  private readonly validator: RequestValidator;
  private readonly corsOrigins: readonly string[];
  private jsonObjectModel?: Model;

  constructor(scope: Construct, id: string, props: PaymentsApiProps) {
    super(scope, id);
    this.corsOrigins = props.corsOrigins;
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    this.api = new RestApi(this, 'Api', {
      restApiName: `temba-payments-${props.stage}`,
      description: `Temba payments ${props.stage}: checkout, payment status, PayDunya IPN`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Behind a custom domain the execute-api URL is switched off, so TLS 1.2 and WAF cannot be bypassed.
      disableExecuteApiEndpoint: props.customDomain !== undefined,
      // Execution logging needs the account-level API Gateway CloudWatch role; it outlives this stack.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        // What the on-call needs to follow one request; never bodies, headers or query strings.
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            ip: AccessLogField.contextIdentitySourceIp(),
            requestTime: AccessLogField.contextRequestTime(),
            httpMethod: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            status: AccessLogField.contextStatus(),
            protocol: AccessLogField.contextProtocol(),
            responseLength: AccessLogField.contextResponseLength(),
            responseLatency: AccessLogField.contextResponseLatency(),
            integrationStatus: AccessLogField.contextIntegrationStatus(),
            integrationLatency: AccessLogField.contextIntegrationLatency(),
            integrationError: AccessLogField.contextIntegrationErrorMessage(),
            error: AccessLogField.contextErrorMessage(),
            wafStatus: AccessLogField.contextWafResponseCode(),
            xrayTraceId: AccessLogField.contextXrayTraceId(),
          }),
        ),
        ...METHOD_LOGGING,
        tracingEnabled: true,
        throttlingRateLimit: props.throttling.rateLimit,
        throttlingBurstLimit: props.throttling.burstLimit,
        // Keyed `<resource path>/<HTTP method>`, e.g. `/payments/{orderId}/GET`.
        methodOptions: Object.fromEntries(
          (props.methodThrottling ?? []).map((limit) => [
            `${limit.path}/${limit.method}`,
            {
              ...METHOD_LOGGING,
              throttlingRateLimit: limit.rateLimit,
              throttlingBurstLimit: limit.burstLimit,
            },
          ]),
        ),
      },
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'API Gateway execution logging requires this account-level role; the AWS-managed policy is the documented ' +
          'one and only allows writing API Gateway logs.',
      });
    }

    this.validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    if (props.customDomain) {
      const { domainName, certificateArn } = props.customDomain;
      const certificate: ICertificate = certificateArn
        ? Certificate.fromCertificateArn(this, 'Certificate', certificateArn)
        : // Validated by the CNAME record ACM asks for; the deploy waits until it exists in the temba.app zone.
          new Certificate(this, 'Certificate', { domainName, validation: CertificateValidation.fromDns() });
      const domain = new DomainName(this, 'Domain', {
        domainName,
        certificate,
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
        mapping: this.api,
      });
      this.publicBaseUrl = `https://${domainName}`;
      new CfnOutput(this, 'DnsTarget', {
        description: `Point ${domainName} (CNAME or alias) at this regional API Gateway domain`,
        value: domain.domainNameAliasDomainName,
      });
    } else {
      const { region, urlSuffix } = Stack.of(this);
      this.publicBaseUrl = `https://${this.api.restApiId}.execute-api.${region}.${urlSuffix}/${API_STAGE_NAME}`;
    }
  }

  /** Adds `route` invoking the function's `live` alias, with request validation and the route's options. */
  addRoute(route: Route, target: PaymentFunction, options: RouteOptions = {}): Method {
    const authorizationType = route.auth === 'iam' ? AuthorizationType.IAM : AuthorizationType.NONE;
    if (authorizationType === AuthorizationType.NONE && !options.publicBecause)
      throw new Error(`${route.method} ${route.path} has no authorizer: say why (publicBecause)`);
    if (route.auth === 'customer' && target.customerAuth === undefined) {
      throw new Error(
        `${route.method} ${route.path} is a customer route: its function must verify tokens (verifiesCustomerTokens)`,
      );
    }
    if (route.auth === 'paydunya' && !route.path.startsWith(WEBHOOKS_PREFIX)) {
      throw new Error(
        `${route.method} ${route.path} is a PayDunya callback: it belongs under ${WEBHOOKS_PREFIX}`,
      );
    }
    const resource = this.api.root.resourceForPath(route.path);
    if (options.cors && !resource.node.tryFindChild('OPTIONS')) {
      const preflight = resource.addCorsPreflight({
        allowOrigins: [...this.corsOrigins],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'Idempotency-Key', 'Authorization'],
        maxAge: Duration.hours(1),
      });
      for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(preflight).acknowledge({
          id: rule,
          reason:
            'CORS preflight (OPTIONS) is answered by a mock integration and, per the CORS spec, never carries credentials.',
        });
      }
    }
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const method = resource.addMethod(
      route.method,
      new LambdaIntegration(target.alias, { allowTestInvoke: false }),
      {
        authorizationType,
        requestValidator: this.validator,
        requestParameters: Object.fromEntries(
          pathParameters.map((name) => [`method.request.path.${name}`, true]),
        ),
        ...(options.jsonObjectBody ? { requestModels: { 'application/json': this.jsonObject() } } : {}),
      },
    );
    if (authorizationType === AuthorizationType.NONE) {
      for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(method).acknowledge({ id: rule, reason: String(options.publicBecause) });
      }
    } else {
      // IAM is authorization (APIG4 passes); COG4 asks for a Cognito user pool specifically.
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Operator route authorised with IAM (SigV4): callers are IAM principals of the account, granted ' +
          'execute-api:Invoke; there are no end users to put in a Cognito user pool.',
      });
    }
    return method;
  }

  private jsonObject(): Model {
    this.jsonObjectModel ??= this.api.addModel('JsonObject', {
      contentType: 'application/json',
      modelName: 'JsonObject',
      description:
        'Any JSON object; the handler validates each field and answers with the full list of errors',
      schema: { type: JsonSchemaType.OBJECT },
    });
    return this.jsonObjectModel;
  }
}
