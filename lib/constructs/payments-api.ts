import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayDomain } from 'aws-cdk-lib/aws-route53-targets';
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
  /**
   * Served on this domain instead of the execute-api URL (switched off). Its certificate is either validated in
   * `hostedZone` (which also gets the domain's alias record) or given, already ISSUED, as `certificateArn`.
   */
  readonly customDomain?: {
    readonly domainName: string;
    readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
    readonly certificateArn?: string;
  };
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** The stage's logs key (customer-managed) for the access and execution logs; the stacks always pass it. */
  readonly logKey?: IKey;
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
   * Why a route without an API Gateway authorizer is acceptable: how the handler authenticates the caller. Required
   * unless the route is IAM (the cdk-nag APIG4/COG4 acknowledgements, lib/compliance/nag-acknowledgements.ts, say
   * the same for each public route).
   */
  readonly publicBecause?: string;
}

/** Stage name of the deployment; invisible behind the custom domain, part of the URL without one. */
export const API_STAGE_NAME = 'v1';

/** The application stack's output naming the regional domain the custom domain's DNS record points at. */
export const API_DOMAIN_TARGET_OUTPUT = 'ApiDomainTarget';
/** The application stack's output naming the custom domain's ACM certificate (given, or made by the stack). */
export const API_CERTIFICATE_OUTPUT = 'ApiCertificateArn';

/** Execution logging and metrics of every method: a method with its own settings must repeat them. */
const METHOD_LOGGING = {
  loggingLevel: MethodLoggingLevel.INFO,
  dataTraceEnabled: false,
  metricsEnabled: true,
} as const;

/** The log group API Gateway writes a stage's execution logs to (it creates it, without retention, if missing). */
export const executionLogGroupName = (restApiId: string, stageName: string): string =>
  `API-Gateway-Execution-Logs_${restApiId}/${stageName}`;

/**
 * The public REST API (regional: WAF attaches only to REST APIs): JSON access logs, execution logging without
 * request/response bodies (they carry customer details), X-Ray, stage and per-method throttling, request validation,
 * CORS for the configured origins only, TLS 1.2 on the custom domain. Integrations target the functions'
 * `live` alias, never `$LATEST`. Both log groups (access, execution) are the stack's: the stage's logs key and
 * retention; the execution log group is created before the stage, so API Gateway never makes its own.
 */
export class PaymentsApi extends Construct {
  readonly api: RestApi;
  /** The base the webhook callback URL is built from: the custom domain, or the stage's execute-api URL. */
  readonly publicBaseUrl: string;
  readonly accessLogs: LogGroup;
  /** `API-Gateway-Execution-Logs_<api id>/v1`, made here so it has the stage's retention and key. */
  readonly executionLogs: LogGroup;
  private readonly validator: RequestValidator;
  private readonly corsOrigins: readonly string[];
  private jsonObjectModel?: Model;

  constructor(scope: Construct, id: string, props: PaymentsApiProps) {
    super(scope, id);
    this.corsOrigins = props.corsOrigins;
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logKey,
    });
    this.accessLogs = accessLogs;

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
    // Named after the API's id, which a re-created API changes: a retained group never blocks a redeploy.
    this.executionLogs = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: executionLogGroupName(this.api.restApiId, API_STAGE_NAME),
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logKey,
    });
    // The stage starts logging as soon as it exists: its group must be there first.
    this.api.deploymentStage.node.addDependency(this.executionLogs);

    this.validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    if (props.customDomain) {
      const { domainName, hostedZone, certificateArn } = props.customDomain;
      const zone = hostedZone && HostedZone.fromHostedZoneAttributes(this, 'Zone', hostedZone);
      let certificate: ICertificate;
      if (certificateArn) {
        certificate = Certificate.fromCertificateArn(this, 'Certificate', certificateArn);
      } else if (zone) {
        // CloudFormation writes ACM's validation record in the zone itself: the deploy never waits on a person.
        certificate = new Certificate(this, 'Certificate', {
          domainName,
          validation: CertificateValidation.fromDns(zone),
        });
      } else {
        throw new Error(
          `${domainName}: say how its certificate is validated (hostedZone or certificateArn), or the deploy waits ` +
            'for a DNS record nobody was told to add',
        );
      }
      const domain = new DomainName(this, 'Domain', {
        domainName,
        certificate,
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
        mapping: this.api,
      });
      this.publicBaseUrl = `https://${domainName}`;
      if (zone) {
        new ARecord(this, 'DomainAlias', {
          zone,
          recordName: domainName,
          target: RecordTarget.fromAlias(new ApiGatewayDomain(domain)),
        });
      }
      new CfnOutput(this, 'DnsTarget', {
        description: zone
          ? `${domainName} is an alias (A record in ${zone.zoneName}) of this regional API Gateway domain`
          : `Point ${domainName} at this regional API Gateway domain (CNAME, or alias in a Route 53 zone)`,
        value: domain.domainNameAliasDomainName,
      }).overrideLogicalId(API_DOMAIN_TARGET_OUTPUT);
      // Preflight reads it to check the certificate is ISSUED and not about to expire.
      new CfnOutput(this, 'CertificateArn', {
        description: `ACM certificate of ${domainName}`,
        value: certificate.certificateArn,
      }).overrideLogicalId(API_CERTIFICATE_OUTPUT);
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
      resource.addCorsPreflight({
        allowOrigins: [...this.corsOrigins],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'Idempotency-Key', 'Authorization'],
        maxAge: Duration.hours(1),
      });
    }
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    return resource.addMethod(route.method, new LambdaIntegration(target.alias, { allowTestInvoke: false }), {
      authorizationType,
      requestValidator: this.validator,
      requestParameters: Object.fromEntries(
        pathParameters.map((name) => [`method.request.path.${name}`, true]),
      ),
      ...(options.jsonObjectBody ? { requestModels: { 'application/json': this.jsonObject() } } : {}),
    });
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
