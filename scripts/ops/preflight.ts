import { type ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import type { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import {
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { type BackupClient, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  type CodeDeployClient,
  GetDeploymentGroupCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeContinuousBackupsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  GetIPSetCommand,
  ListIPSetsCommand,
  ListResourcesForWebACLCommand,
  ListWebACLsCommand,
  type WAFV2Client,
} from '@aws-sdk/client-wafv2';
import { importJWK, type JWK } from 'jose';
import type { CustomerAuthConfig } from '../../lambdas/shared/contract/auth';
import { type Flags, flagsSchema } from '../../lambdas/shared/contract/flags';
import { PLACEHOLDER_PREFIX, signingSecretSchema } from '../../lambdas/shared/contract/secrets';
import { maskEmail, maskPhone } from '../../lambdas/shared/domain/masking';
import { DATA_REFERENCES_OUTPUT } from '../../lib/config/deploy-order';
import { PLACEHOLDER_CERTIFICATE_ID } from '../../lib/config/stage-config.schema';
import type { StageResources } from './stage-resources';

/** The read-only AWS clients preflight uses, all in the stage's region. */
export interface PreflightClients {
  readonly secrets: SecretsManagerClient;
  readonly appConfigData: AppConfigDataClient;
  readonly dynamodb: DynamoDBClient;
  readonly backup: BackupClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly waf: WAFV2Client;
  readonly codedeploy: CodeDeployClient;
  readonly cloudformation: CloudFormationClient;
  /** The custom domain's certificate (stages with a custom domain only). */
  readonly acm: ACMClient;
  /** The custom domain's hosted zone and alias record (stages whose config names a hosted zone only). */
  readonly route53: Route53Client;
  /**
   * HTTP for the identity provider's public documents (OpenID discovery, JWKS): the global `fetch` on an
   * operator's machine, a stub in tests. Absent, the identity provider is not checked (no line is printed).
   */
  readonly fetch?: typeof fetch;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface PreflightOptions {
  /** Every alarm name the stage's templates define (`expectedAlarmNames`). */
  readonly expectedAlarms: readonly string[];
  readonly now: Date;
  /** The newest backup recovery point may be at most this old (the daily backup runs at 02:00 UTC). */
  readonly backupMaxAgeHours?: number;
}

const DEFAULT_BACKUP_MAX_AGE_HOURS = 26;
/** The custom domain's certificate must stay valid at least this long (ACM renews its own 60 days ahead). */
const CERTIFICATE_MIN_VALID_DAYS = 30;
/** CodeDeploy statuses of a deployment that is not over yet. */
const UNFINISHED = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;

const pass = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });
const fail = (name: string, detail: string): CheckResult => ({ name, ok: false, detail });

/** An AWS error as one line: its name (AccessDenied, ResourceNotFoundException...) and message. */
const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Runs a check; an exception (no access, resource missing) is that check's failure, not the end of preflight. */
const check = async (
  name: string,
  run: () => Promise<CheckResult | CheckResult[]>,
): Promise<CheckResult[]> => {
  try {
    return [await run()].flat();
  } catch (error) {
    return [fail(name, describeError(error))];
  }
};

const accountOf = (arn: string | undefined): string | undefined => arn?.split(':')[4];

const paydunyaChecks = async (clients: PreflightClients, r: StageResources): Promise<CheckResult[]> => {
  const filled = 'PayDunya keys secret is filled (no placeholder)';
  const prefixes = `PayDunya key prefixes match the stage's mode (${r.paydunyaMode})`;
  const account = `Credentials are for the stage's account (${r.account})`;
  const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: r.secrets.paydunyaKeys }));
  const results: CheckResult[] = [];
  const actualAccount = accountOf(secret.ARN);
  results.push(
    actualAccount === r.account
      ? pass(account, `${actualAccount} ${r.region}`)
      : fail(
          account,
          `the secret lives in account ${actualAccount ?? '?'}: wrong credentials or wrong stage`,
        ),
  );
  let keys: Record<string, unknown>;
  try {
    keys = JSON.parse(secret.SecretString ?? '') as Record<string, unknown>;
  } catch {
    return [...results, fail(filled, 'the secret is not JSON'), fail(prefixes, 'the secret is not JSON')];
  }
  const required = ['master_key', 'test_private_key', 'test_token'];
  if (r.paydunyaMode === 'live') required.push('live_private_key', 'live_token');
  // Names only: a value, even a placeholder, is never printed.
  const unusable = required.filter((field) => {
    const value = keys[field];
    return typeof value !== 'string' || value.trim() === '' || value.startsWith(PLACEHOLDER_PREFIX);
  });
  results.push(
    unusable.length === 0
      ? pass(filled, `${required.join(', ')} set`)
      : fail(filled, `missing or still ${PLACEHOLDER_PREFIX}...: ${unusable.join(', ')}`),
  );
  const problems: string[] = [];
  const startsWith = (field: string, prefix: string) => {
    const value = keys[field];
    if (typeof value === 'string' && !value.startsWith(PLACEHOLDER_PREFIX) && !value.startsWith(prefix)) {
      problems.push(`${field} does not start with ${prefix}`);
    }
  };
  startsWith('test_private_key', 'test_private_');
  if (r.paydunyaMode === 'live') startsWith('live_private_key', 'live_private_');
  else {
    for (const field of ['live_private_key', 'live_token']) {
      const value = keys[field];
      if (typeof value === 'string' && value !== '' && !value.startsWith(PLACEHOLDER_PREFIX)) {
        problems.push(`${field} is set on a test-mode stage: live keys belong in prod only`);
      }
    }
  }
  results.push(
    problems.length === 0
      ? pass(
          prefixes,
          r.paydunyaMode === 'live' ? 'live_private_... and test_private_...' : 'test_private_...',
        )
      : fail(prefixes, problems.join('; ')),
  );
  return results;
};

