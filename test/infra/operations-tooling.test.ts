import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { restoreDrillInputSchema } from '../../lambdas/restore-drill/restore-drill.handler';
import { ENV } from '../../lambdas/shared/contract/env';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../lambdas/shared/contract/metrics';
import { RESTORE_DRILL } from '../../lambdas/shared/ops/restore-drill';
import { STAGES, type StageName } from '../../lib/config';
import type { PaymentFunction } from '../../lib/constructs/payment-function';
import { RESTORE_DRILL_STAGES } from '../../lib/constructs/restore-drill';
import { expectedAlarmNames } from '../../scripts/ops/expected-alarms';
import { stageResources } from '../../scripts/ops/stage-resources';
import { type SynthesizedStage, synthStage } from './support/synth-stage';
import {
  allStrings,
  inTemplate,
  logicalIdOf,
  onlyResource,
  resourcesOf,
  type Statement,
  statementsOfRole,
} from './support/template';

/**
 * The operator tooling of issue 6 against the synthesized stacks: the restore drill's function, grants, schedules
 * and alarms (staging and prod only); the resource names preflight, rollback and the drill look up; and the
 * runbook, which must cover every alarm of the prod template.
 */

const runbook = readFileSync(fileURLToPath(new URL('../../docs/runbook.md', import.meta.url)), 'utf8');

