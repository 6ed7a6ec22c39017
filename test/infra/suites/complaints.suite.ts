import { describe, expect, it } from 'vitest';
import { METRIC_NAMESPACE, METRICS, SERVICE_NAME } from '../../../lambdas/shared/contract/metrics';
import { ROUTES } from '../../../lambdas/shared/contract/routes';
import { THRESHOLDS } from '../../../lambdas/shared/contract/thresholds';
import type { StageName } from '../../../lib/config';
import { complaintsRollbackCommand } from '../../../lib/constructs/customer-complaints';
import { OPERATOR_ROUTES } from '../../../lib/stacks/application-stack';
import type { SynthesizedStage } from '../support/synth-stage';
import { logicalIdOf, onlyResource, resourcesOf } from '../support/template';

/**
 * Issue 15, complaints: POST /payments/{orderId}/complaints behind IAM on the admin function, and the go-live plan's
 * rollback trigger "more than 10 complaints in an hour" as one critical alarm that fires once and is no automatic
 * rollback of anything.
 */
export const complaintsSuite = (stage: StageName, get: () => SynthesizedStage): void => {
  const app = () => get().stacks.application;
  const template = () => get().application;
  const alarmName = `temba-payments-${stage}-complaints-rollback`;
  const alarm = () => onlyResource(template(), 'AWS::CloudWatch::Alarm', (p) => p.AlarmName === alarmName);
  const criticalTopic = () => ({ Ref: logicalIdOf(app().alerts.critical) });

  describe('the route', () => {
    const method = () => {
      const { method: verb, path } = ROUTES.recordComplaint;
      const construct = app().api.api.root.resourceForPath(path).node.findChild(verb);
      const resource = resourcesOf(template(), 'AWS::ApiGateway::Method')[logicalIdOf(construct)];
      if (!resource) throw new Error(`no ${verb} ${path}`);
      return resource;
    };

    it('POST /payments/{orderId}/complaints is IAM-authorized (SigV4) and routed to the admin alias', () => {
      expect(ROUTES.recordComplaint).toEqual({
        method: 'POST',
        path: '/payments/{orderId}/complaints',
        fn: 'admin',
        auth: 'iam',
      });
      expect(OPERATOR_ROUTES).toContain('recordComplaint');
      expect(method().Properties).toMatchObject({
        HttpMethod: 'POST',
        AuthorizationType: 'AWS_IAM',
        RequestParameters: { 'method.request.path.orderId': true },
        Integration: { Type: 'AWS_PROXY' },
      });
      expect(JSON.stringify(method().Properties.Integration)).toContain(
        JSON.stringify({ Ref: logicalIdOf(app().admin.alias) }),
      );
    });

    it('requires a JSON object body before the function runs (the handler names each bad field)', () => {
      expect(method().Properties.RequestModels).toEqual({ 'application/json': expect.anything() });
      expect(method().Properties.RequestValidatorId).toEqual({ Ref: expect.stringMatching(/^ApiValidator/) });
    });
  });

  describe(`the rollback alarm ${alarmName}`, () => {
    const { rollbackAbove, periodMinutes } = THRESHOLDS.complaints;

    it(`counts ComplaintRecorded over one hour (Sum > ${rollbackAbove}, one period, missing data not breaching) and notifies the critical topic on ALARM and OK`, () => {
      expect(periodMinutes).toBe(60);
      expect(alarm().Properties).toMatchObject({
        Namespace: METRIC_NAMESPACE,
        MetricName: METRICS.complaintRecorded,
        // The total: the category breakdown is another series, which the alarm must not read.
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        Statistic: 'Sum',
        Period: 3_600,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: rollbackAbove,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [criticalTopic()],
        OKActions: [criticalTopic()],
      });
    });

    it('fires once an hour, not once per complaint: 10 in the hour is quiet, the 11th breaches, and the state holds for the hour', () => {
      const { Threshold, ComparisonOperator, Period } = alarm().Properties as {
        Threshold: number;
        ComparisonOperator: string;
        Period: number;
      };
      expect(ComparisonOperator).toBe('GreaterThanThreshold');
      const breaches = (complaintsInHour: number) => complaintsInHour > Threshold;
      expect(breaches(10)).toBe(false);
      expect(breaches(11)).toBe(true);
      // One datapoint per hour, one datapoint to alarm: complaints 12, 13, ... add to the same datapoint and keep
      // the alarm in ALARM (CloudWatch notifies on state changes only), rather than raising a message each.
      expect(Period).toBe(3_600);
      expect(alarm().Properties.EvaluationPeriods).toBe(1);
    });

    it(`says it is the go-live rollback trigger and gives the rollback command (${complaintsRollbackCommand(stage)})`, () => {
      const description = String(alarm().Properties.AlarmDescription);
      expect(description.startsWith('[critical]')).toBe(true);
      expect(description).toContain('rollback trigger');
      expect(description).toContain(`npm run rollback -- --stage ${stage} --to paused`);
    });

    it('is no CodeDeploy rollback alarm: no deployment group lists it', () => {
      const id = logicalIdOf(app().complaints.rollbackAlarm);
      for (const group of Object.values(resourcesOf(template(), 'AWS::CodeDeploy::DeploymentGroup')))
        expect(JSON.stringify(group.Properties.AlarmConfiguration ?? {})).not.toContain(id);
    });

    it('is no AppConfig monitor: it would revert the very flags rollback it calls for while it stays in ALARM', () => {
      const monitors = JSON.stringify(
        onlyResource(template(), 'AWS::AppConfig::Environment').Properties.Monitors ?? [],
      );
      expect(monitors).not.toContain(logicalIdOf(app().complaints.rollbackAlarm));
      expect(app().monitoring.criticalAlarms).not.toContain(app().complaints.rollbackAlarm);
    });

    it('shows complaints per hour by category and the alarm on the dashboard', () => {
      const body = JSON.stringify(
        onlyResource(template(), 'AWS::CloudWatch::Dashboard').Properties.DashboardBody,
      );
      expect(body).toContain('Customer complaints (per hour)');
      expect(body).toContain(METRICS.complaintRecorded);
      expect(body).toContain(
        JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(app().complaints.rollbackAlarm), 'Arn'] }),
      );
    });
  });
};
