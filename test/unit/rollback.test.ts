import {
  AppConfigClient,
  CreateDeploymentStrategyCommand,
  CreateHostedConfigurationVersionCommand,
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
  CodeDeployClient,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadStageConfig } from '../../lib/config';
import { featureFlagsDocument } from '../../lib/constructs/feature-flags';
import { IMMEDIATE_STRATEGY, type RollbackTarget, runRollback } from '../../scripts/ops/rollback';
import { stageResources } from '../../scripts/ops/stage-resources';

const r = stageResources(loadStageConfig('prod'));
const NOW = new Date('2026-11-26T12:00:00Z');
const appconfig = mockClient(AppConfigClient);
const codedeploy = mockClient(CodeDeployClient);
const clients = {
  appconfig: new AppConfigClient({ region: r.region }),
  codedeploy: new CodeDeployClient({ region: r.region }),
};
const IDS = { ApplicationId: 'app-1', EnvironmentId: 'env-1' };
/** The flags document the CDK stack deployed as version 3 (prod: live payments on). */
const DEPLOYED = featureFlagsDocument(r.flags.expected);
/** A JSON payload as the SDK hands blobs back: bytes that can also read themselves as text. */
const encode = (value: unknown) =>
  Object.assign(new TextEncoder().encode(JSON.stringify(value)), {
    transformToString: () => JSON.stringify(value),
  });
const noWait = () => Promise.resolve();

const rollback = (to: RollbackTarget) => runRollback(clients, r, { to, now: NOW, sleep: noWait });
const storedDocument = () => {
  const input = appconfig.commandCalls(CreateHostedConfigurationVersionCommand)[0]?.args[0].input;
  const content = input?.Content;
  if (!(content instanceof Uint8Array)) throw new Error('the flags version was not sent as bytes');
  return JSON.parse(new TextDecoder().decode(content)) as typeof DEPLOYED;
};

beforeEach(() => {
  appconfig.reset();
  codedeploy.reset();
  appconfig
    .on(ListApplicationsCommand)
    .resolves({
      Items: [
        { Id: 'other', Name: 'temba-payments-staging' },
        { Id: 'app-1', Name: 'temba-payments-prod' },
      ],
    })
    .on(ListEnvironmentsCommand, { ApplicationId: 'app-1' })
    .resolves({ Items: [{ Id: 'env-1', Name: 'prod' }] })
    .on(ListConfigurationProfilesCommand, { ApplicationId: 'app-1' })
    .resolves({ Items: [{ Id: 'prof-1', Name: 'payment-flags' }] })
    .on(ListAppConfigDeploymentsCommand, IDS)
    .resolves({
      Items: [
        {
          DeploymentNumber: 7,
          State: 'COMPLETE',
          ConfigurationName: 'payment-flags',
          ConfigurationVersion: '3',
        },
      ],
    })
    .on(ListHostedConfigurationVersionsCommand)
    .resolves({ Items: [{ VersionNumber: 4 }, { VersionNumber: 3 }] })
    .on(GetHostedConfigurationVersionCommand, { VersionNumber: 3 })
    .resolves({ Content: encode(DEPLOYED), ContentType: 'application/json' })
    .on(CreateHostedConfigurationVersionCommand)
    .resolves({ VersionNumber: 5 })
    .on(ListDeploymentStrategiesCommand)
    .resolves({ Items: [{ Id: 'strat-immediate', Name: IMMEDIATE_STRATEGY.Name }] })
    .on(StartDeploymentCommand)
    .resolves({ DeploymentNumber: 8, State: 'DEPLOYING' })
    .on(GetDeploymentCommand, { DeploymentNumber: 8 })
    .resolves({ DeploymentNumber: 8, State: 'COMPLETE' });
  codedeploy
    .on(ListDeploymentGroupsCommand, { applicationName: 'temba-payments-prod' })
    .resolves({ deploymentGroups: ['create-payment', 'webhook'] })
    .on(ListDeploymentsCommand)
    .resolves({ deployments: [] });
});
afterAll(() => {
  appconfig.restore();
  codedeploy.restore();
});

