import {
  type AppConfigClient,
  CreateDeploymentStrategyCommand,
  CreateHostedConfigurationVersionCommand,
  type DeploymentState,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand as ListAppConfigDeploymentsCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentStrategiesCommand,
  ListEnvironmentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand as StopAppConfigDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import {
  type CodeDeployClient,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import * as z from 'zod';
import { FLAG_NAMES, flagsSchema } from '../../lambdas/shared/contract/flags';
import type { StageResources } from './stage-resources';

/** The go-live plan's rollback: back to PayDunya test mode (no live money), or payments paused altogether. */
export const ROLLBACK_TARGETS = {
  'test-mode': {
    flag: FLAG_NAMES.livePayments,
    meaning: 'live payments off: new payments use PayDunya test mode',
  },
  paused: { flag: FLAG_NAMES.paymentsEnabled, meaning: 'payments paused: POST /payments answers 503' },
} as const;
export type RollbackTarget = keyof typeof ROLLBACK_TARGETS;
export const isRollbackTarget = (value: unknown): value is RollbackTarget =>
  typeof value === 'string' && Object.hasOwn(ROLLBACK_TARGETS, value);

export interface RollbackClients {
  readonly appconfig: AppConfigClient;
  readonly codedeploy: CodeDeployClient;
}

export interface RollbackOptions {
  readonly to: RollbackTarget;
  readonly now: Date;
  /** How long to watch the flags deployment before reporting (it is immediate; AppConfig still reports it). */
  readonly waitSeconds?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RollbackReport {
  /** What was done, in order, one line each. */
  readonly actions: string[];
  readonly ok: boolean;
}

/**
 * An AppConfig deployment strategy with neither rollout time nor bake time. The stage's own strategies roll out
 * gradually under the critical alarms' watch; a rollback is usually started *because* one of them fires, and a
 * flags deployment still in progress when an alarm is in ALARM is rolled back by AppConfig: the switch must land
 * at once. Strategies belong to the account, so it is created once and reused.
 */
export const IMMEDIATE_STRATEGY = {
  Name: 'temba-payments-rollback-immediate',
  Description: 'Rollback flag changes: all targets at once, no bake (npm run rollback)',
  DeploymentDurationInMinutes: 0,
  FinalBakeTimeInMinutes: 0,
  GrowthFactor: 100,
  GrowthType: 'LINEAR',
  ReplicateTo: 'NONE',
} as const;

const IN_PROGRESS: readonly DeploymentState[] = ['DEPLOYING', 'BAKING', 'VALIDATING', 'ROLLING_BACK'];
const UNFINISHED_CODE_DEPLOYS = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;

/** The feature-flags document as AppConfig stores it (lib/constructs/feature-flags.ts writes the same shape). */
const flagsDocumentSchema = z.looseObject({
  version: z.string(),
  flags: z.record(z.string(), z.unknown()),
  values: flagsSchema,
});

const findByName = async <T extends { Id?: string; Name?: string }>(
  what: string,
  name: string,
  page: (token: string | undefined) => Promise<{ Items?: T[]; NextToken?: string }>,
): Promise<string> => {
  let token: string | undefined;
  do {
    const result = await page(token);
    const found = result.Items?.find((item) => item.Name === name);
    if (found?.Id) return found.Id;
    token = result.NextToken;
  } while (token);
  throw new Error(`AppConfig ${what} "${name}" not found: wrong stage or account?`);
};

const immediateStrategy = async (appconfig: AppConfigClient, actions: string[]): Promise<string> => {
  let token: string | undefined;
  do {
    const page = await appconfig.send(new ListDeploymentStrategiesCommand({ NextToken: token }));
    const found = page.Items?.find((item) => item.Name === IMMEDIATE_STRATEGY.Name);
    if (found?.Id) return found.Id;
    token = page.NextToken;
  } while (token);
  const created = await appconfig.send(new CreateDeploymentStrategyCommand({ ...IMMEDIATE_STRATEGY }));
  if (!created.Id) throw new Error('AppConfig created the immediate deployment strategy without an id');
  actions.push(`created AppConfig deployment strategy ${IMMEDIATE_STRATEGY.Name} (no rollout, no bake)`);
  return created.Id;
};

const rollbackFlags = async (
  appconfig: AppConfigClient,
  r: StageResources,
  options: RollbackOptions,
  actions: string[],
): Promise<boolean> => {
  const target = ROLLBACK_TARGETS[options.to];
  const applicationId = await findByName('application', r.flags.application, (NextToken) =>
    appconfig.send(new ListApplicationsCommand({ NextToken })),
  );
  const environmentId = await findByName('environment', r.flags.environment, (NextToken) =>
    appconfig.send(new ListEnvironmentsCommand({ ApplicationId: applicationId, NextToken })),
  );
  const profileId = await findByName('configuration profile', r.flags.profile, (NextToken) =>
    appconfig.send(new ListConfigurationProfilesCommand({ ApplicationId: applicationId, NextToken })),
  );
  const ids = { ApplicationId: applicationId, EnvironmentId: environmentId };

  // Newest first. A flags deployment still rolling out is stopped (AppConfig reverts it) before ours starts.
  const deployments =
    (await appconfig.send(new ListAppConfigDeploymentsCommand({ ...ids, MaxResults: 50 }))).Items ?? [];
  for (const deployment of deployments) {
    if (
      deployment.State &&
      IN_PROGRESS.includes(deployment.State) &&
      deployment.DeploymentNumber !== undefined
    ) {
      await appconfig.send(
        new StopAppConfigDeploymentCommand({ ...ids, DeploymentNumber: deployment.DeploymentNumber }),
      );
      actions.push(`stopped AppConfig deployment #${deployment.DeploymentNumber} (was ${deployment.State})`);
    }
  }
  const versions = await appconfig.send(
    new ListHostedConfigurationVersionsCommand({
      ApplicationId: applicationId,
      ConfigurationProfileId: profileId,
    }),
  );
  const latestVersion = Math.max(0, ...(versions.Items ?? []).map((item) => item.VersionNumber ?? 0));
  // The flags in force: those of the last completed deployment (else the latest version stored).
  const live = deployments.find(
    (deployment) => deployment.State === 'COMPLETE' && deployment.ConfigurationName === r.flags.profile,
  );
  const baseVersion = live?.ConfigurationVersion ? Number(live.ConfigurationVersion) : latestVersion;
  if (!baseVersion) throw new Error(`AppConfig profile ${r.flags.profile} has no configuration version`);
  const stored = await appconfig.send(
    new GetHostedConfigurationVersionCommand({
      ApplicationId: applicationId,
      ConfigurationProfileId: profileId,
      VersionNumber: baseVersion,
    }),
  );
  const document = flagsDocumentSchema.parse(
    JSON.parse(new TextDecoder().decode(stored.Content ?? new Uint8Array())),
  );
  if (!document.values[target.flag].enabled) {
    actions.push(`flag ${target.flag} is already off in version ${baseVersion}: no flags deployment needed`);
    return true;
  }
  const changed = {
    ...document,
    values: { ...document.values, [target.flag]: { ...document.values[target.flag], enabled: false } },
  };
  const description = `npm run rollback --to ${options.to} at ${options.now.toISOString()}`;
  const created = await appconfig.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: applicationId,
      ConfigurationProfileId: profileId,
      Content: new TextEncoder().encode(JSON.stringify(changed)),
      ContentType: 'application/json',
      Description: description,
      // Fails instead of silently overwriting if someone stored a version meanwhile.
      LatestVersionNumber: latestVersion,
    }),
  );
  actions.push(
    `stored flags version ${created.VersionNumber} (from version ${baseVersion}): ${target.flag} off`,
  );
  const strategyId = await immediateStrategy(appconfig, actions);
  const started = await appconfig.send(
    new StartDeploymentCommand({
      ...ids,
      ConfigurationProfileId: profileId,
      ConfigurationVersion: String(created.VersionNumber),
      DeploymentStrategyId: strategyId,
      Description: description,
    }),
  );
  const number = started.DeploymentNumber;
  actions.push(
    `started AppConfig deployment #${number} of version ${created.VersionNumber} (${target.meaning})`,
  );

  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const deadline = (options.waitSeconds ?? 60) * 1000;
  let state = started.State;
  for (let waited = 0; state !== 'COMPLETE' && waited < deadline; waited += 5_000) {
    if (state === 'ROLLED_BACK' || state === 'REVERTED') break;
    await sleep(5_000);
    state = (await appconfig.send(new GetDeploymentCommand({ ...ids, DeploymentNumber: number }))).State;
  }
  if (state === 'COMPLETE') {
    actions.push(
      `AppConfig deployment #${number} COMPLETE: functions see ${target.flag}=false within 30 s (flag cache)`,
    );
    return true;
  }
  actions.push(
    state === 'ROLLED_BACK' || state === 'REVERTED'
      ? `AppConfig deployment #${number} was ${state} (a monitor alarm in ALARM?): see docs/runbook.md, "Rollback", to deploy without monitors`
      : `AppConfig deployment #${number} still ${state ?? 'unknown'} after ${options.waitSeconds ?? 60} s: check it in the console`,
  );
  return false;
};