const signingCheck = async (clients: PreflightClients, r: StageResources): Promise<CheckResult> => {
  const name = 'Callback-signing secret is set';
  const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: r.secrets.signing }));
  return signingSecretSchema.safeParse(secret.SecretString).success
    ? pass(name, 'generated, at least 32 characters')
    : fail(name, 'missing or shorter than 32 characters');
};

/** The flags as the functions receive them (AppConfig data plane), compared with what the stage deploys. */
const flagsCheck = async (clients: PreflightClients, r: StageResources): Promise<CheckResult> => {
  const name = 'Flags hold what the stage expects';
  const session = await clients.appConfigData.send(
    new StartConfigurationSessionCommand({
      ApplicationIdentifier: r.flags.application,
      EnvironmentIdentifier: r.flags.environment,
      ConfigurationProfileIdentifier: r.flags.profile,
      RequiredMinimumPollIntervalInSeconds: 15,
    }),
  );
  const latest = await clients.appConfigData.send(
    new GetLatestConfigurationCommand({ ConfigurationToken: session.InitialConfigurationToken }),
  );
  const parsed = flagsSchema.safeParse(
    JSON.parse(new TextDecoder().decode(latest.Configuration ?? new Uint8Array())),
  );
  if (!parsed.success) return fail(name, 'the deployed flags do not match the flags schema');
  const differing = (Object.keys(r.flags.expected) as (keyof Flags)[]).filter(
    (flag) => JSON.stringify(parsed.data[flag]) !== JSON.stringify(r.flags.expected[flag]),
  );
  const summary = `payments_enabled=${parsed.data.payments_enabled.enabled}, live_payments=${parsed.data.live_payments.enabled}`;
  return differing.length === 0
    ? pass(name, summary)
    : fail(
        name,
        differing
          .map(
            (flag) =>
              `${flag} is ${JSON.stringify(parsed.data[flag])}, expected ${JSON.stringify(r.flags.expected[flag])}`,
          )
          .join('; '),
      );
};

const pitrCheck = async (clients: PreflightClients, r: StageResources): Promise<CheckResult> => {
  const name = 'Point-in-time recovery is on';
  const result = await clients.dynamodb.send(
    new DescribeContinuousBackupsCommand({ TableName: r.table.name }),
  );
  const pitr = result.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
  return pitr?.PointInTimeRecoveryStatus === 'ENABLED'
    ? pass(name, `${r.table.name}, restorable to ${pitr.LatestRestorableDateTime?.toISOString() ?? '?'}`)
    : fail(name, `${r.table.name}: ${pitr?.PointInTimeRecoveryStatus ?? 'unknown'}`);
};