describe('npm run rollback -- --stage prod --to test-mode|paused', () => {
  it('test-mode: deploys the flags in force with live_payments off, at once, and changes nothing else', async () => {
    const report = await rollback('test-mode');
    expect(report.ok).toBe(true);
    const document = storedDocument();
    expect(document.values.live_payments).toEqual({ enabled: false });
    expect({ ...document.values, live_payments: DEPLOYED.values.live_payments }).toEqual(DEPLOYED.values);
    expect(document.flags).toEqual(DEPLOYED.flags);

    const create = appconfig.commandCalls(CreateHostedConfigurationVersionCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      ApplicationId: 'app-1',
      ConfigurationProfileId: 'prof-1',
      ContentType: 'application/json',
      LatestVersionNumber: 4,
    });
    expect(appconfig.commandCalls(StartDeploymentCommand)[0]?.args[0].input).toEqual({
      ...IDS,
      ConfigurationProfileId: 'prof-1',
      ConfigurationVersion: '5',
      DeploymentStrategyId: 'strat-immediate',
      Description: 'npm run rollback --to test-mode at 2026-11-26T12:00:00.000Z',
    });
    expect(report.actions).toEqual([
      'stored flags version 5 (from version 3): live_payments off',
      'started AppConfig deployment #8 of version 5 (live payments off: new payments use PayDunya test mode)',
      'AppConfig deployment #8 COMPLETE: functions see live_payments=false within 30 s (flag cache)',
      'no CodeDeploy deployment in progress in 2 groups',
    ]);
  });

  it('paused: turns payments_enabled off and leaves live_payments as it was', async () => {
    const report = await rollback('paused');
    expect(report.ok).toBe(true);
    expect(storedDocument().values).toMatchObject({
      payments_enabled: { enabled: false },
      live_payments: { enabled: true },
    });
  });

  it('stops an in-flight CodeDeploy rollout of each group, with automatic rollback, and says so', async () => {
    codedeploy
      .on(ListDeploymentsCommand, { deploymentGroupName: 'webhook' })
      .resolves({ deployments: ['d-CANARY'] })
      .on(StopDeploymentCommand)
      .resolves({ status: 'Pending', statusMessage: 'Stop request pending' });
    const report = await rollback('test-mode');
    expect(report.ok).toBe(true);
    expect(codedeploy.commandCalls(StopDeploymentCommand).map((call) => call.args[0].input)).toEqual([
      { deploymentId: 'd-CANARY', autoRollbackEnabled: true },
    ]);
    expect(codedeploy.commandCalls(ListDeploymentsCommand)[0]?.args[0].input.includeOnlyStatuses).toEqual([
      'Created',
      'Queued',
      'InProgress',
      'Baking',
      'Ready',
    ]);
    expect(report.actions).toContain(
      'stopped CodeDeploy deployment d-CANARY of webhook with rollback (Pending)',
    );
  });

  it('stops a flags deployment still rolling out first, and builds on the last completed one', async () => {
    appconfig.on(ListAppConfigDeploymentsCommand, IDS).resolves({
      Items: [
        {
          DeploymentNumber: 9,
          State: 'BAKING',
          ConfigurationName: 'payment-flags',
          ConfigurationVersion: '4',
        },
        {
          DeploymentNumber: 7,
          State: 'COMPLETE',
          ConfigurationName: 'payment-flags',
          ConfigurationVersion: '3',
        },
      ],
    });
    const report = await rollback('paused');
    expect(appconfig.commandCalls(StopAppConfigDeploymentCommand)[0]?.args[0].input).toEqual({
      ...IDS,
      DeploymentNumber: 9,
    });
    expect(appconfig.commandCalls(GetHostedConfigurationVersionCommand)[0]?.args[0].input.VersionNumber).toBe(
      3,
    );
    expect(report.actions[0]).toBe('stopped AppConfig deployment #9 (was BAKING)');
  });

  it('creates the immediate deployment strategy once when the account has none', async () => {
    appconfig
      .on(ListDeploymentStrategiesCommand)
      .resolves({ Items: [{ Id: 'AppConfig.AllAtOnce', Name: 'AppConfig.AllAtOnce' }] })
      .on(CreateDeploymentStrategyCommand)
      .resolves({ Id: 'strat-new' });
    await rollback('test-mode');
    expect(appconfig.commandCalls(CreateDeploymentStrategyCommand)[0]?.args[0].input).toMatchObject({
      DeploymentDurationInMinutes: 0,
      FinalBakeTimeInMinutes: 0,
      GrowthFactor: 100,
    });
    expect(appconfig.commandCalls(StartDeploymentCommand)[0]?.args[0].input.DeploymentStrategyId).toBe(
      'strat-new',
    );
  });

  it('deploys nothing when the flag is already off', async () => {
    appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 3 }).resolves({
      Content: encode(featureFlagsDocument({ ...r.flags.expected, live_payments: { enabled: false } })),
    });
    const report = await rollback('test-mode');
    expect(report.ok).toBe(true);
    expect(appconfig.commandCalls(CreateHostedConfigurationVersionCommand)).toHaveLength(0);
    expect(appconfig.commandCalls(StartDeploymentCommand)).toHaveLength(0);
    expect(report.actions[0]).toBe(
      'flag live_payments is already off in version 3: no flags deployment needed',
    );
  });

  it('reports failure (exit 1) when AppConfig rolls the flag change back, and still stops the code rollout', async () => {
    appconfig
      .on(GetDeploymentCommand, { DeploymentNumber: 8 })
      .resolves({ DeploymentNumber: 8, State: 'ROLLED_BACK' });
    codedeploy
      .on(ListDeploymentsCommand, { deploymentGroupName: 'create-payment' })
      .resolves({ deployments: ['d-1'] })
      .on(StopDeploymentCommand)
      .resolves({ status: 'Succeeded' });
    const report = await rollback('test-mode');
    expect(report.ok).toBe(false);
    expect(report.actions.join('\n')).toContain('AppConfig deployment #8 was ROLLED_BACK');
    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(1);
  });

  it('fails clearly when the stage has no flags application (wrong account), and still handles CodeDeploy', async () => {
    appconfig.on(ListApplicationsCommand).resolves({ Items: [] });
    const report = await rollback('paused');
    expect(report.ok).toBe(false);
    expect(report.actions[0]).toBe(
      'flags rollback FAILED: Error: AppConfig application "temba-payments-prod" not found: wrong stage or account?',
    );
    expect(codedeploy.commandCalls(ListDeploymentGroupsCommand)).toHaveLength(1);
  });

  it('fails when a CodeDeploy deployment cannot be stopped', async () => {
    codedeploy
      .on(ListDeploymentsCommand, { deploymentGroupName: 'webhook' })
      .resolves({ deployments: ['d-2'] })
      .on(StopDeploymentCommand)
      .rejects(new Error('Deployment d-2 is already completed'));
    const report = await rollback('test-mode');
    expect(report.ok).toBe(false);
    expect(report.actions).toContain(
      'could not stop CodeDeploy deployment d-2 of webhook: Deployment d-2 is already completed',
    );
  });
});