/** Stops every unfinished CodeDeploy deployment of the stage; the groups roll back to the previous version. */
const stopCodeDeploys = async (
  codedeploy: CodeDeployClient,
  r: StageResources,
  actions: string[],
): Promise<boolean> => {
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await codedeploy.send(
      new ListDeploymentGroupsCommand({ applicationName: r.codeDeployApplication, nextToken }),
    );
    groups.push(...(page.deploymentGroups ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  let ok = true;
  let stopped = 0;
  for (const group of groups) {
    const running = await codedeploy.send(
      new ListDeploymentsCommand({
        applicationName: r.codeDeployApplication,
        deploymentGroupName: group,
        includeOnlyStatuses: [...UNFINISHED_CODE_DEPLOYS],
      }),
    );
    for (const deploymentId of running.deployments ?? []) {
      try {
        const result = await codedeploy.send(
          new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }),
        );
        actions.push(
          `stopped CodeDeploy deployment ${deploymentId} of ${group} with rollback (${result.status ?? '?'})`,
        );
        stopped++;
      } catch (error) {
        ok = false;
        actions.push(
          `could not stop CodeDeploy deployment ${deploymentId} of ${group}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  if (stopped === 0 && ok) actions.push(`no CodeDeploy deployment in progress in ${groups.length} groups`);
  return ok;
};

/**
 * `npm run rollback`: the go-live plan's rollback process, step 1 ("switch feature flag"): a new flags version with
 * `live_payments` (test-mode) or `payments_enabled` (paused) off, deployed at once, and any code rollout in progress
 * stopped and rolled back. Each step is reported; a failure of the flags step does not skip the CodeDeploy step.
 */
export const runRollback = async (
  clients: RollbackClients,
  resources: StageResources,
  options: RollbackOptions,
): Promise<RollbackReport> => {
  const actions: string[] = [];
  let flagsOk = false;
  try {
    flagsOk = await rollbackFlags(clients.appconfig, resources, options, actions);
  } catch (error) {
    actions.push(
      `flags rollback FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  let codeOk = false;
  try {
    codeOk = await stopCodeDeploys(clients.codedeploy, resources, actions);
  } catch (error) {
    actions.push(
      `CodeDeploy step FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  return { actions, ok: flagsOk && codeOk };
};
