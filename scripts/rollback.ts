/**
 * `npm run rollback -- --stage prod --to test-mode|paused`: the go-live plan's rollback. Deploys the flag change at
 * once through AppConfig and stops (with rollback) any CodeDeploy rollout in progress, printing each step. Exits 1
 * if a step failed.
 */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { defineCommand, runCli, STAGE_OPTION, stageConfigOf, UsageError } from './ops/cli';
import { isRollbackTarget, ROLLBACK_TARGETS, runRollback } from './ops/rollback';
import { stageResources } from './ops/stage-resources';

const ROLLBACK = defineCommand({
  name: 'npm run rollback',
  summary:
    "The go-live plan's rollback: deploys the flag change at once through AppConfig and stops (with rollback) any " +
    'CodeDeploy rollout in progress, printing each step. Exit 1 if a step failed.',
  options: {
    stage: STAGE_OPTION,
    to: {
      type: 'string',
      choices: Object.keys(ROLLBACK_TARGETS),
      required: true,
      description: `where to roll back to: ${Object.entries(ROLLBACK_TARGETS)
        .map(([name, target]) => `${name} (${target.meaning})`)
        .join('; ')}`,
    },
  },
});

await runCli(ROLLBACK, async (values) => {
  const config = stageConfigOf(values.stage);
  const { to } = values;
  if (!isRollbackTarget(to)) {
    throw new UsageError(`--to must be one of ${Object.keys(ROLLBACK_TARGETS).join(', ')}`);
  }
  const region = config.env.region;
  console.log(`Rollback of ${config.stage} to ${to}: ${ROLLBACK_TARGETS[to].meaning}`);
  const report = await runRollback(
    { appconfig: new AppConfigClient({ region }), codedeploy: new CodeDeployClient({ region }) },
    stageResources(config),
    { to, now: new Date() },
  );
  for (const action of report.actions) console.log(`  - ${action}`);
  console.log(
    report.ok
      ? 'Done. Next (docs/runbook.md): tell customers, find the cause, and set the flag in lib/config/stages.ts so the next deploy keeps it.'
      : 'Rollback INCOMPLETE: see the lines above and docs/runbook.md.',
  );
  return report.ok ? 0 : 1;
});
