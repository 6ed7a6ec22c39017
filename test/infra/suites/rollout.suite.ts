import { expect, it } from 'vitest';
import { METRICS } from '../../../lambdas/shared/contract/metrics';
import type { PaymentFunction } from '../../../lib/constructs/payment-function';
import type { SynthesizedStage } from '../support/synth-stage';
import { type CfnResourceJson, logicalIdOf, resourcesOf } from '../support/template';

/** What the world looks like for one evaluation period: a value for each metric an alarm could read. */
interface World {
  /** AWS/Lambda metrics of the version being rolled out (the `ExecutedVersion` dimension). */
  readonly newVersion: { readonly Errors: number; readonly Invocations: number };
  /** AWS/Lambda metrics of the alias as a whole (both versions during a canary). */
  readonly alias: { readonly Errors: number; readonly Invocations: number; readonly Throttles: number };
  /** Our own service metrics (payments completed, failed...), by name; absent = no datapoint. */
  readonly service: Readonly<Record<string, number>>;
}

interface MetricJson {
  readonly MetricName: string;
  readonly Namespace: string;
  readonly Dimensions?: readonly { Name: string; Value: unknown }[];
}

const metricValue = (metric: MetricJson, world: World): number | undefined => {
  if (metric.Namespace === 'AWS/Lambda') {
    const perVersion = metric.Dimensions?.some((dimension) => dimension.Name === 'ExecutedVersion');
    const source = (perVersion ? world.newVersion : world.alias) as Record<string, number>;
    return source[metric.MetricName];
  }
  return world.service[metric.MetricName];
};

/**
 * CloudWatch's evaluation of one alarm over one period, for the subset of metric math the stacks use (`IF`, `FILL`,
 * arithmetic, comparisons). Missing data is "not breaching" in every alarm involved here.
 */
const inAlarm = (alarm: CfnResourceJson, world: World): boolean => {
  const p = alarm.Properties as {
    MetricName?: string;
    Namespace?: string;
    Dimensions?: MetricJson['Dimensions'];
    Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: MetricJson } }[];
    Threshold: number;
    ComparisonOperator: string;
  };
  let value: number | undefined;
  if (p.Metrics) {
    const variables = Object.fromEntries(
      p.Metrics.flatMap((m) => (m.MetricStat ? [[m.Id, metricValue(m.MetricStat.Metric, world)]] : [])),
    );
    const expression = p.Metrics.find((m) => m.Expression)?.Expression;
    if (!expression) throw new Error('a metric-math alarm without an expression');
    const names = Object.keys(variables);
    const evaluate = new Function('IF', 'FILL', ...names, `return ${expression};`) as (
      ...args: unknown[]
    ) => number;
    value = evaluate(
      (condition: boolean, then: number, otherwise: number) => (condition ? then : otherwise),
      (series: number | undefined, fill: number) => series ?? fill,
      ...names.map((name) => variables[name]),
    );
  } else if (p.MetricName && p.Namespace) {
    value = metricValue(
      { MetricName: p.MetricName, Namespace: p.Namespace, Dimensions: p.Dimensions },
      world,
    );
  } else {
    throw new Error('an alarm on neither a metric nor metric math');
  }
  if (value === undefined) return false;
  switch (p.ComparisonOperator) {
    case 'GreaterThanThreshold':
      return value > p.Threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= p.Threshold;
    case 'LessThanThreshold':
      return value < p.Threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= p.Threshold;
    default:
      throw new Error(`comparison ${p.ComparisonOperator} not modelled`);
  }
};

const QUIET: World = {
  newVersion: { Errors: 0, Invocations: 0 },
  alias: { Errors: 0, Invocations: 0, Throttles: 0 },
  service: {},
};

/**
 * The situations a rollout meets, and whether each should stop it. Only the new version's own faults should:
 * PayDunya's outage, the old version's errors, or one unlucky request in a quiet canary must let a good version
 * through (they alert on their own alarms instead).
 */
const SITUATIONS: readonly { name: string; world: World; stopsRollout: boolean }[] = [
  {
    name: 'PayDunya is down: payments fail, the success rate collapses, the new code throws nothing',
    world: {
      newVersion: { Errors: 0, Invocations: 40 },
      alias: { Errors: 0, Invocations: 400, Throttles: 0 },
      service: {
        [METRICS.paymentCompleted]: 2,
        [METRICS.paymentFailed]: 30,
        [METRICS.paymentInitiationFailed]: 60,
      },
    },
    stopsRollout: false,
  },
  {
    name: "the previous version's errors (90 % of a canary's traffic) while the new version serves cleanly",
    world: {
      newVersion: { Errors: 0, Invocations: 30 },
      alias: { Errors: 25, Invocations: 300, Throttles: 0 },
      service: {},
    },
    stopsRollout: false,
  },
  {
    name: 'one error in the three requests a quiet canary served (too few to judge)',
    world: {
      newVersion: { Errors: 1, Invocations: 3 },
      alias: { Errors: 1, Invocations: 30, Throttles: 0 },
      service: {},
    },
    stopsRollout: false,
  },
  {
    name: 'one error in twenty requests of the new version (5 %, at the threshold, not over)',
    world: {
      newVersion: { Errors: 1, Invocations: 20 },
      alias: { Errors: 1, Invocations: 200, Throttles: 0 },
      service: {},
    },
    stopsRollout: false,
  },
  {
    name: 'the new version fails 3 of its 20 requests',
    world: {
      newVersion: { Errors: 3, Invocations: 20 },
      alias: { Errors: 3, Invocations: 200, Throttles: 0 },
      service: {},
    },
    stopsRollout: true,
  },
  { name: 'nothing at all happens', world: QUIET, stopsRollout: false },
];

