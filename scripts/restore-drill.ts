/**
 * `npm run restore-drill -- --stage staging|prod`: the monthly backup-restoration drill, run by hand (credentials
 * from the usual AWS chain). Restores the payments table to its latest restorable time into a scratch table,
 * compares counts and a sample of orders with the table, deletes the scratch table, records the run and sends
 * `RestoreDrillSucceeded`/`RestoreDrillDuration` to CloudWatch. Waits as long as the restore takes (up to 5 h).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runFullDrill } from '../lambdas/shared/ops/restore-drill';
import { defineCommand, runCli, STAGE_OPTION, stageConfigOf } from './ops/cli';
import { formatDrillResult, publishDrillMetrics } from './ops/restore-drill-cli';
import { stageResources } from './ops/stage-resources';

const RESTORE_DRILL = defineCommand({
  name: 'npm run restore-drill',
  summary:
    "The backup-restoration drill: restores the stage's payments table into a scratch table, compares it, deletes " +
    'it and sends RestoreDrillSucceeded/RestoreDrillDuration to CloudWatch. Waits as long as the restore takes (up to 5 h).',
  options: { stage: STAGE_OPTION },
});

await runCli(RESTORE_DRILL, async ({ stage }) => {
  const config = stageConfigOf(stage);
  const resources = stageResources(config);
  const region = config.env.region;
  const print = (level: string) => (message: string, attributes?: Readonly<Record<string, unknown>>) =>
    console.log(
      `${new Date().toISOString()} ${level} ${message}${attributes ? ` ${JSON.stringify(attributes)}` : ''}`,
    );
  const result = await runFullDrill({
    dynamodb: new DynamoDBClient({ region }),
    stage: config.stage,
    tableName: resources.table.name,
    tableKeyArn: resources.table.keyAlias,
    clock: { now: () => new Date() },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    telemetry: { info: print('info'), warn: print('warn'), error: print('error') },
  });
  console.log(formatDrillResult(config.stage, result));
  await publishDrillMetrics(new CloudWatchClient({ region }), result);
  return result.ok ? 0 : 1;
});
