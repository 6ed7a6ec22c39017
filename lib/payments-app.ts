import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { SERVICE_NAME } from '../lambdas/shared/contract/metrics';
import { namePermissionSources } from './compliance/lambda-permissions';
import { type AppliedAcknowledgement, acknowledgeNagFindings } from './compliance/nag-acknowledgements';
import type { StageConfig } from './config';
import { stackNames } from './config/deploy-order';
import { ApplicationStack } from './stacks/application-stack';
import { DataStack } from './stacks/data-stack';

export interface PaymentsStage {
  readonly data: DataStack;
  readonly application: ApplicationStack;
  /** Each cdk-nag acknowledgement of the stage and the constructs it was applied to. */
  readonly acknowledgements: readonly AppliedAcknowledgement[];
}

/** The cdk-nag packs every synthesis runs: AWS Solutions, PCI DSS 3.2.1 and Serverless. */
export const nagPacks = () => [new AwsSolutionsChecks(), new PCIDSS321Checks(), new ServerlessChecks()];

/**
 * The stacks of one stage, checked by cdk-nag (AwsSolutions, PCI DSS 3.2.1, Serverless) at synthesis: any finding
 * without an acknowledgement on its resource (all of them in lib/compliance/nag-acknowledgements.ts) fails
 * `cdk synth` and `cdk deploy`. Every Lambda permission gets its source account here too.
 */
export const buildPaymentsStage = (app: App, config: StageConfig): PaymentsStage => {
  const names = stackNames(config.stage);
  const protect = config.removal.deletionProtection;
  const data = new DataStack(app, names.data, {
    env: config.env,
    config,
    applicationStackName: names.application,
    description: `Temba payments ${config.stage}: table, keys, backups, secrets (stateful)`,
    terminationProtection: protect,
  });
  const application = new ApplicationStack(app, names.application, {
    env: config.env,
    config,
    data,
    description: `Temba payments ${config.stage}: API, WAF, functions, flags, monitoring (stateless)`,
  });
  for (const stack of [data, application]) {
    Tags.of(stack).add('service', SERVICE_NAME);
    Tags.of(stack).add('stage', config.stage);
    namePermissionSources(stack);
  }
  const acknowledgements = acknowledgeNagFindings(config, { data, application });
  Validations.of(app).addPlugins(...nagPacks());
  return { data, application, acknowledgements };
};