const backupCheck = async (
  clients: PreflightClients,
  r: StageResources,
  options: PreflightOptions,
): Promise<CheckResult> => {
  const hours = options.backupMaxAgeHours ?? DEFAULT_BACKUP_MAX_AGE_HOURS;
  if (r.backupVault === undefined) {
    return pass(
      'No AWS Backup vault is expected',
      `${r.stage} keeps no backup vault: its data is disposable (removal.retainData false), so it can be destroyed; ` +
        'point-in-time recovery covers it',
    );
  }
  const vault = r.backupVault;
  const name = `A backup recovery point under ${hours} h old exists`;
  const after = new Date(options.now.getTime() - hours * 3_600_000);
  let newest: Date | undefined;
  let nextToken: string | undefined;
  do {
    const page = await clients.backup.send(
      new ListRecoveryPointsByBackupVaultCommand({
        BackupVaultName: vault,
        ByResourceArn: r.table.arn,
        ByCreatedAfter: after,
        NextToken: nextToken,
      }),
    );
    for (const point of page.RecoveryPoints ?? []) {
      if (point.Status === 'COMPLETED' && point.CreationDate && (!newest || point.CreationDate > newest)) {
        newest = point.CreationDate;
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return newest
    ? pass(name, `newest completed: ${newest.toISOString()} in vault ${vault}`)
    : fail(
        name,
        `no completed recovery point of ${r.table.name} since ${after.toISOString()} in vault ${vault}`,
      );
};

const alarmChecks = async (
  clients: PreflightClients,
  r: StageResources,
  options: PreflightOptions,
): Promise<CheckResult[]> => {
  const state = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: r.alarmPrefix,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        NextToken: nextToken,
      }),
    );
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      if (alarm.AlarmName) state.set(alarm.AlarmName, alarm.StateValue ?? 'UNKNOWN');
    }
    nextToken = page.NextToken;
  } while (nextToken);
  const missing = options.expectedAlarms.filter((alarm) => !state.has(alarm));
  const firing = [...state].filter(([, value]) => value === 'ALARM').map(([alarm]) => alarm);
  return [
    missing.length === 0
      ? pass('Alarms exist', `${options.expectedAlarms.length} expected, all present`)
      : fail('Alarms exist', `missing: ${missing.join(', ')}`),
    firing.length === 0
      ? pass('No alarm is in ALARM', `${state.size} alarms checked`)
      : fail('No alarm is in ALARM', `in ALARM: ${firing.join(', ')}`),
  ];
};

