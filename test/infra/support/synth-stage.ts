import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadStageConfig, type StageConfig, type StageName } from '../../../lib/config';
import { buildPaymentsStage, type PaymentsStage } from '../../../lib/payments-app';

export interface SynthesizedStage {
  readonly app: App;
  readonly config: StageConfig;
  readonly stacks: PaymentsStage;
  readonly data: Template;
  readonly application: Template;
}

const cdkJson = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../cdk.json', import.meta.url)), 'utf8'),
) as {
  context: Record<string, unknown>;
};

/**
 * Synthesises one stage the way `cdk synth -c stage=...` does (same bin wiring, cdk.json feature flags, cdk-nag
 * registered), minus esbuild: bundling is skipped so a synth takes seconds. cdk-nag findings make `synth` throw.
 */
export const synthStage = (stage: StageName): SynthesizedStage => {
  const app = new App({ context: { ...cdkJson.context, stage, 'aws:cdk:bundling-stacks': [] } });
  const config = loadStageConfig(app.node.tryGetContext('stage'));
  const stacks = buildPaymentsStage(app, config);
  app.synth();
  return {
    app,
    config,
    stacks,
    data: Template.fromStack(stacks.data),
    application: Template.fromStack(stacks.application),
  };
};
