import { CfnDeletionPolicy, type CfnResource, Stack } from 'aws-cdk-lib';
import {
  Application,
  ConfigurationContent,
  ConfigurationType,
  DeploymentStrategy,
  DeploymentStrategyId,
  Environment,
  HostedConfiguration,
  type IDeploymentStrategy,
  JsonSchemaValidator,
  Monitor,
} from 'aws-cdk-lib/aws-appconfig';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import * as z from 'zod';
import { type Flags, flagsSchema } from '../../lambdas/shared/contract/flags';
import { type FraudRules, fraudRulesSchema } from '../../lambdas/shared/contract/fraud';
import type { FlagsRollout } from '../config';
import type { FlagsSource, FraudRulesSource } from './payment-function';

/** AppConfig allows at most five monitors per environment. */
const MAX_MONITORS = 5;

const ROLLOUT: Record<FlagsRollout, DeploymentStrategyId> = {
  'all-at-once': DeploymentStrategyId.ALL_AT_ONCE,
  linear: DeploymentStrategyId.LINEAR_50_PERCENT_EVERY_30_SECONDS,
  canary: DeploymentStrategyId.CANARY_10_PERCENT_20_MINUTES,
};

type AttributeConstraints = { type: 'number' | 'string' | 'boolean'; required: boolean; minimum?: number };

interface JsonSchemaProperty {
  readonly type?: string;
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
}

/** One flag's attribute constraints, read from the shared zod schema (so AppConfig rejects what the code would). */
const attributesOf = (name: keyof Flags): Record<string, { constraints: AttributeConstraints }> => {
  const schema = z.toJSONSchema(flagsSchema.shape[name]) as {
    properties: Record<string, JsonSchemaProperty>;
    required?: string[];
  };
  const attributes: Record<string, { constraints: AttributeConstraints }> = {};
  for (const [attribute, property] of Object.entries(schema.properties)) {
    if (attribute === 'enabled') continue;
    const integer = property.type === 'integer';
    const type =
      integer || property.type === 'number' ? 'number' : property.type === 'boolean' ? 'boolean' : 'string';
    const minimum =
      property.minimum ??
      (property.exclusiveMinimum === undefined ? undefined : property.exclusiveMinimum + (integer ? 1 : 0));
    attributes[attribute] = {
      constraints: {
        type,
        required: schema.required?.includes(attribute) ?? false,
        ...(minimum === undefined ? {} : { minimum }),
      },
    };
  }
  return attributes;
};

/**
 * The `AWS.AppConfig.FeatureFlags` document for these flag values: `flags` declares each flag and its typed
 * attributes, `values` holds `enabled` plus the attribute values. AppConfig serves it back to the functions as
 * `{ name: { enabled, ...attributes } }`, the shape `flagsSchema` parses.
 */
export const featureFlagsDocument = (values: Flags) => {
  const names = Object.keys(flagsSchema.shape) as (keyof Flags)[];
  return {
    version: '1',
    flags: Object.fromEntries(
      names.map((name) => {
        const attributes = attributesOf(name);
        return [name, { name, ...(Object.keys(attributes).length > 0 ? { attributes } : {}) }];
      }),
    ),
    values: Object.fromEntries(names.map((name) => [name, { ...values[name] }])),
  };
};

export interface FeatureFlagsProps {
  readonly stage: string;
  /** Validated values (DEFAULT_FLAGS + the stage's overrides). */
  readonly flags: Flags;
  /** Alarms that stop and roll back a flags deployment in progress. */
  readonly monitors: readonly IAlarm[];
  readonly rollout: FlagsRollout;
  /** Validated fraud screening rules (DEFAULT_FRAUD_RULES + the stage's overrides). */
  readonly fraudRules: FraudRules;
}

/**
 * The fraud rules profile's JSON Schema, from the shared zod schema: AppConfig refuses to deploy a document the code
 * would not read (unknown rules are allowed: an older function ignores a newer rule).
 */
export const fraudRulesJsonSchema = (): object => z.toJSONSchema(fraudRulesSchema, { target: 'draft-7' });