const outputsOf = async (clients: PreflightClients, stackName: string): Promise<Map<string, string>> => {
  const { Stacks } = await clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Stacks?.[0]?.Outputs ?? [];
  return new Map(outputs.map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
};

/**
 * The application stack resolved the data stack's outputs when it was last deployed (Fn::GetStackOutput); each
 * value must still be one the data stack outputs now. One that is not (a key, secret or table replaced by a later
 * data deploy) means the functions run against the old one: deploy the application stack again.
 */
const dataReferencesCheck = async (clients: PreflightClients, r: StageResources): Promise<CheckResult> => {
  const name = 'Application stack reads the current data stack outputs';
  const [data, application] = await Promise.all([
    outputsOf(clients, r.stacks.data),
    outputsOf(clients, r.stacks.application),
  ]);
  const seen = application.get(DATA_REFERENCES_OUTPUT);
  if (seen === undefined) {
    return fail(
      name,
      `${r.stacks.application} has no ${DATA_REFERENCES_OUTPUT} output: deploy it (after ${r.stacks.data})`,
    );
  }
  const current = new Set(data.values());
  const stale = seen.split(' ').filter((value) => value !== '' && !current.has(value));
  return stale.length === 0
    ? pass(name, `${seen.split(' ').length} values in step with ${r.stacks.data}`)
    : fail(
        name,
        `${stale.length} value(s) no longer output by ${r.stacks.data} (${stale.join(', ')}): ` +
          `deploy ${r.stacks.application} again`,
      );
};

/** Whether a certificate name (`api.temba.app`, `*.temba.app`) covers `domain`. */
const covers = (name: string, domain: string): boolean =>
  name === domain || (name.startsWith('*.') && domain.slice(domain.indexOf('.') + 1) === name.slice(2));

/**
 * A stage with a custom domain: its ACM certificate is ISSUED, covers the domain and stays valid at least
 * CERTIFICATE_MIN_VALID_DAYS. The certificate is the configured one (`certificateArn`), or the one the application
 * stack made in the configured hosted zone (its output). With a hosted zone, the zone must also be the configured
 * one and hold the domain's alias record, pointing at the API's regional domain. Outside Route 53 the DNS record is
 * the operator's (docs/runbook.md, "First deploy"): not checked here.
 */
const customDomainChecks = async (
  clients: PreflightClients,
  r: StageResources,
  options: PreflightOptions,
): Promise<CheckResult[]> => {
  const domain = r.customDomain;
  if (domain === undefined) return [];
  const { domainName, hostedZone, certificateArn } = domain;
  const certificateName = `Certificate of ${domainName} is ISSUED and valid ${CERTIFICATE_MIN_VALID_DAYS} more days`;
  const recordName = `Route 53 zone ${hostedZone?.zoneName ?? '?'} points ${domainName} at the API`;
  const appOutputs = () => outputsOf(clients, r.stacks.application);

  const certificateCheck = async (): Promise<CheckResult> => {
    let arn = certificateArn;
    if (arn?.endsWith(`/${PLACEHOLDER_CERTIFICATE_ID}`)) {
      return fail(
        certificateName,
        `${arn} is a placeholder: request the certificate, then set its ARN in lib/config/stages.ts (docs/runbook.md, "First deploy")`,
      );
    }
    arn ??= (await appOutputs()).get(r.apiDomainOutputs.certificateArn);
    if (arn === undefined) {
      return fail(
        certificateName,
        `${r.stacks.application} has no ${r.apiDomainOutputs.certificateArn} output: deploy it`,
      );
    }
    const { Certificate: certificate } = await clients.acm.send(
      new DescribeCertificateCommand({ CertificateArn: arn }),
    );
    const names = [certificate?.DomainName, ...(certificate?.SubjectAlternativeNames ?? [])].filter(
      (name): name is string => name !== undefined,
    );
    if (certificate?.Status !== 'ISSUED') {
      return fail(
        certificateName,
        `${arn} is ${certificate?.Status ?? 'unknown'}` +
          (certificate?.Status === 'PENDING_VALIDATION'
            ? ': add the CNAME ACM shows for it at the DNS provider, and wait'
            : ''),
      );
    }
    if (!names.some((name) => covers(name, domainName))) {
      return fail(certificateName, `${arn} is for ${names.join(', ')}, not ${domainName}`);
    }
    const notAfter = certificate.NotAfter;
    const daysLeft =
      notAfter === undefined ? undefined : (notAfter.getTime() - options.now.getTime()) / 86_400_000;
    if (daysLeft === undefined || daysLeft < CERTIFICATE_MIN_VALID_DAYS) {
      return fail(
        certificateName,
        `${arn} expires ${notAfter?.toISOString() ?? '(no date)'}` +
          (certificate.RenewalEligibility === 'ELIGIBLE'
            ? ': ACM has not renewed it (is its validation CNAME still in place?)'
            : ': import or request a new one and set its ARN'),
      );
    }
    return pass(certificateName, `${arn}, valid until ${notAfter?.toISOString()}`);
  };

  const recordCheck = async (zone: { hostedZoneId: string; zoneName: string }): Promise<CheckResult> => {
    const fqdn = (name: string) => `${name.replace(/\.$/, '').toLowerCase()}.`;
    const { HostedZone } = await clients.route53.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    if (HostedZone?.Name === undefined || fqdn(HostedZone.Name) !== fqdn(zone.zoneName)) {
      return fail(
        recordName,
        `zone ${zone.hostedZoneId} is ${HostedZone?.Name ?? '?'}, not ${zone.zoneName}`,
      );
    }
    const { ResourceRecordSets } = await clients.route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        StartRecordName: domainName,
        StartRecordType: 'A',
        MaxItems: 1,
      }),
    );
    const record = ResourceRecordSets?.find(
      (set) => set.Type === 'A' && set.Name !== undefined && fqdn(set.Name) === fqdn(domainName),
    );
    if (record?.AliasTarget?.DNSName === undefined) {
      return fail(
        recordName,
        `no alias A record for ${domainName} in ${zone.zoneName}: deploy ${r.stacks.application}`,
      );
    }
    const target = (await appOutputs()).get(r.apiDomainOutputs.target);
    if (target === undefined || fqdn(record.AliasTarget.DNSName) !== fqdn(target)) {
      return fail(
        recordName,
        `${domainName} is an alias of ${record.AliasTarget.DNSName}, the API's domain is ${target ?? '(no output)'}`,
      );
    }
    return pass(recordName, `alias of ${target}`);
  };

  const groups = await Promise.all([
    check(certificateName, certificateCheck),
    ...(hostedZone ? [check(recordName, () => recordCheck(hostedZone))] : []),
  ]);
  return groups.flat();
};

