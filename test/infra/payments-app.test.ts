import { beforeAll, describe } from 'vitest';
import { STAGES } from '../../lib/config';
import { applicationStackSuite } from './suites/application-stack.suite';
import { complaintsSuite } from './suites/complaints.suite';
import { complianceSuite } from './suites/compliance.suite';
import { dataStackSuite } from './suites/data-stack.suite';
import { deployOrderSuite } from './suites/deploy-order.suite';
import { eventsAndRefundsSuite } from './suites/events-and-refunds.suite';
import { firstDeploySuite } from './suites/first-deploy.suite';
import { fraudKpisSuite } from './suites/fraud-kpis.suite';
import { guardrailsSuite } from './suites/guardrails.suite';
import { operationsSuite } from './suites/operations.suite';
import { rolloutSuite } from './suites/rollout.suite';
import { type SynthesizedStage, synthStage } from './support/synth-stage';

/**
 * Every stage is synthesised once (bundling skipped, cdk-nag registered as in bin/payments.ts) and all the
 * assertions of issue 3 run against that one synthesis.
 */
describe.each(STAGES)('stage %s', (stage) => {
  let synthesized: SynthesizedStage | undefined;
  const get = (): SynthesizedStage => {
    if (!synthesized) throw new Error(`stage ${stage} was not synthesised`);
    return synthesized;
  };

  beforeAll(() => {
    synthesized = synthStage(stage);
  });

  describe('data stack', () => dataStackSuite(stage, get));
  describe('application stack', () => applicationStackSuite(stage, get));
  describe('operations (reconcile, reports, review)', () => operationsSuite(stage, get));
  describe('events, fulfilment and refunds (issue 12)', () => eventsAndRefundsSuite(stage, get));
  describe('guardrails', () => guardrailsSuite(get));
  describe('compliance: PCI DSS and Serverless findings, logs, keys, async failures (issue 14)', () =>
    complianceSuite(stage, get));
  describe('a first deploy that works, and dev destroys (issue 14)', () => firstDeploySuite(stage, get));
  describe('deploy order and cross-stack outputs (issue 14)', () => deployOrderSuite(get));
  describe("rollouts roll back for the new version's faults only (issue 14)", () => rolloutSuite(get));
  describe('complaints: an IAM route and the rollback alarm (issue 15)', () => complaintsSuite(stage, get));
  describe('fraud and complaint KPIs on the dashboard (issue 15)', () => fraudKpisSuite(get));
});
