import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { ENV } from '../shared/contract/env';
import { METRICS } from '../shared/contract/metrics';
import type { Telemetry } from '../shared/domain/ports';
import {
  type DrillContext,
  type DrillResult,
  daysSinceLastSuccess,
  RESTORE_DRILL,
  runDrillStep,
} from '../shared/ops/restore-drill';
import { requireEnv } from '../shared/platform/env';
import { scheduledHandler } from '../shared/platform/lambda';
import { logger, metrics } from '../shared/platform/powertools';
import { createPowertoolsTelemetry } from '../shared/platform/powertools-telemetry';
import { DYNAMO_CLIENT_DEFAULTS } from '../shared/store/dynamo-client';

/**
 * The schedules' input (lib/constructs/restore-drill.ts): `{ "action": "drill" }` several times on drill day (each
 * invocation moves the month's drill on: start, wait, verify, clean up), `{ "action": "watch" }` once a day (the
 * days since the last successful drill, for the "drill missing" alarm).
 */
export const restoreDrillInputSchema = z.object({ action: z.enum(['drill', 'watch']) });
export type RestoreDrillInput = z.infer<typeof restoreDrillInputSchema>;

export type RestoreDrillContext = DrillContext & { readonly telemetry: Telemetry };

/** The verdict as metrics: `RestoreDrillSucceeded` 1 or 0 and `RestoreDrillDuration`, on the service series. */
export const publishDrillResult = (telemetry: Telemetry, result: DrillResult): void => {
  telemetry.count(METRICS.restoreDrillSucceeded, result.ok ? 1 : 0);
  telemetry.measure(METRICS.restoreDrillDuration, result.durationMs, 'Milliseconds');
};

export const handleRestoreDrill = async (event: unknown, ctx: RestoreDrillContext) => {
  const input = restoreDrillInputSchema.parse(event);
  if (input.action === 'watch') {
    const days = await daysSinceLastSuccess(ctx);
    ctx.telemetry.measure(METRICS.restoreDrillAgeDays, days, 'None');
    ctx.telemetry.info('restore drill age', { days, overdueAfterDays: RESTORE_DRILL.overdueAfterDays });
    return { action: input.action, days };
  }
  const outcome = await runDrillStep(ctx);
  if (typeof outcome === 'string') {
    ctx.telemetry.info(`restore drill: ${outcome}`);
    return { action: input.action, outcome };
  }
  publishDrillResult(ctx.telemetry, outcome);
  return { action: input.action, outcome: outcome.ok ? 'succeeded' : 'failed', checks: outcome.checks };
};

export const buildRestoreDrillContext = (): RestoreDrillContext => {
  const stage = requireEnv(ENV.stage);
  logger.appendPersistentKeys({ stage });
  return {
    // Control-plane calls (restore, describe, delete) and full-table scans: the project's retry settings, with a
    // longer per-attempt timeout than the API functions' 2 s.
    dynamodb: new DynamoDBClient({
      ...DYNAMO_CLIENT_DEFAULTS,
      requestHandler: { ...DYNAMO_CLIENT_DEFAULTS.requestHandler, requestTimeout: 30_000 },
    }),
    stage,
    tableName: requireEnv(ENV.tableName),
    tableKeyArn: requireEnv(ENV.tableKeyArn),
    clock: { now: () => new Date() },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    telemetry: createPowertoolsTelemetry(logger, metrics),
  };
};

export const handler = scheduledHandler(buildRestoreDrillContext, handleRestoreDrill);
