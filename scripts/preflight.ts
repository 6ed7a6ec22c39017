/**
 * `npm run preflight -- --stage prod`: the go-live checklist as read-only checks against the stage's AWS account
 * (credentials from the usual AWS chain, region and account from lib/config). Prints one line per check and exits
 * 1 if any failed.
 */
import { ACMClient } from '@aws-sdk/client-acm';
import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { WAFV2Client } from '@aws-sdk/client-wafv2';
import { defineCommand, runCli, STAGE_OPTION, stageConfigOf } from './ops/cli';
import { expectedAlarmNames } from './ops/expected-alarms';
import { formatChecklist, runPreflight } from './ops/preflight';
import { stageResources } from './ops/stage-resources';

const PREFLIGHT = defineCommand({
  name: 'npm run preflight',
  summary:
    "The go-live checklist as read-only checks against the stage's AWS account: one line per check, exit 1 if any failed.",
  options: { stage: STAGE_OPTION },
});

await runCli(PREFLIGHT, async ({ stage }) => {
  const config = stageConfigOf(stage);
  const region = config.env.region;
  const results = await runPreflight(
    {
      secrets: new SecretsManagerClient({ region }),
      appConfigData: new AppConfigDataClient({ region }),
      dynamodb: new DynamoDBClient({ region }),
      backup: new BackupClient({ region }),
      cloudwatch: new CloudWatchClient({ region }),
      sns: new SNSClient({ region }),
      waf: new WAFV2Client({ region }),
      codedeploy: new CodeDeployClient({ region }),
      cloudformation: new CloudFormationClient({ region }),
      // The certificate must be in the API's region; Route 53 is global (its client still needs one).
      acm: new ACMClient({ region }),
      route53: new Route53Client({ region }),
      // The identity provider's discovery document and JWKS, from the operator's machine.
      fetch: globalThis.fetch,
    },
    stageResources(config),
    { expectedAlarms: expectedAlarmNames(config), now: new Date() },
  );
  console.log(formatChecklist(config.stage, results));
  return results.every((result) => result.ok) ? 0 : 1;
});
