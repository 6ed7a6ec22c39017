import { ArnFormat, Aws, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnIPSet, CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface RateLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface ApiFirewallProps {
  readonly stage: string;
  /** ARN of the API Gateway stage the web ACL protects. */
  readonly apiStageArn: string;
  /** Path of the checkout route (POST only is rate limited per IP). */
  readonly paymentsPath: string;
  /** Prefix of the webhook routes restricted to the allowlist. */
  readonly webhooksPathPrefix: string;
  /**
   * Paths of PayDunya's callbacks (the IPN, the disbursement callback): never counted by the global per-IP rule
   * (PayDunya delivers in bursts, from few addresses).
   */
  readonly webhookPaths: readonly string[];
  readonly paymentsRateLimit: RateLimit;
  readonly globalRateLimit: RateLimit;
  readonly webhookAllowlist: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  readonly maxBodyBytes: number;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** The stage's logs key (customer-managed); the stacks always pass it. */
  readonly logKey?: IKey;
}

/** Rule names, shared with the tests and the dashboard. */
export const WAF_RULES = {
  ipReputation: 'aws-ip-reputation',
  webhookAllowlist: 'webhook-ip-allowlist',
  bodySize: 'body-size-limit',
  paymentsRate: 'payments-per-ip-rate',
  globalRate: 'global-per-ip-rate',
  common: 'aws-common',
  knownBadInputs: 'aws-known-bad-inputs',
} as const;

/** API Gateway lets WAF read up to 64 KB of a body, in 16 KB steps. */
const INSPECTION_LIMITS = [
  { bytes: 16 * 1024, name: 'KB_16' },
  { bytes: 32 * 1024, name: 'KB_32' },
  { bytes: 48 * 1024, name: 'KB_48' },
  { bytes: 64 * 1024, name: 'KB_64' },
] as const;

/** Paths are matched after URL-decoding, normalising (`//`, `./`) and lower-casing, so spelling games fail. */
const PATH_TRANSFORMS = [
  { priority: 0, type: 'URL_DECODE' },
  { priority: 1, type: 'NORMALIZE_PATH' },
  { priority: 2, type: 'LOWERCASE' },
];

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

const managedGroup = (
  name: string,
  priority: number,
  group: string,
  overridesToCount: readonly string[] = [],
): CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: {
    managedRuleGroupStatement: {
      vendorName: 'AWS',
      name: group,
      ...(overridesToCount.length > 0
        ? {
            ruleActionOverrides: overridesToCount.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
          }
        : {}),
    },
  },
  visibilityConfig: visibility(name),
});

