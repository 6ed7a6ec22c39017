import type { z } from 'zod';
import { DEFAULT_FLAGS, type Flags, flagsSchema } from '../../lambdas/shared/contract/flags';
import { DEFAULT_FRAUD_RULES, type FraudRules, fraudRulesSchema } from '../../lambdas/shared/contract/fraud';
import { STAGES, type StageConfig, type StageName, stageConfigSchema } from './stage-config.schema';
import { STAGE_CONFIGS } from './stages';

export type { FlagsRollout, LambdaRollout, StageConfig, StageName } from './stage-config.schema';
export { STAGES } from './stage-config.schema';

/** A stage config that cannot be deployed; the message lists every problem with its path. */
export class StageConfigError extends Error {
  override readonly name = 'StageConfigError';
}

const describeIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .map((issue) => `  - ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('\n');

/** Validates one stage's raw config; throws a StageConfigError naming the stage and every bad field. */
export const parseStageConfig = (raw: unknown, label: string): StageConfig => {
  const result = stageConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new StageConfigError(
      `Invalid config for stage '${label}':\n${describeIssues(result.error.issues)}`,
    );
  }
  return result.data;
};

const isStageName = (value: unknown): value is StageName => STAGES.some((stage) => stage === value);

/** The validated config of the stage passed as `-c stage=...`. */
export const loadStageConfig = (
  stage: unknown,
  configs: Readonly<Record<StageName, unknown>> = STAGE_CONFIGS,
): StageConfig => {
  if (!isStageName(stage)) {
    const given = stage === undefined ? 'no stage' : `stage '${String(stage)}'`;
    throw new StageConfigError(`Got ${given}: pass -c stage=${STAGES.join('|')}`);
  }
  const config = parseStageConfig(configs[stage], stage);
  if (config.stage !== stage) {
    throw new StageConfigError(`Invalid config for stage '${stage}':\n  - stage: says '${config.stage}'`);
  }
  return config;
};

/** The flags a stage deploys: the shared defaults with the stage's overrides, checked by the shared schema. */
export const stageFlags = (config: StageConfig): Flags =>
  flagsSchema.parse({ ...DEFAULT_FLAGS, ...config.flags });

/** The fraud rules a stage deploys: the shared defaults with the stage's overrides, checked by the shared schema. */
export const stageFraudRules = (config: StageConfig): FraudRules =>
  fraudRulesSchema.parse({ ...DEFAULT_FRAUD_RULES, ...config.fraudRules });