/**
 * AppConfig for one stage: an application, an environment watched by the critical alarms, a feature-flags
 * profile holding the stage's flags, deployed with the stage's strategy (all at once in dev, linear in staging,
 * canary with a bake time in prod). The functions read it through the AWS AppConfig Agent Lambda extension
 * (lib/constructs/lambda-extensions.ts).
 */
export class FeatureFlags extends Construct implements FlagsSource, FraudRulesSource {
  readonly application: Application;
  readonly environment: Environment;
  readonly profile: HostedConfiguration;
  readonly strategy: IDeploymentStrategy;
  readonly applicationId: string;
  readonly environmentId: string;
  readonly profileId: string;
  readonly configurationArn: string;
  /** The fraud screening rules: a freeform JSON profile in the same application and environment. */
  readonly fraudRules: HostedConfiguration;
  readonly fraudRulesProfileId: string;
  readonly fraudRulesConfigurationArn: string;

  constructor(scope: Construct, id: string, props: FeatureFlagsProps) {
    super(scope, id);
    if (props.monitors.length > MAX_MONITORS) {
      throw new Error(`AppConfig watches at most ${MAX_MONITORS} alarms, got ${props.monitors.length}`);
    }
    flagsSchema.parse(props.flags);

    this.application = new Application(this, 'Application', {
      applicationName: `temba-payments-${props.stage}`,
      description: `Temba payments ${props.stage}: feature flags`,
    });
    this.environment = new Environment(this, 'Environment', {
      application: this.application,
      environmentName: props.stage,
      description: 'Flags deployments stop and roll back when a critical alarm fires',
      monitors: props.monitors.map((alarm) => Monitor.fromCloudWatchAlarm(alarm)),
    });
    this.strategy = DeploymentStrategy.fromDeploymentStrategyId(this, 'Strategy', ROLLOUT[props.rollout]);
    this.profile = new HostedConfiguration(this, 'Flags', {
      application: this.application,
      name: 'payment-flags',
      description:
        'payments_enabled, live_payments, manual_review, daily_limit, refunds_enabled (and its daily cap)',
      type: ConfigurationType.FEATURE_FLAGS,
      content: ConfigurationContent.fromInlineJson(JSON.stringify(featureFlagsDocument(props.flags))),
      deploymentStrategy: this.strategy,
      deployTo: [this.environment],
    });
    // CDK retains each hosted version on delete too, and AppConfig refuses to delete a profile that still holds
    // one: the stack could never be destroyed. Kept on replacement only (a new version never deletes the last one).
    (this.profile.node.defaultChild as CfnResource).cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;

    // Thresholds change without a deploy: a new hosted version of this profile, deployed to the environment with
    // the same strategy and the same alarm monitors as the flags. AppConfig runs one deployment per environment
    // at a time, so this one waits for the flags' deployment.
    fraudRulesSchema.parse(props.fraudRules);
    this.fraudRules = new HostedConfiguration(this, 'FraudRules', {
      application: this.application,
      name: 'fraud-rules',
      description:
        'Fraud screening thresholds at checkout (lambdas/shared/contract/fraud.ts, README "Fraud screening")',
      type: ConfigurationType.FREEFORM,
      content: ConfigurationContent.fromInlineJson(JSON.stringify(props.fraudRules)),
      validators: [JsonSchemaValidator.fromInline(JSON.stringify(fraudRulesJsonSchema()))],
      deploymentStrategy: this.strategy,
      deployTo: [this.environment],
    });
    (this.fraudRules.node.defaultChild as CfnResource).cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
    this.fraudRules.node.addDependency(this.profile);

    this.applicationId = this.application.applicationId;
    this.environmentId = this.environment.environmentId;
    this.profileId = this.profile.configurationProfileId;
    this.configurationArn = Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.applicationId}/environment/${this.environmentId}/configuration/${this.profileId}`,
    });
    this.fraudRulesProfileId = this.fraudRules.configurationProfileId;
    this.fraudRulesConfigurationArn = Stack.of(this).formatArn({
      service: 'appconfig',
      resource: 'application',
      resourceName: `${this.applicationId}/environment/${this.environmentId}/configuration/${this.fraudRulesProfileId}`,
    });
  }
}