/**
 * The web ACL in front of the API stage. In priority order: AWS IP reputation list; the webhook IP allowlist
 * (only when addresses are configured); a body-size limit matching the handlers' LIMITS.maxBodyBytes; a per-IP
 * flood guard on POST /payments; a per-IP flood guard on everything but PayDunya's callbacks; AWS common rules
 * and known bad inputs. The per-IP limits are sized for carrier NAT (docs/capacity-notes.md): customers are
 * limited one by one in code.
 * Logs go to CloudWatch Logs with the Authorization and Cookie headers and the query string (which carries the
 * callback signature) redacted.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: CfnWebACL;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const inspection = INSPECTION_LIMITS.find((limit) => limit.bytes >= props.maxBodyBytes);
    if (!inspection)
      throw new Error(`WAF cannot inspect bodies of ${props.maxBodyBytes} bytes (64 KB at most)`);

    const rules: CfnWebACL.RuleProperty[] = [
      managedGroup(WAF_RULES.ipReputation, 0, 'AWSManagedRulesAmazonIpReputationList'),
    ];

    if (props.webhookPaths.length === 0) throw new Error('ApiFirewall needs the webhook paths');
    const webhookPathMatches = props.webhookPaths.map(
      (path): CfnWebACL.StatementProperty => ({
        byteMatchStatement: {
          fieldToMatch: { uriPath: {} },
          positionalConstraint: 'ENDS_WITH',
          searchString: path.toLowerCase(),
          textTransformations: PATH_TRANSFORMS,
        },
      }),
    );
    const webhookPathsStatement: CfnWebACL.StatementProperty =
      webhookPathMatches.length === 1
        ? (webhookPathMatches[0] as CfnWebACL.StatementProperty)
        : { orStatement: { statements: webhookPathMatches } };

    const { ipv4, ipv6 } = props.webhookAllowlist;
    if (ipv4.length > 0 || ipv6.length > 0) {
      const ipSets: CfnWebACL.StatementProperty[] = [];
      if (ipv4.length > 0) {
        const set = new CfnIPSet(this, 'WebhookIpv4', {
          name: `temba-payments-${props.stage}-webhook-ipv4`,
          scope: 'REGIONAL',
          ipAddressVersion: 'IPV4',
          addresses: [...ipv4],
        });
        ipSets.push({ ipSetReferenceStatement: { arn: set.attrArn } });
      }
      if (ipv6.length > 0) {
        const set = new CfnIPSet(this, 'WebhookIpv6', {
          name: `temba-payments-${props.stage}-webhook-ipv6`,
          scope: 'REGIONAL',
          ipAddressVersion: 'IPV6',
          addresses: [...ipv6],
        });
        ipSets.push({ ipSetReferenceStatement: { arn: set.attrArn } });
      }
      const fromAllowlist: CfnWebACL.StatementProperty =
        ipSets.length === 1
          ? (ipSets[0] as CfnWebACL.StatementProperty)
          : { orStatement: { statements: ipSets } };
      rules.push({
        name: WAF_RULES.webhookAllowlist,
        priority: 1,
        action: { block: {} },
        statement: {
          andStatement: {
            statements: [
              {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'CONTAINS',
                  searchString: props.webhooksPathPrefix.toLowerCase(),
                  textTransformations: PATH_TRANSFORMS,
                },
              },
              { notStatement: { statement: fromAllowlist } },
            ],
          },
        },
        visibilityConfig: visibility(WAF_RULES.webhookAllowlist),
      });
    }

    rules.push(
      {
        name: WAF_RULES.bodySize,
        priority: 2,
        action: { block: {} },
        statement: {
          sizeConstraintStatement: {
            // A body longer than WAF can read counts as too large (it is, by construction of the limit).
            fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
            comparisonOperator: 'GT',
            size: props.maxBodyBytes,
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
        visibilityConfig: visibility(WAF_RULES.bodySize),
      },
      {
        name: WAF_RULES.paymentsRate,
        priority: 3,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit: props.paymentsRateLimit.limit,
            evaluationWindowSec: props.paymentsRateLimit.windowSeconds,
            scopeDownStatement: {
              andStatement: {
                statements: [
                  {
                    byteMatchStatement: {
                      fieldToMatch: { method: {} },
                      positionalConstraint: 'EXACTLY',
                      searchString: 'POST',
                      textTransformations: [{ priority: 0, type: 'NONE' }],
                    },
                  },
                  {
                    // With or without the execute-api stage prefix, with or without a trailing slash.
                    regexMatchStatement: {
                      fieldToMatch: { uriPath: {} },
                      regexString: `${escapeRegex(props.paymentsPath.toLowerCase())}/?$`,
                      textTransformations: PATH_TRANSFORMS,
                    },
                  },
                ],
              },
            },
          },
        },
        visibilityConfig: visibility(WAF_RULES.paymentsRate),
      },
      {
        name: WAF_RULES.globalRate,
        priority: 4,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit: props.globalRateLimit.limit,
            evaluationWindowSec: props.globalRateLimit.windowSeconds,
            // Everything but PayDunya's callbacks: IPNs arrive in a rush from a few PayDunya addresses right after
            // an on-sale (blocking them would leave paid orders pending), disbursement callbacks likewise after a
            // wave of refunds (an event cancelled). The webhooks keep the allowlist rule (when addresses are
            // configured), the managed rules and their API Gateway throttle. ENDS_WITH matches with or without the
            // execute-api stage prefix; another path ending so matches no API resource (403).
            scopeDownStatement: { notStatement: { statement: webhookPathsStatement } },
          },
        },
        visibilityConfig: visibility(WAF_RULES.globalRate),
      },
      // SizeRestrictions_BODY (8 KB) would pre-empt our own 64 KiB rule; NoUserAgent_HEADER would block PayDunya's
      // IPN sender should it omit a User-Agent (undocumented). Both only count.
      managedGroup(WAF_RULES.common, 5, 'AWSManagedRulesCommonRuleSet', [
        'SizeRestrictions_BODY',
        'NoUserAgent_HEADER',
      ]),
      managedGroup(WAF_RULES.knownBadInputs, 6, 'AWSManagedRulesKnownBadInputsRuleSet'),
    );

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `temba-payments-${props.stage}`,
      description: `Temba payments ${props.stage}: managed rules, rate limits, webhook allowlist, body size`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: inspection.name } } },
      rules,
      visibilityConfig: visibility(`temba-payments-${props.stage}`),
    });

    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.apiStageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF requires the `aws-waf-logs-` prefix and the log group ARN without the trailing `:*`. The stack id suffix
    // keeps a retained group from blocking a redeploy of a torn-down stack.
    const stackIdSuffix = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-temba-payments-${props.stage}-${stackIdSuffix}`,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logKey,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'cookie' } },
        { queryString: {} },
      ],
    });
  }
}