const subscriptionsCheck = async (clients: PreflightClients, r: StageResources): Promise<CheckResult> => {
  const name = 'SNS subscriptions are confirmed';
  const problems: string[] = [];
  let confirmed = 0;
  for (const severity of ['critical', 'warning'] as const) {
    const endpoints = new Map<string, string>();
    let nextToken: string | undefined;
    do {
      const page = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: r.topics[severity], NextToken: nextToken }),
      );
      for (const subscription of page.Subscriptions ?? []) {
        if (subscription.Endpoint) endpoints.set(subscription.Endpoint, subscription.SubscriptionArn ?? '');
      }
      nextToken = page.NextToken;
    } while (nextToken);
    const wanted = [
      ...r.subscriptions[severity].emails.map((email) => ({ endpoint: email, shown: maskEmail(email) })),
      ...r.subscriptions[severity].sms.map((phone) => ({ endpoint: phone, shown: maskPhone(phone) })),
    ];
    for (const { endpoint, shown } of wanted) {
      const arn = endpoints.get(endpoint);
      if (arn === undefined) problems.push(`${severity}: ${shown} is not subscribed`);
      else if (!arn.startsWith('arn:')) problems.push(`${severity}: ${shown} has not confirmed (${arn})`);
      else confirmed++;
    }
    for (const [endpoint, arn] of endpoints) {
      if (!arn.startsWith('arn:') && !wanted.some((w) => w.endpoint === endpoint)) {
        problems.push(`${severity}: an unexpected subscription is pending (${arn})`);
      }
    }
  }
  return problems.length === 0 ? pass(name, `${confirmed} confirmed`) : fail(name, problems.join('; '));
};

const wafChecks = async (clients: PreflightClients, r: StageResources): Promise<CheckResult[]> => {
  const associated = 'WAF web ACL is associated with the API';
  let acl: { ARN?: string } | undefined;
  let marker: string | undefined;
  do {
    const page = await clients.waf.send(
      new ListWebACLsCommand({ Scope: 'REGIONAL', NextMarker: marker, Limit: 100 }),
    );
    acl ??= page.WebACLs?.find((candidate) => candidate.Name === r.webAcl);
    marker = page.WebACLs && page.WebACLs.length > 0 ? page.NextMarker : undefined;
  } while (marker && !acl);
  const results: CheckResult[] = [];
  if (!acl?.ARN) {
    results.push(fail(associated, `no regional web ACL named ${r.webAcl}`));
  } else {
    const resources = await clients.waf.send(
      new ListResourcesForWebACLCommand({ WebACLArn: acl.ARN, ResourceType: 'API_GATEWAY' }),
    );
    const stages = resources.ResourceArns ?? [];
    results.push(
      stages.length > 0
        ? pass(associated, `${r.webAcl} protects ${stages.join(', ')}`)
        : fail(associated, `${r.webAcl} is associated with no API Gateway stage`),
    );
  }
  if (r.webhookAllowlistRequired) {
    const name = 'Webhook IP set is not empty';
    const sets = new Map<string, string>();
    let next: string | undefined;
    do {
      const page = await clients.waf.send(
        new ListIPSetsCommand({ Scope: 'REGIONAL', NextMarker: next, Limit: 100 }),
      );
      for (const set of page.IPSets ?? []) if (set.Name && set.Id) sets.set(set.Name, set.Id);
      next = page.IPSets && page.IPSets.length > 0 ? page.NextMarker : undefined;
    } while (next);
    let addresses = 0;
    for (const setName of r.webhookIpSets) {
      const id = sets.get(setName);
      if (!id) continue;
      const set = await clients.waf.send(new GetIPSetCommand({ Name: setName, Scope: 'REGIONAL', Id: id }));
      addresses += set.IPSet?.Addresses?.length ?? 0;
    }
    results.push(
      addresses > 0
        ? pass(name, `${addresses} PayDunya source address ranges`)
        : fail(
            name,
            `no address in ${r.webhookIpSets.join(' / ')}` +
              (r.webhookAllowlistEmptyReason ? ` (config: ${r.webhookAllowlistEmptyReason})` : ''),
          ),
    );
  }
  return results;
};

