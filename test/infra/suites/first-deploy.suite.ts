import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/shared/contract/env';
import { ROUTES } from '../../../lambdas/shared/contract/routes';
import { parseStageConfig, type StageName } from '../../../lib/config';
import { STAGE_CONFIGS } from '../../../lib/config/stages';
import {
  API_CERTIFICATE_OUTPUT,
  API_DOMAIN_TARGET_OUTPUT,
  API_STAGE_NAME,
} from '../../../lib/constructs/payments-api';
import { buildPaymentsStage } from '../../../lib/payments-app';
import { stageResources } from '../../../scripts/ops/stage-resources';
import type { SynthesizedStage } from '../support/synth-stage';
import { logicalIdOf, onlyResource, resourcesOf } from '../support/template';

interface TemplateJson {
  readonly Resources: Record<string, { Type: string; DeletionPolicy?: string; Properties?: unknown }>;
  readonly Outputs: Record<string, { Value: unknown }>;
}

/** A template value as one string: `Ref`s and `Fn::GetAtt`s become `${...}`, `Fn::Join`s are joined. */
const render = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const record = value as Record<string, unknown>;
  if ('Ref' in record) return `\${${String(record.Ref)}}`;
  if ('Fn::GetAtt' in record) return `\${${(record['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
};

/** PUBLIC_BASE_URL of every function that builds callback URLs from it, rendered. */
const publicBaseUrls = (template: Template): string[] =>
  Object.values(resourcesOf(template, 'AWS::Lambda::Function'))
    .map(
      (fn) => (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
    )
    .filter((variables) => variables?.[ENV.publicBaseUrl] !== undefined)
    .map((variables) => render(variables?.[ENV.publicBaseUrl]));

/** Every `*DeletionProtection*` property anywhere in a resource's properties, as `Key=value`. */
const deletionProtections = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.flatMap(deletionProtections);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(/DeletionProtection/i.test(key) ? [`${key}=${JSON.stringify(child)}`] : []),
    ...deletionProtections(child),
  ]);
};

const cdkContext = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../../cdk.json', import.meta.url)), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** A Route 53 zone of the stage's account, as a stage using the automated path would configure it. */
const HOSTED_ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'temba.app' };

/**
 * Issue 14, "a first deploy that works": a stage without a custom domain answers on its execute-api URL (stage path
 * included); a custom domain's certificate is validated by the path its config names, so no deploy waits on a DNS
 * record; dev can be destroyed; the stages that keep data keep their backups.
 */
export const firstDeploySuite = (stage: StageName, get: () => SynthesizedStage): void => {
  const app = () => get().application.toJSON() as TemplateJson;
  const customDomain = () => get().config.api.customDomain;

  if (STAGE_CONFIGS[stage].api.customDomain === undefined) {
    describe('without a custom domain', () => {
      it('keeps the execute-api URL on and makes no domain, certificate or DNS record', () => {
        expect(onlyResource(get().application, 'AWS::ApiGateway::RestApi').Properties).toMatchObject({
          DisableExecuteApiEndpoint: false,
        });
        for (const type of [
          'AWS::ApiGateway::DomainName',
          'AWS::CertificateManager::Certificate',
          'AWS::Route53::RecordSet',
        ]) {
          expect(resourcesOf(get().application, type), type).toEqual({});
        }
      });

      it(`builds callback URLs on the execute-api URL with its stage path (/${API_STAGE_NAME})`, () => {
        const restApi = logicalIdOf(get().stacks.application.api.api);
        const base = `https://\${${restApi}}.execute-api.${get().config.env.region}.\${AWS::URLSuffix}/${API_STAGE_NAME}`;
        const bases = publicBaseUrls(get().application);
        expect(bases.length).toBeGreaterThan(0);
        for (const url of bases) expect(url).toBe(base);
        expect(render(app().Outputs.PublicBaseUrl?.Value)).toBe(base);
        expect(render(app().Outputs.WebhookUrl?.Value)).toBe(`${base}${ROUTES.paydunyaWebhook.path}`);
      });
    });
  } else {
    describe('with a custom domain', () => {
      it('switches the execute-api URL off, so TLS 1.2 and the domain cannot be bypassed', () => {
        expect(onlyResource(get().application, 'AWS::ApiGateway::RestApi').Properties).toMatchObject({
          DisableExecuteApiEndpoint: true,
        });
        expect(onlyResource(get().application, 'AWS::ApiGateway::DomainName').Properties).toMatchObject({
          DomainName: customDomain()?.domainName,
          EndpointConfiguration: { Types: ['REGIONAL'] },
          SecurityPolicy: 'TLS_1_2',
        });
      });

      it('builds callback URLs on the custom domain, without the stage path', () => {
        const base = `https://${customDomain()?.domainName}`;
        expect(new Set(publicBaseUrls(get().application))).toEqual(new Set([base]));
        expect(render(app().Outputs.WebhookUrl?.Value)).toBe(`${base}${ROUTES.paydunyaWebhook.path}`);
      });

      it('takes the certificate requested beforehand (certificateArn): no certificate for a deploy to wait on', () => {
        const arn = customDomain()?.certificateArn;
        expect(arn).toMatch(/^arn:aws:acm:/);
        expect(resourcesOf(get().application, 'AWS::CertificateManager::Certificate')).toEqual({});
        expect(
          onlyResource(get().application, 'AWS::ApiGateway::DomainName').Properties.RegionalCertificateArn,
        ).toBe(arn);
        // The record is the operator's, at Temba's DNS provider (runbook): none here.
        expect(resourcesOf(get().application, 'AWS::Route53::RecordSet')).toEqual({});
      });

      it('outputs the domain the DNS record points at and the certificate, under the names preflight reads', () => {
        const domain = onlyResource(get().application, 'AWS::ApiGateway::DomainName').logicalId;
        const names = stageResources(get().config).apiDomainOutputs;
        expect([names.target, names.certificateArn]).toEqual([
          API_DOMAIN_TARGET_OUTPUT,
          API_CERTIFICATE_OUTPUT,
        ]);
        expect(app().Outputs[names.target]?.Value).toEqual({ 'Fn::GetAtt': [domain, 'RegionalDomainName'] });
        expect(app().Outputs[names.certificateArn]?.Value).toBe(customDomain()?.certificateArn);
      });
    });

    if (stage === 'staging') {
      describe('with a custom domain in a Route 53 hosted zone (the automated path)', () => {
        let template: Template | undefined;
        const zoned = (): Template => {
          if (!template) throw new Error('the hosted-zone variant was not synthesised');
          return template;
        };
        beforeAll(() => {
          const raw = STAGE_CONFIGS.staging;
          const config = parseStageConfig(
            {
              ...raw,
              api: {
                ...raw.api,
                customDomain: { domainName: raw.api.customDomain?.domainName, hostedZone: HOSTED_ZONE },
              },
            },
            'staging (hosted zone)',
          );
          const variant = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
          const stacks = buildPaymentsStage(variant, config);
          variant.synth();
          template = Template.fromStack(stacks.application);
        }, 120_000);

        it('requests the certificate with DNS validation in the zone: CloudFormation writes the record itself', () => {
          const domainName = STAGE_CONFIGS.staging.api.customDomain?.domainName;
          const certificate = onlyResource(zoned(), 'AWS::CertificateManager::Certificate');
          expect(certificate.Properties).toMatchObject({
            DomainName: domainName,
            ValidationMethod: 'DNS',
            DomainValidationOptions: [{ DomainName: domainName, HostedZoneId: HOSTED_ZONE.hostedZoneId }],
          });
          expect(
            onlyResource(zoned(), 'AWS::ApiGateway::DomainName').Properties.RegionalCertificateArn,
          ).toEqual({ Ref: certificate.logicalId });
        });

        it("adds the domain's alias record to the API's regional domain in that zone", () => {
          const domain = onlyResource(zoned(), 'AWS::ApiGateway::DomainName').logicalId;
          expect(onlyResource(zoned(), 'AWS::Route53::RecordSet').Properties).toEqual({
            Name: `${STAGE_CONFIGS.staging.api.customDomain?.domainName}.`,
            Type: 'A',
            HostedZoneId: HOSTED_ZONE.hostedZoneId,
            AliasTarget: {
              DNSName: { 'Fn::GetAtt': [domain, 'RegionalDomainName'] },
              HostedZoneId: { 'Fn::GetAtt': [domain, 'RegionalHostedZoneId'] },
            },
          });
          expect(onlyResource(zoned(), 'AWS::ApiGateway::RestApi').Properties).toMatchObject({
            DisableExecuteApiEndpoint: true,
          });
        });
      });
    }
  }

  if (STAGE_CONFIGS[stage].removal.retainData) {
    it('keeps its AWS Backup vault (retained) and plan', () => {
      const vault = onlyResource(get().data, 'AWS::Backup::BackupVault');
      expect(vault.Properties.BackupVaultName).toBe(`temba-payments-${stage}`);
      expect(vault.DeletionPolicy).toBe('Retain');
      onlyResource(get().data, 'AWS::Backup::BackupPlan');
    });
  } else {
    describe('cdk destroy', () => {
      /**
       * Kept on purpose: API Gateway's CloudWatch role and the account setting naming it belong to the account and
       * region, shared by every REST API there; deleting them would stop the other APIs' execution logs.
       */
      const retainedOnPurpose = () => {
        const api = get().stacks.application.api.api;
        return [api.node.findChild('CloudWatchRole'), api.node.findChild('Account')].map(logicalIdOf).sort();
      };

      it('deletes every resource of both stacks, the account-level API Gateway logging role aside', () => {
        const retained = [get().data, get().application].flatMap((template) =>
          Object.entries((template.toJSON() as TemplateJson).Resources)
            .filter(([, resource]) => (resource.DeletionPolicy ?? 'Delete') !== 'Delete')
            .map(([id, resource]) => `${id} (${resource.Type}, ${resource.DeletionPolicy})`),
        );
        expect(retained.map((line) => line.split(' ')[0]).sort(), retained.join('\n')).toEqual(
          retainedOnPurpose(),
        );
      });

      it('keeps no AWS Backup vault (one holding recovery points cannot be deleted)', () => {
        expect(resourcesOf(get().data, 'AWS::Backup::BackupVault')).toEqual({});
        expect(resourcesOf(get().data, 'AWS::Backup::BackupPlan')).toEqual({});
      });

      it('has no deletion or termination protection anywhere', () => {
        const { data, application } = get().stacks;
        expect([data.terminationProtection, application.terminationProtection]).toEqual([false, false]);
        const protections = [get().data, get().application].flatMap((template) =>
          Object.values((template.toJSON() as TemplateJson).Resources).flatMap((resource) =>
            deletionProtections(resource.Properties),
          ),
        );
        for (const protection of protections) expect(protection).toMatch(/=(false|"BYPASS")$/);
      });
    });
  }
};