const alarmNamesOf = (s: SynthesizedStage): string[] =>
  [s.data, s.application]
    .flatMap((template) => Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')))
    .map((alarm) => String(alarm.Properties.AlarmName))
    .sort();

describe.each(STAGES)('stage %s', (stage: StageName) => {
  let synthesized: SynthesizedStage | undefined;
  const get = (): SynthesizedStage => {
    if (!synthesized) throw new Error(`stage ${stage} was not synthesised`);
    return synthesized;
  };
  beforeAll(() => {
    synthesized = synthStage(stage);
  });
  const drills = RESTORE_DRILL_STAGES.includes(stage);

  describe('restore drill', () => {
    /** The drill's function, made by ApplicationStack.addFunction('restore-drill', ...). */
    const drillFn = () => get().stacks.application.node.findChild('RestoreDrill') as PaymentFunction;
    const aliasRef = () => ({ Ref: logicalIdOf(drillFn().alias) });

    if (!drills) {
      it('dev has no restore drill: no function, no schedule, no drill alarm', () => {
        expect(get().stacks.application.restoreDrill).toBeUndefined();
        const names = Object.values(resourcesOf(get().application, 'AWS::Lambda::Function')).map(
          (fn) => fn.Properties.FunctionName,
        );
        expect(names).not.toContain(`temba-payments-${stage}-restore-drill`);
        expect(alarmNamesOf(get()).filter((name) => name.includes('restore-drill'))).toEqual([]);
      });
      return;
    }

    it('runs as its own function with the 15-minute timeout, the table and its key as configuration', () => {
      const app = get().stacks.application;
      const { Properties } = onlyResource(
        get().application,
        'AWS::Lambda::Function',
        (p) => p.FunctionName === `temba-payments-${stage}-restore-drill`,
      );
      expect(Properties.Timeout).toBe(RESTORE_DRILL.functionTimeoutSeconds);
      const env = (Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env[ENV.stage]).toBe(stage);
      expect(env[ENV.tableName]).toEqual(inTemplate(app, get().stacks.data.table.tableName));
      expect(env[ENV.tableKeyArn]).toEqual(inTemplate(app, get().stacks.data.tableKey.keyArn));
    });

    it('is granted only what the drill does: no delete or write on the payments table, scratch tables by prefix', () => {
      const app = get().stacks.application;
      const bySid = Object.fromEntries(
        statementsOfRole(get().application, logicalIdOf(drillFn().role)).map((statement: Statement) => [
          statement.Sid ?? 'XRay',
          statement,
        ]),
      );
      expect(Object.keys(bySid).sort()).toEqual(
        [
          'DrillReadsTable',
          'DrillRecords',
          'DrillScratchTables',
          'DrillTableKey',
          'WriteOwnLogs',
          'XRay',
        ].sort(),
      );
      const tableArn = inTemplate(app, get().stacks.data.table.tableArn);
      expect(bySid.DrillReadsTable).toMatchObject({
        // CDK writes actions sorted.
        Action: [
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:GetItem',
          'dynamodb:RestoreTableToPointInTime',
          'dynamodb:Scan',
        ],
        Resource: tableArn,
      });
      expect(bySid.DrillRecords).toMatchObject({
        Action: ['dynamodb:PutItem', 'dynamodb:Query'],
        Resource: tableArn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['DRILL'] } },
      });
      // Deleting, describing and writing whole tables: only scratch tables, by the drill prefix.
      expect(allStrings(bySid.DrillScratchTables?.Resource).join(' ')).toContain(
        `table/temba-payments-${stage}-drill-*`,
      );
      for (const statement of Object.values(bySid)) {
        const actions = [statement.Action].flat();
        if (
          actions.some((action) =>
            /DeleteTable|DescribeTable|DeleteItem|UpdateItem|BatchWriteItem/.test(action),
          )
        ) {
          expect(statement.Sid).toBe('DrillScratchTables');
          expect(JSON.stringify(statement.Resource)).not.toContain(JSON.stringify(tableArn));
        }
      }
      expect(bySid.DrillTableKey).toMatchObject({
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-3.amazonaws.com' } },
        Resource: inTemplate(app, get().stacks.data.tableKey.keyArn),
      });
    });

    it('is invoked on its live alias monthly (drill) and daily (watch), with inputs its handler accepts', () => {
      const rules = Object.values(resourcesOf(get().application, 'AWS::Events::Rule')).filter((rule) =>
        JSON.stringify(rule.Properties.Targets).includes(JSON.stringify(aliasRef())),
      );
      const byAction = Object.fromEntries(
        rules.map((rule) => {
          const [target] = rule.Properties.Targets as { Arn: unknown; Input: string }[];
          expect(target?.Arn).toEqual(aliasRef());
          return [restoreDrillInputSchema.parse(JSON.parse(target?.Input ?? 'null')).action, rule.Properties];
        }),
      );
      expect(rules).toHaveLength(2);
      expect(byAction.drill?.ScheduleExpression).toBe('cron(0/30 3-8 1 * ? *)');
      expect(byAction.watch?.ScheduleExpression).toBe('cron(0 9 * * ? *)');
    });

    it('alarms on a failed drill and on a missing or overdue one, on the warning topic', () => {
      const warning = { Ref: logicalIdOf(get().stacks.application.alerts.warning) };
      const alarm = (name: string) =>
        onlyResource(
          get().application,
          'AWS::CloudWatch::Alarm',
          (p) => p.AlarmName === `temba-payments-${stage}-${name}`,
        ).Properties;
      expect(alarm('restore-drill-failed')).toMatchObject({
        Namespace: METRIC_NAMESPACE,
        MetricName: METRICS.restoreDrillSucceeded,
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        Statistic: 'Minimum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [warning],
        OKActions: [warning],
      });
      expect(alarm('restore-drill-overdue')).toMatchObject({
        MetricName: METRICS.restoreDrillAgeDays,
        Statistic: 'Maximum',
        Period: 86_400,
        Threshold: RESTORE_DRILL.overdueAfterDays,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        TreatMissingData: 'breaching',
        AlarmActions: [warning],
      });
    });
  });

  describe('names the operator commands look up', () => {
    const r = () => stageResources(get().config);

    it('match the secrets, table, key alias and backup vault of the data stack', () => {
      const data = get().data;
      const secretNames = Object.values(resourcesOf(data, 'AWS::SecretsManager::Secret')).map(
        (s) => s.Properties.Name,
      );
      expect(secretNames.sort()).toEqual([r().secrets.signing, r().secrets.paydunyaKeys].sort());
      onlyResource(data, 'AWS::DynamoDB::GlobalTable', (p) => p.TableName === r().table.name);
      onlyResource(data, 'AWS::KMS::Alias', (p) => p.AliasName === r().table.keyAlias);
      // Dev keeps no AWS Backup vault (its data is disposable): the tools are told there is none.
      if (r().backupVault === undefined) expect(resourcesOf(data, 'AWS::Backup::BackupVault')).toEqual({});
      else onlyResource(data, 'AWS::Backup::BackupVault', (p) => p.BackupVaultName === r().backupVault);
    });

    it('match the topics, web ACL, AppConfig flags and CodeDeploy application of the application stack', () => {
      const app = get().application;
      const topics = Object.values(resourcesOf(app, 'AWS::SNS::Topic')).map((t) => t.Properties.TopicName);
      expect(topics.sort()).toEqual(
        [r().topics.critical, r().topics.warning].map((arn) => arn.split(':').at(-1)).sort(),
      );
      onlyResource(app, 'AWS::WAFv2::WebACL', (p) => p.Name === r().webAcl);
      for (const set of Object.values(resourcesOf(app, 'AWS::WAFv2::IPSet'))) {
        expect(r().webhookIpSets).toContain(set.Properties.Name);
      }
      onlyResource(app, 'AWS::AppConfig::Application', (p) => p.Name === r().flags.application);
      onlyResource(app, 'AWS::AppConfig::Environment', (p) => p.Name === r().flags.environment);
      onlyResource(app, 'AWS::AppConfig::ConfigurationProfile', (p) => p.Name === r().flags.profile);
      onlyResource(
        app,
        'AWS::CodeDeploy::Application',
        (p) => p.ApplicationName === r().codeDeployApplication,
      );
      expect(resourcesOf(app, 'AWS::CodeDeploy::DeploymentGroup')).not.toEqual({});
    });

    it('preflight expects exactly the alarms the templates define, all under the stage prefix', () => {
      const names = alarmNamesOf(get());
      expect(expectedAlarmNames(get().config)).toEqual(names);
      for (const name of names) expect(name.startsWith(r().alarmPrefix)).toBe(true);
      expect(new Set(names).size).toBe(names.length);
    });
  });

  if (stage === 'prod') {
    it('docs/runbook.md covers every alarm of the prod stacks, by name', () => {
      const names = alarmNamesOf(get());
      expect(names.length).toBeGreaterThan(20);
      const missing = names.filter((name) => !runbook.includes(`\`${name}\``));
      expect(missing).toEqual([]);
    });
  }
});

describe('docs/runbook.md and the alerts the code sends', () => {
  /** Every alert type the Lambda code can publish: the hyphenated names written on a `type:` line. */
  const alertTypes = (): string[] => {
    const root = fileURLToPath(new URL('../../lambdas/', import.meta.url));
    const sources = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const types = new Set<string>();
    for (const file of sources) {
      for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
        if (!/\btype: /.test(line)) continue;
        for (const [, name] of line.matchAll(/'([a-z0-9]+(?:-[a-z0-9]+)+)'/g)) types.add(name as string);
      }
    }
    return [...types].sort();
  };

  it('says what to do for every alert type the code sends', () => {
    const types = alertTypes();
    expect(types).toContain('late-payment');
    expect(types.filter((type) => !runbook.includes(`\`${type}\``))).toEqual([]);
  });
});
