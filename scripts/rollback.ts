/**
 * `npm run rollback -- --stage prod --to test-mode|paused`: the go-live plan's rollback. Deploys the flag change at
 * once through AppConfig and stops (with rollback) any CodeDeploy rollout in progress, printing each step. Exits 1
 * if a step failed.
 */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { parseStageArgs, runCli, UsageError } from './ops/cli';
import { isRollbackTarget, ROLLBACK_TARGETS, runRollback } from './ops/rollback';
import { stageResources } from './ops/stage-resources';

await runCli('npm run rollback -- --stage dev|staging|prod --to test-mode|paused', async () => {
  const { config, options } = parseStageArgs(process.argv.slice(2), ['to']);
  if (!isRollbackTarget(options.to)) {
    throw new UsageError(`--to must be one of ${Object.keys(ROLLBACK_TARGETS).join(', ')}`);
  }
  const region = config.env.region;
  console.log(`Rollback of ${config.stage} to ${options.to}: ${ROLLBACK_TARGETS[options.to].meaning}`);
  const report = await runRollback(
    { appconfig: new AppConfigClient({ region }), codedeploy: new CodeDeployClient({ region }) },
    stageResources(config),
    { to: options.to, now: new Date() },
  );
  for (const action of report.actions) console.log(`  - ${action}`);
  console.log(
    report.ok
      ? 'Done. Next (docs/runbook.md): tell customers, find the cause, and set the flag in lib/config/stages.ts so the next deploy keeps it.'
      : 'Rollback INCOMPLETE: see the lines above and docs/runbook.md.',
  );
  return report.ok ? 0 : 1;
});
