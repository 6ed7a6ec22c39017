import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { StageConfig } from '../../lib/config';
import { buildPaymentsStage } from '../../lib/payments-app';

const cdkContext = (): Record<string, unknown> =>
  (
    JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;

/**
 * Every CloudWatch alarm name the stage's stacks define, read from a synthesis of this checkout (bundling skipped,
 * so it takes seconds): preflight then checks the account has exactly what the code would deploy.
 */
export const expectedAlarmNames = (config: StageConfig): string[] => {
  const app = new App({ context: { ...cdkContext(), stage: config.stage, 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildPaymentsStage(app, config);
  const assembly = app.synth();
  const names: string[] = [];
  for (const stack of [stacks.data, stacks.application]) {
    const template = assembly.getStackArtifact(stack.artifactId).template as {
      Resources?: Record<string, { Type: string; Properties?: { AlarmName?: unknown } }>;
    };
    for (const resource of Object.values(template.Resources ?? {})) {
      const name = resource.Properties?.AlarmName;
      if (resource.Type.startsWith('AWS::CloudWatch::') && typeof name === 'string') names.push(name);
    }
  }
  return names.sort();
};