/**
 * Issue 14: rollouts roll back for the new version's faults, not the world's. Every alarm of the synthesised
 * template is evaluated against each situation; the ones that stop a rollout are those in ALARM that a
 * deployment group lists.
 */
export const rolloutSuite = (get: () => SynthesizedStage): void => {
  const functions = (): readonly PaymentFunction[] => get().stacks.application.allFunctions;
  const alarms = () => resourcesOf(get().application, 'AWS::CloudWatch::Alarm');
  const rollbackAlarmsOf = (fn: PaymentFunction): string[] => {
    const group = resourcesOf(get().application, 'AWS::CodeDeploy::DeploymentGroup')[
      logicalIdOf(fn.deploymentGroup)
    ];
    if (!group) throw new Error(`${fn.functionName} has no deployment group`);
    const configured = (group.Properties.AlarmConfiguration as { Alarms: { Name: { Ref: string } }[] })
      .Alarms;
    return configured.map((alarm) => alarm.Name.Ref);
  };

  it("each function's rollout is stopped by one alarm only: its new version's error rate", () => {
    for (const fn of functions()) {
      expect(rollbackAlarmsOf(fn), fn.functionName).toEqual([logicalIdOf(fn.rollbackAlarm)]);
    }
  });

  it('the rollback alarm counts the version being rolled out under the live alias, not the alias as a whole', () => {
    for (const fn of functions()) {
      const alarm = alarms()[logicalIdOf(fn.rollbackAlarm)];
      if (!alarm) throw new Error(`${fn.functionName} has no rollback alarm`);
      const stats = (alarm.Properties.Metrics as { MetricStat?: { Metric: MetricJson } }[]).flatMap((m) =>
        m.MetricStat ? [m.MetricStat.Metric] : [],
      );
      expect(stats.map((m) => m.MetricName).sort()).toEqual(['Errors', 'Invocations']);
      // The version the live alias is being moved to, as the template names it (CDK suffixes the version's
      // logical id with a hash of the code, so it is read from the alias rather than recomputed).
      const alias = resourcesOf(get().application, 'AWS::Lambda::Alias')[logicalIdOf(fn.alias)];
      const rolledOut = alias?.Properties.FunctionVersion;
      expect(rolledOut, fn.functionName).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Version'] });
      for (const metric of stats) {
        expect(metric.Dimensions).toEqual(
          expect.arrayContaining([
            { Name: 'FunctionName', Value: { Ref: logicalIdOf(fn.fn) } },
            { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: logicalIdOf(fn.fn) }, ':live']] } },
            { Name: 'ExecutedVersion', Value: rolledOut },
          ]),
        );
      }
    }
  });

  it.each(SITUATIONS)('$name: stops the rollout = $stopsRollout', ({ world, stopsRollout }) => {
    const all = alarms();
    const firing = new Set(Object.keys(all).filter((id) => inAlarm(all[id] as CfnResourceJson, world)));
    for (const fn of functions()) {
      const stoppers = rollbackAlarmsOf(fn).filter((id) => firing.has(id));
      expect(stoppers.length > 0, fn.functionName).toBe(stopsRollout);
    }
  });

  it('the situations that must not stop a rollout still raise their own alarms (nothing is silenced)', () => {
    const all = alarms();
    const firingNames = (world: World) =>
      Object.values(all)
        .filter((alarm) => inAlarm(alarm, world))
        .map((alarm) => String(alarm.Properties.AlarmName));
    const [outage, oldVersion] = SITUATIONS;
    if (!outage || !oldVersion)
      throw new Error('the situations above start with the outage and the old version');
    expect(firingNames(outage.world).some((name) => name.endsWith('success-rate-critical'))).toBe(true);
    expect(firingNames(oldVersion.world).some((name) => name.endsWith('-errors'))).toBe(true);
  });

  it('the alarm is updated to the new version before the alias moves (the alias depends on it)', () => {
    const aliases = resourcesOf(get().application, 'AWS::Lambda::Alias');
    for (const fn of functions()) {
      const alias = aliases[logicalIdOf(fn.alias)] as CfnResourceJson & { DependsOn?: string[] };
      expect(alias.DependsOn ?? [], fn.functionName).toContain(logicalIdOf(fn.rollbackAlarm));
    }
  });
};