/** How long preflight waits for each identity provider document. */
const IDENTITY_PROVIDER_TIMEOUT_MS = 10_000;

/** A JSON document over HTTPS; a network error, a non-2xx answer or a body that is not JSON throws, in one line. */
const fetchJson = async (fetchImpl: typeof fetch, url: string): Promise<unknown> => {
  const response = await fetchImpl(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(IDENTITY_PROVIDER_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  try {
    return (await response.json()) as unknown;
  } catch {
    throw new Error(`${url} did not answer JSON`);
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `key` can verify `alg` signatures: a signing key of the right type that jose can import for it. */
const verifiesWith = async (key: Record<string, unknown>, alg: CustomerAuthConfig['algorithms'][number]) => {
  if (key.use !== undefined && key.use !== 'sig') return false;
  if (Array.isArray(key.key_ops) && !key.key_ops.includes('verify')) return false;
  const fits =
    typeof key.alg === 'string'
      ? key.alg === alg
      : alg === 'RS256'
        ? key.kty === 'RSA'
        : key.kty === 'EC' && key.crv === 'P-256';
  if (!fits) return false;
  try {
    await importJWK({ ...(key as JWK), ext: true }, alg);
    return true;
  } catch {
    return false;
  }
};

/**
 * The identity provider the customer routes trust, as the Lambda functions will meet it: its OpenID discovery
 * document must name the configured issuer (and the configured JWKS URL), and its JWKS must hold at least one
 * key for an allowed algorithm. Otherwise every customer would get a 401. Public documents only: nothing is
 * signed, no token is made.
 */
export const identityProviderChecks = async (
  fetchImpl: typeof fetch,
  auth: CustomerAuthConfig,
): Promise<CheckResult[]> => {
  const issuerName = `Identity provider answers as the configured issuer (${auth.issuer})`;
  const keysName = `Identity provider publishes a key for ${auth.algorithms.join(' or ')}`;
  const placeholder = [auth.issuer, auth.jwksUri].find((url) => new URL(url).hostname.endsWith('.invalid'));
  if (placeholder) {
    const detail = `${new URL(placeholder).host} is a placeholder: set the stage's identity provider in lib/config/stages.ts (docs/infra-notes.md)`;
    return [fail(issuerName, detail), fail(keysName, detail)];
  }

  const discoveryUrl = `${auth.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let issuerResult: CheckResult;
  try {
    const discovery = await fetchJson(fetchImpl, discoveryUrl);
    const issuer = isRecord(discovery) ? discovery.issuer : undefined;
    const jwksUri = isRecord(discovery) ? discovery.jwks_uri : undefined;
    if (issuer !== auth.issuer) {
      issuerResult = fail(
        issuerName,
        `${discoveryUrl} names issuer ${JSON.stringify(issuer ?? null)}: tokens would carry that, and every one would be refused`,
      );
    } else if (jwksUri !== undefined && jwksUri !== auth.jwksUri) {
      issuerResult = fail(
        issuerName,
        `the provider publishes its keys at ${String(jwksUri)}, the config fetches them from ${auth.jwksUri}`,
      );
    } else {
      issuerResult = pass(issuerName, `${discoveryUrl} names this issuer and ${auth.jwksUri}`);
    }
  } catch (error) {
    issuerResult = fail(issuerName, `discovery document unavailable: ${describeError(error)}`);
  }

  let keysResult: CheckResult;
  try {
    const jwks = await fetchJson(fetchImpl, auth.jwksUri);
    const keys = isRecord(jwks) && Array.isArray(jwks.keys) ? jwks.keys.filter(isRecord) : undefined;
    if (keys === undefined) {
      keysResult = fail(keysName, `${auth.jwksUri} is not a JWKS (no "keys" array)`);
    } else if (keys.length === 0) {
      keysResult = fail(
        keysName,
        `${auth.jwksUri} holds no key (a Supabase project still signing with its shared HS256 secret publishes none)`,
      );
    } else {
      const usable: string[] = [];
      for (const key of keys) {
        for (const alg of auth.algorithms) {
          if (await verifiesWith(key, alg)) usable.push(`${alg} ${String(key.kid ?? '(no kid)')}`);
        }
      }
      const types = keys.map((key) => String(key.alg ?? key.kty ?? '?')).join(', ');
      keysResult =
        usable.length > 0
          ? pass(keysName, `${keys.length} key(s); usable: ${usable.join(', ')}`)
          : fail(keysName, `${keys.length} key(s) (${types}), none for ${auth.algorithms.join(' or ')}`);
    }
  } catch (error) {
    keysResult = fail(keysName, `JWKS unreachable: ${describeError(error)}`);
  }
  return [issuerResult, keysResult];
};

const codeDeployCheck = async (clients: PreflightClients, r: StageResources): Promise<CheckResult> => {
  const name = 'CodeDeploy deployment groups are healthy';
  const groups: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.codedeploy.send(
      new ListDeploymentGroupsCommand({ applicationName: r.codeDeployApplication, nextToken }),
    );
    groups.push(...(page.deploymentGroups ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  if (groups.length === 0)
    return fail(name, `application ${r.codeDeployApplication} has no deployment group`);
  const problems: string[] = [];
  for (const group of groups) {
    const { deploymentGroupInfo: info } = await clients.codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: r.codeDeployApplication, deploymentGroupName: group }),
    );
    if (!info?.alarmConfiguration?.enabled) problems.push(`${group}: rollback alarms are off`);
    if (!info?.autoRollbackConfiguration?.enabled) problems.push(`${group}: automatic rollback is off`);
    const last = info?.lastAttemptedDeployment;
    if (last?.status === 'Failed' || last?.status === 'Stopped') {
      problems.push(`${group}: last deployment ${last.deploymentId ?? '?'} ${last.status}`);
    }
    const running = await clients.codedeploy.send(
      new ListDeploymentsCommand({
        applicationName: r.codeDeployApplication,
        deploymentGroupName: group,
        includeOnlyStatuses: [...UNFINISHED],
      }),
    );
    for (const id of running.deployments ?? []) problems.push(`${group}: deployment ${id} still in progress`);
  }
  return problems.length === 0 ? pass(name, `${groups.length} groups`) : fail(name, problems.join('; '));
};

/**
 * The go-live checklist as read-only checks against the stage's account, and, when `clients.fetch` is given,
 * against the identity provider the customer routes trust. Every check runs (a failing one does not hide the
 * others); each AWS error is reported on its own line. Nothing is changed and no secret value is printed.
 */
export const runPreflight = async (
  clients: PreflightClients,
  resources: StageResources,
  options: PreflightOptions,
): Promise<CheckResult[]> => {
  const groups = await Promise.all([
    check('PayDunya keys secret is filled (no placeholder)', () => paydunyaChecks(clients, resources)),
    check('Callback-signing secret is set', () => signingCheck(clients, resources)),
    check('Flags hold what the stage expects', () => flagsCheck(clients, resources)),
    check('Point-in-time recovery is on', () => pitrCheck(clients, resources)),
    check('A recent backup recovery point exists', () => backupCheck(clients, resources, options)),
    check('Alarms exist', () => alarmChecks(clients, resources, options)),
    check('SNS subscriptions are confirmed', () => subscriptionsCheck(clients, resources)),
    check('WAF web ACL is associated with the API', () => wafChecks(clients, resources)),
    check('CodeDeploy deployment groups are healthy', () => codeDeployCheck(clients, resources)),
    check('Application stack reads the current data stack outputs', () =>
      dataReferencesCheck(clients, resources),
    ),
    check('Custom domain certificate and DNS', () => customDomainChecks(clients, resources, options)),
    ...(clients.fetch
      ? [
          check('Identity provider answers as the configured issuer', () =>
            identityProviderChecks(clients.fetch as typeof fetch, resources.customerAuth),
          ),
        ]
      : []),
  ]);
  return groups.flat();
};

/** The checklist as printed: one line per check, `[PASS]`/`[FAIL]`, then the verdict. */
export const formatChecklist = (stage: string, results: readonly CheckResult[]): string => {
  const failed = results.filter((result) => !result.ok).length;
  return [
    `Preflight for ${stage}`,
    ...results.map((result) => `  [${result.ok ? 'PASS' : 'FAIL'}] ${result.name}: ${result.detail}`),
    failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`,
  ].join('\n');
};
