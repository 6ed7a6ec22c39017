import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SERVICE_NAME } from '../lambdas/shared/contract/metrics';
import type { StageConfig } from './config';
import { ApplicationStack } from './stacks/application-stack';
import { DataStack } from './stacks/data-stack';

export interface PaymentsStage {
  readonly data: DataStack;
  readonly application: ApplicationStack;
}

/** `TembaPayments-prod-Data`, `TembaPayments-prod-App`: a stage's stacks never collide with another's. */
export const stackNames = (stage: string) => ({
  data: `TembaPayments-${stage}-Data`,
  application: `TembaPayments-${stage}-App`,
});

/**
 * The stacks of one stage, checked by cdk-nag (AwsSolutions) at synthesis: any finding without an
 * acknowledgement on its resource fails `cdk synth` and `cdk deploy`.
 */
export const buildPaymentsStage = (app: App, config: StageConfig): PaymentsStage => {
  const names = stackNames(config.stage);
  const protect = config.removal.deletionProtection;
  const data = new DataStack(app, names.data, {
    env: config.env,
    config,
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
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { data, application };
};
