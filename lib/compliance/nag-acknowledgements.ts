import { type Stack, Validations } from 'aws-cdk-lib';
import { type CfnMethod, type CfnStage, Method, Stage } from 'aws-cdk-lib/aws-apigateway';
import { Environment } from 'aws-cdk-lib/aws-appconfig';
import { BackupSelection } from 'aws-cdk-lib/aws-backup';
import { LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { Role } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { ROUTES, type RouteName } from '../../lambdas/shared/contract/routes';
import { DRILL_TABLE } from '../../lambdas/shared/contract/table';
import type { StageConfig } from '../config';
import { AsyncFailures } from '../constructs/async-failures';
import { PaymentEvents } from '../constructs/payment-events';
import { PaymentFunction } from '../constructs/payment-function';
import { API_STAGE_NAME } from '../constructs/payments-api';
import { RESTORE_DRILL_STAGES } from '../constructs/restore-drill';

/**
 * Every cdk-nag finding this project accepts, in one place, each with the reason a reviewer would accept. Nothing
 * else in the code acknowledges a rule (a test makes sure). Packs: AwsSolutions, PCI DSS 3.2.1, Serverless.
 *
 * An entry names the rules, the stack, and a predicate picking the constructs it concerns (a resource or the L2
 * construct around it, never a stack); `acknowledgeNagFindings` applies it to every construct it matches after the
 * stage is built, and reports what each entry matched so the tests can refuse a stale one.
 */
export interface NagAcknowledgement {
  /** Rule ids as cdk-nag reports them, with the finding in brackets where the rule reports one. */
  readonly rules: readonly string[];
  readonly stack: 'data' | 'application';
  /** The constructs concerned, in words (the tests name the entry by it). */
  readonly what: string;
  readonly matches: (construct: IConstruct) => boolean;
  readonly reason: string;
}

/** The two stacks of a stage, as far as acknowledgements are concerned. */
export interface StageStacks {
  readonly data: Stack;
  readonly application: Stack;
}

/** What one entry acknowledged: the construct paths it matched (none means the entry is stale). */
export interface AppliedAcknowledgement {
  readonly acknowledgement: NagAcknowledgement;
  readonly paths: readonly string[];
}

/**
 * Why each public route has no API Gateway authorizer. `ApplicationStack` passes these as the routes'
 * `publicBecause` (a public route without one is refused), and the APIG4/COG4 acknowledgements below carry them.
 */
const VERIFIED_IN_HANDLER =
  'Authenticated, not public: the handler verifies the Authorization bearer JWT (jose, the stage identity ' +
  "provider's JWKS, issuer, audience, RS256/ES256 only, exp/nbf) before reading or writing anything, and answers " +
  '401 otherwise. Not an API Gateway authorizer: the same code runs in local mode, no extra invocation per ' +
  'request and no authorizer result cache that would accept a token after it expires; the JWKS is cached per ' +
  'warm container.';

export const PUBLIC_ROUTE_REASONS = {
  createPayment:
    `${VERIFIED_IN_HANDLER} The order belongs to the token's subject; attempts are limited per subject and per ` +
    'phone, the day by the daily limit, retries by idempotency keys.',
  listPayments:
    `${VERIFIED_IN_HANDLER} It lists only the token subject's own orders (byOwner index keyed by subject), a ` +
    'page at a time.',
  getPayment:
    `${VERIFIED_IN_HANDLER} Another subject's order answers 404, exactly as a missing one; the answer holds only ` +
    'status and masked customer details.',
  paydunyaWebhook:
    'PayDunya cannot send credentials: each IPN is authenticated by the master-key hash and our HMAC-signed ' +
    'callback URL, then trusted only after a confirm call to PayDunya; WAF restricts sources when an IP set exists.',
  disbursementWebhook:
    'PayDunya cannot sign its disbursement callbacks: the callback URL carries an HMAC signature made by us for ' +
    'that refund, and each callback is only a trigger, confirmed with a check-status call to PayDunya before ' +
    'anything changes; WAF restricts sources when an IP set exists.',
} as const satisfies Partial<Record<RouteName, string>>;

type PublicRoute = keyof typeof PUBLIC_ROUTE_REASONS;

const functionNamed = (config: StageConfig, names: readonly string[]) => {
  const full = new Set(names.map((name) => `temba-payments-${config.stage}-${name}`));
  return (construct: IConstruct): boolean =>
    construct instanceof NodejsFunction &&
    construct.node.scope instanceof PaymentFunction &&
    full.has(construct.node.scope.functionName);
};

const inPaymentFunction =
  <T>(type: abstract new (...args: never[]) => T) =>
  (construct: IConstruct): boolean =>
    construct instanceof type && construct.node.scope instanceof PaymentFunction;

const authorizationOf = (method: Method): unknown =>
  (method.node.defaultChild as CfnMethod).authorizationType;

const isRouteMethod = (name: RouteName) => (construct: IConstruct) =>
  construct instanceof Method &&
  construct.httpMethod === ROUTES[name].method &&
  construct.resource.path === ROUTES[name].path;

/** The API's deployment stage (its L2 `stageName` is a token; the resource holds the literal name). */
const isApiStage = (construct: IConstruct): boolean =>
  construct instanceof Stage && (construct.node.defaultChild as CfnStage).stageName === API_STAGE_NAME;

const queueIn =
  (owner: abstract new (...args: never[]) => IConstruct) =>
  (construct: IConstruct): boolean =>
    construct instanceof Queue && construct.node.scope instanceof owner;

/** The functions API Gateway invokes (synchronously, proxy integration). */
const API_FUNCTIONS = [...new Set(Object.values(ROUTES).map((route) => route.fn))];

/** Every acknowledgement of one stage (some only exist where their resources do, e.g. the restore drill). */
export const nagAcknowledgements = (config: StageConfig, stacks: StageStacks): NagAcknowledgement[] => {
  const app = stacks.application;
  const publicRoute = (name: PublicRoute): NagAcknowledgement => ({
    rules: ['AwsSolutions-APIG4', 'AwsSolutions-COG4'],
    stack: 'application',
    what: `${ROUTES[name].method} ${ROUTES[name].path} (public route ${name}, no API Gateway authorizer)`,
    matches: isRouteMethod(name),
    reason: PUBLIC_ROUTE_REASONS[name],
  });

  const entries: NagAcknowledgement[] = [
    // ---- Data stack ----
    {
      rules: ['AwsSolutions-SMG4'],
      stack: 'data',
      what: 'the PayDunya keys secret (no automatic rotation)',
      matches: (c) => c instanceof Secret && c.node.id === 'PaydunyaKeys',
      reason:
        'PayDunya issues these keys in its merchant dashboard and offers no API to rotate them, so Secrets Manager ' +
        'cannot rotate them; an operator rotates them by hand (new keys in PayDunya, then put-secret-value).',
    },
    {
      rules: ['AwsSolutions-SMG4'],
      stack: 'data',
      what: 'the callback-signing secret (no automatic rotation)',
      matches: (c) => c instanceof Secret && c.node.id === 'SigningSecret',
      reason:
        'Rotating the callback-signing secret invalidates the signed callback URL of every invoice still pending at ' +
        'PayDunya, so it is rotated by hand in a quiet window after reconcile has settled pending orders.',
    },
    // ---- Functions (every PaymentFunction) ----
    {
      rules: ['AwsSolutions-IAM5[Resource::*]'],
      stack: 'application',
      what: "every function's role: the X-Ray statement on *",
      matches: inPaymentFunction(Role),
      reason:
        'Only the X-Ray statement (xray:PutTraceSegments, xray:PutTelemetryRecords) uses *: these X-Ray actions ' +
        'support no resource-level permissions. Every other statement names its resource.',
    },
    {
      rules: ['PCI.DSS.321-IAMNoInlinePolicy'],
      stack: 'application',
      what: "every function's role: its own inline policy",
      matches: inPaymentFunction(Role),
      reason:
        'One role per function (PaymentFunction), assumed only by lambda.amazonaws.com, and its inline policy is ' +
        "attached to that role alone: each statement names the function's own table actions, keys, secrets, " +
        'topics. Nothing is shared between roles (the compliance suite checks every inline policy has exactly one ' +
        'role), so a managed policy would widen nothing and only separate a grant from the code that needs it.',
    },
    {
      rules: [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      ],
      stack: 'application',
      what: "every function's CodeDeploy deployment group role (AWS-managed policy)",
      matches: inPaymentFunction(LambdaDeploymentGroup),
      reason:
        'CodeDeploy shifts the live alias with the AWS-managed "Limited" Lambda policy (alias update, hooks, alarms ' +
        'read); only CodeDeploy can assume the role.',
    },
    {
      rules: ['PCI.DSS.321-LambdaInsideVPC'],
      stack: 'application',
      what: 'every function (outside any VPC)',
      matches: inPaymentFunction(NodejsFunction),
      reason:
        'No cardholder data reaches these functions (customers pay on PayDunya-hosted checkout pages) and there is ' +
        'no VPC resource to reach: they call only AWS APIs (DynamoDB, KMS, Secrets Manager, SNS, AppConfig, ' +
        'EventBridge, X-Ray) with SigV4 over TLS, PayDunya and the JWKS URL over HTTPS. Compensating: nothing can ' +
        'connect to them (every Lambda permission names its source ARN and account), one least-privilege role each, ' +
        'data encrypted with customer keys, WAF in front of the API. A VPC would add a NAT path, not a control.',
    },
    {
      rules: ['Serverless-LambdaDLQ'],
      stack: 'application',
      what: 'the API functions (invoked synchronously by API Gateway)',
      matches: functionNamed(config, API_FUNCTIONS),
      reason:
        'API Gateway invokes these functions synchronously (Lambda proxy integration): an error goes back to the ' +
        'caller as a 5xx (PayDunya redelivers an IPN, reconcile settles what stays pending), and a dead-letter queue ' +
        'only ever receives asynchronous invocations, which these functions never get.',
    },
    {
      rules: ['Serverless-LambdaDLQ'],
      stack: 'application',
      what: 'the event publisher (invoked by its DynamoDB stream mapping)',
      matches: functionNamed(config, ['event-publisher']),
      reason:
        'The event publisher is invoked synchronously by its DynamoDB stream event source mapping, never ' +
        'asynchronously: a batch it gives up on after 10 retries goes to the mapping on-failure destination (the ' +
        'event publisher dead-letter queue, alarmed), which a function DLQ would never see.',
    },
    {
      rules: ['Serverless-LambdaDLQ'],
      stack: 'application',
      what: 'the scheduled functions (reconcile, restore drill): on-failure destination instead',
      matches: functionNamed(config, ['reconcile', 'restore-drill']),
      reason:
        'The schedules invoke the live alias asynchronously and its EventInvokeConfig sends each failed run, after 2 ' +
        'retries or an hour, to the async failures queue as an on-failure destination (the record carries the error ' +
        'and the request, a DLQ only the event). Both would deliver every failure twice, so no function DLQ.',
    },

    // ---- API Gateway ----
    {
      rules: [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      ],
      stack: 'application',
      what: "API Gateway's account-level CloudWatch role (AWS-managed policy)",
      matches: (c) => c instanceof Role && c.node.id === 'CloudWatchRole',
      reason:
        'API Gateway execution logging requires this account-level role; the AWS-managed policy is the documented ' +
        'one and only allows writing API Gateway logs.',
    },
    {
      rules: ['AwsSolutions-APIG4', 'AwsSolutions-COG4'],
      stack: 'application',
      what: 'the CORS preflights (OPTIONS)',
      matches: (c) => c instanceof Method && c.httpMethod === 'OPTIONS',
      reason:
        'CORS preflight (OPTIONS) is answered by a mock integration and, per the CORS spec, never carries credentials.',
    },
    ...(Object.keys(PUBLIC_ROUTE_REASONS) as PublicRoute[]).map(publicRoute),
    {
      rules: ['AwsSolutions-COG4'],
      stack: 'application',
      what: 'the IAM-authorised operator and service routes',
      matches: (c) => c instanceof Method && authorizationOf(c) === 'AWS_IAM',
      reason:
        'Operator route authorised with IAM (SigV4): callers are IAM principals of the account, granted ' +
        'execute-api:Invoke; there are no end users to put in a Cognito user pool.',
    },
    {
      rules: ['PCI.DSS.321-APIGWCacheEnabledAndEncrypted'],
      stack: 'application',
      what: `the API stage ${API_STAGE_NAME} (no cache)`,
      matches: isApiStage,
      reason:
        'Caching is off on purpose, so there is nothing to encrypt: every answer depends on the caller (bearer ' +
        "token subject, IAM principal) and on an order's current status, so a cached GET /payments/{orderId} could " +
        "serve one customer's payment status to another, or a stale status after PayDunya settles it.",
    },
    {
      rules: ['PCI.DSS.321-APIGWSSLEnabled'],
      stack: 'application',
      what: `the API stage ${API_STAGE_NAME} (no backend client certificate)`,
      matches: isApiStage,
      reason:
        'The rule asks for a client certificate API Gateway presents to HTTP backends. Every integration here is a ' +
        'Lambda proxy (AWS_PROXY, invoked through the Lambda API with SigV4 over TLS) or a CORS mock: no HTTP ' +
        'backend exists to authenticate. Clients reach the API over TLS only (TLS 1.2 policy on the custom domain).',
    },

    // ---- AppConfig ----
    {
      rules: ['AwsSolutions-IAM5[Resource::*]'],
      stack: 'application',
      what: 'the AppConfig monitor role (cloudwatch:DescribeAlarms on *)',
      matches: (c) => c instanceof Role && c.node.scope instanceof Environment,
      reason:
        'AppConfig reads the state of its monitor alarms with cloudwatch:DescribeAlarms, a read-only list action ' +
        'granted on * as in the AppConfig documentation; the role can do nothing else.',
    },
    {
      rules: ['PCI.DSS.321-IAMNoInlinePolicy'],
      stack: 'application',
      what: 'the AppConfig monitor role (inline policy written by CDK)',
      matches: (c) => c instanceof Role && c.node.scope instanceof Environment,
      reason:
        "CDK writes this role's one inline statement (cloudwatch:DescribeAlarms) for the AppConfig environment's " +
        'monitors; only appconfig.amazonaws.com can assume the role and no other role shares the policy.',
    },

    // ---- Dead-letter queues ----
    {
      rules: ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      stack: 'application',
      what: "the event publisher's dead-letter queue",
      matches: queueIn(PaymentEvents),
      reason:
        "This queue is itself a dead-letter queue: the on-failure destination of the event publisher's stream " +
        'mapping (cdk-nag only recognises queues named in another queue redrive policy). Nothing consumes it ' +
        'automatically; its alarm pages the on-call, who replays the batch.',
    },
    {
      rules: ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      stack: 'application',
      what: 'the async failures dead-letter queue',
      matches: queueIn(AsyncFailures),
      reason:
        'This queue is itself the dead-letter queue of the scheduled runs (on-failure destination), of the ' +
        'EventBridge schedule targets and of the alert subscriptions: nothing consumes it automatically, so it has ' +
        'no queue behind it; its alarm (async-failures-not-empty) tells the on-call at the first message.',
    },
  ];

  // Only where data is kept is there an AWS Backup plan (and so a backup selection).
  if (config.backup !== undefined) {
    entries.push({
      rules: [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores]',
      ],
      stack: 'data',
      what: "the AWS Backup selection's service role (AWS-managed policies)",
      matches: (c) => c instanceof BackupSelection,
      reason:
        'The AWS Backup service role takes the AWS-managed backup and restore policies AWS maintains as DynamoDB ' +
        'backup features change; only the AWS Backup service can assume it.',
    });
  }

  if (RESTORE_DRILL_STAGES.includes(config.stage)) {
    // cdk-nag names a resource as the template has it: literal when the stack's account and region are known.
    const prefix = DRILL_TABLE.prefixFor(config.stage);
    const scratch = [
      `arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/${prefix}*`,
      `arn:${app.partition}:dynamodb:${app.region}:${app.account}:table/${prefix}*`,
    ];
    const drillRole = (c: IConstruct) =>
      inPaymentFunction(Role)(c) &&
      (c.node.scope as PaymentFunction).functionName === `temba-payments-${config.stage}-restore-drill`;
    entries.push(
      {
        rules: scratch.map((arn) => `AwsSolutions-IAM5[Resource::${arn}]`),
        stack: 'application',
        what: "the restore drill's role: scratch tables by prefix",
        matches: drillRole,
        reason:
          'The drill restores into a new scratch table per run (its name carries the date), so its name is not ' +
          'known in advance: access is limited to the temba-payments-<stage>-drill- prefix, which nothing else uses.',
      },
      {
        rules: scratch.map((arn) => `AwsSolutions-IAM5[Resource::${arn}/index/*]`),
        stack: 'application',
        what: "the restore drill's role: the scratch tables' indexes",
        matches: drillRole,
        reason:
          'A restored scratch table comes with the indexes of the payments table; access is limited to the same ' +
          'temba-payments-<stage>-drill- prefix as the scratch tables themselves.',
      },
      {
        rules: ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]'],
        stack: 'application',
        what: "the restore drill's role: GenerateDataKey* on the table key",
        matches: drillRole,
        reason:
          'DynamoDB asks for GenerateDataKey and GenerateDataKeyWithoutPlaintext when it encrypts the restored copy ' +
          'with the table key; only on that key and only through DynamoDB (kms:ViaService).',
      },
      {
        rules: ['AwsSolutions-IAM5[Action::kms:ReEncrypt*]'],
        stack: 'application',
        what: "the restore drill's role: ReEncrypt* on the table key",
        matches: drillRole,
        reason:
          'A restore re-encrypts the backup data under the table key for the new table; only on that key, only ' +
          'through DynamoDB (kms:ViaService).',
      },
    );
  }
  return entries;
};

/**
 * Applies every acknowledgement of the stage to the constructs it matches (called by `buildPaymentsStage` once both
 * stacks are built) and returns what each matched.
 */
export const acknowledgeNagFindings = (config: StageConfig, stacks: StageStacks): AppliedAcknowledgement[] =>
  nagAcknowledgements(config, stacks).map((acknowledgement) => {
    const stack = stacks[acknowledgement.stack];
    const matched = stack.node.findAll().filter((construct) => acknowledgement.matches(construct));
    for (const construct of matched) {
      Validations.of(construct).acknowledge(
        ...acknowledgement.rules.map((id) => ({ id, reason: acknowledgement.reason })),
      );
    }
    return { acknowledgement, paths: matched.map((construct) => construct.node.path) };
  });
