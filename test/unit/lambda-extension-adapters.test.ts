import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, SAFE_FLAGS } from '../../lambdas/shared/contract/flags';
import { DEFAULT_FRAUD_RULES } from '../../lambdas/shared/contract/fraud';
import { ServiceUnavailableError } from '../../lambdas/shared/domain/errors';
import {
  createExtensionFlags,
  createExtensionFraudRules,
} from '../../lambdas/shared/platform/extension-flags';
import { extensionPort } from '../../lambdas/shared/platform/extension-http';
import { createExtensionSecrets } from '../../lambdas/shared/platform/extension-secrets';
import { freePort } from '../../local/free-port';
import { RecordingTelemetry } from '../support/recording-telemetry';

const TOKEN = 'session-token-of-this-environment';
const PAYDUNYA_ARN =
  'arn:aws:secretsmanager:eu-west-3:111111111111:secret:temba-payments/prod/paydunya-keys-AbCdEf';
const SIGNING_ARN = 'arn:aws:secretsmanager:eu-west-3:111111111111:secret:temba-payments/prod/signing-GhIjKl';
const KEYS = { master_key: 'mk', test_private_key: 'test_private_x', test_token: 'tt' };
const SIGNING = 's'.repeat(48);
const FLAGS_PATH = '/applications/app1/environments/env1/configurations/prof1';
const FRAUD_RULES_PATH = '/applications/app1/environments/env1/configurations/rules1';

/**
 * Plays both AWS Lambda extensions on 127.0.0.1, as documented: the Parameters and Secrets extension answers
 * `GET /secretsmanager/get?secretId=` with GetSecretValue's JSON when `X-Aws-Parameters-Secrets-Token` is the
 * session token (400 without it); the AppConfig extension answers the flags document on its path.
 */
class FakeExtension {
  readonly requests: { path: string; token: string | undefined }[] = [];
  secrets = new Map<string, string>([
    [PAYDUNYA_ARN, JSON.stringify(KEYS)],
    [SIGNING_ARN, SIGNING],
  ]);
  flags: { status: number; body: string } = { status: 200, body: JSON.stringify(DEFAULT_FLAGS) };
  fraudRules = JSON.stringify(DEFAULT_FRAUD_RULES);
  /** Forced answer for every request (5xx, a hang), or undefined to behave. */
  fault: { status: number } | 'hang' | undefined;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = req.headers['x-aws-parameters-secrets-token'];
    this.requests.push({ path: url.pathname, token: typeof token === 'string' ? token : undefined });
    if (this.fault === 'hang') return;
    if (this.fault) {
      res.writeHead(this.fault.status).end('internal error');
      return;
    }
    if (url.pathname === '/secretsmanager/get') {
      if (token !== TOKEN) {
        res.writeHead(400).end('missing or invalid X-Aws-Parameters-Secrets-Token header');
        return;
      }
      const id = url.searchParams.get('secretId') ?? '';
      const value = this.secrets.get(id);
      if (value === undefined) {
        res.writeHead(404).end(`ResourceNotFoundException: Secrets Manager can't find the specified secret.`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ARN: id,
          Name: id.split(':').at(-1),
          SecretString: value,
          VersionStages: ['AWSCURRENT'],
        }),
      );
      return;
    }
    if (url.pathname === FLAGS_PATH) {
      res.writeHead(this.flags.status, { 'content-type': 'application/json' }).end(this.flags.body);
      return;
    }
    if (url.pathname === FRAUD_RULES_PATH) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(this.fraudRules);
      return;
    }
    res.writeHead(404).end('not found');
  }
}

const extension = new FakeExtension();
beforeAll(() => extension.start());
afterAll(() => extension.stop());
beforeEach(() => {
  extension.requests.length = 0;
  extension.fault = undefined;
  extension.flags = { status: 200, body: JSON.stringify(DEFAULT_FLAGS) };
  extension.fraudRules = JSON.stringify(DEFAULT_FRAUD_RULES);
});

const secretsWith = (
  overrides: Partial<Parameters<typeof createExtensionSecrets>[0]> = {},
  telemetry = new RecordingTelemetry(),
) =>
  createExtensionSecrets({
    paydunyaSecretId: PAYDUNYA_ARN,
    signingSecretId: SIGNING_ARN,
    port: extension.port,
    sessionToken: () => TOKEN,
    telemetry,
    timeoutMs: 300,
    ...overrides,
  });

describe('secrets through the AWS Parameters and Secrets Lambda Extension', () => {
  it('reads both secrets with the session token, parsed with the shared schemas', async () => {
    const secrets = secretsWith();
    expect(await secrets.paydunyaKeys()).toEqual(KEYS);
    expect(await secrets.signingSecret()).toBe(SIGNING);
    expect(extension.requests).toEqual([
      { path: '/secretsmanager/get', token: TOKEN },
      { path: '/secretsmanager/get', token: TOKEN },
    ]);
  });

  it('asks the extension once per max age, however many requests need the secret', async () => {
    let now = 0;
    const secrets = secretsWith({ nowMs: () => now, maxAgeMs: 60_000 });
    await Promise.all([secrets.paydunyaKeys(), secrets.paydunyaKeys(), secrets.paydunyaKeys()]);
    now = 59_999;
    await secrets.paydunyaKeys();
    expect(extension.requests).toHaveLength(1);
    now = 60_000;
    await secrets.paydunyaKeys();
    expect(extension.requests).toHaveLength(2);
  });

  it('without the session token the extension answers 400 and the request fails safe with 503', async () => {
    expect.assertions(3);
    const telemetry = new RecordingTelemetry();
    const secrets = secretsWith({ sessionToken: () => undefined }, telemetry);
    await expect(secrets.paydunyaKeys()).rejects.toMatchObject({ status: 503, code: 'SECRETS_UNAVAILABLE' });
    expect(extension.requests[0]?.token).toBeUndefined();
    expect(telemetry.logs.find((log) => log.level === 'error')?.attributes).toMatchObject({ status: 400 });
  });

  it('an unknown secret (404) is a 503, and the log names the secret, never a value', async () => {
    const telemetry = new RecordingTelemetry();
    const secrets = secretsWith({ signingSecretId: `${SIGNING_ARN}-gone` }, telemetry);
    await expect(secrets.signingSecret()).rejects.toBeInstanceOf(ServiceUnavailableError);
    const logged = JSON.stringify(telemetry.logs);
    expect(logged).toContain(`${SIGNING_ARN}-gone`);
    expect(logged).toContain('404');
    expect(logged).not.toContain(SIGNING);
  });

  it('a 5xx from the extension is a 503 with Retry-After, and the next request asks again', async () => {
    const secrets = secretsWith();
    extension.fault = { status: 500 };
    await expect(secrets.paydunyaKeys()).rejects.toMatchObject({ status: 503, retryAfterSeconds: 60 });
    extension.fault = undefined;
    expect(await secrets.paydunyaKeys()).toEqual(KEYS);
  });

  it('an extension that does not answer within the timeout is a 503, not a hung request', async () => {
    extension.fault = 'hang';
    const started = performance.now();
    await expect(secretsWith({ timeoutMs: 150 }).paydunyaKeys()).rejects.toMatchObject({ status: 503 });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('no extension listening at all is a 503', async () => {
    const closed = await freePort();
    await expect(secretsWith({ port: closed }).signingSecret()).rejects.toMatchObject({ status: 503 });
  });

  it('a secret of the wrong shape (a signing secret too short, keys without the master key) is a 503', async () => {
    extension.secrets.set(SIGNING_ARN, 'short');
    extension.secrets.set(PAYDUNYA_ARN, JSON.stringify({ test_token: 'x' }));
    try {
      const secrets = secretsWith();
      await expect(secrets.signingSecret()).rejects.toMatchObject({ status: 503 });
      await expect(secrets.paydunyaKeys()).rejects.toMatchObject({ status: 503 });
    } finally {
      extension.secrets.set(SIGNING_ARN, SIGNING);
      extension.secrets.set(PAYDUNYA_ARN, JSON.stringify(KEYS));
    }
  });
});

const flagsWith = (
  overrides: Partial<Parameters<typeof createExtensionFlags>[0]> = {},
  telemetry = new RecordingTelemetry(),
) =>
  createExtensionFlags({
    application: 'app1',
    environment: 'env1',
    profile: 'prof1',
    port: extension.port,
    telemetry,
    timeoutMs: 300,
    ...overrides,
  });

describe('flags through the AWS AppConfig Agent Lambda extension', () => {
  it('reads the flags document on the application/environment/profile path', async () => {
    expect(await flagsWith().get()).toEqual(DEFAULT_FLAGS);
    expect(extension.requests).toEqual([{ path: FLAGS_PATH, token: undefined }]);
  });

  it('honours a disabled flag served without its attributes, as AppConfig serves it', async () => {
    extension.flags = {
      status: 200,
      body: JSON.stringify({ ...DEFAULT_FLAGS, manual_review: { enabled: false } }),
    };
    const flags = await flagsWith().get();
    expect(flags.manual_review.enabled).toBe(false);
    expect(flags.payments_enabled.enabled).toBe(true);
  });

  it('before any good document, an unreachable extension reads as the safe flags: payments paused', async () => {
    const telemetry = new RecordingTelemetry();
    extension.fault = { status: 503 };
    expect(await flagsWith({}, telemetry).get()).toEqual(SAFE_FLAGS);
    expect(telemetry.logs.map((log) => log.level)).toEqual(['error']);
  });

  it('keeps the last good flags across a 5xx, a hang and a non-JSON answer', async () => {
    let now = 0;
    const telemetry = new RecordingTelemetry();
    const flags = flagsWith({ nowMs: () => now, maxAgeMs: 5_000, timeoutMs: 150 }, telemetry);
    const paused = { ...DEFAULT_FLAGS, payments_enabled: { enabled: false } };
    extension.flags = { status: 200, body: JSON.stringify(paused) };
    expect(await flags.get()).toEqual(paused);

    for (const fault of [{ status: 500 }, 'hang', undefined] as const) {
      now += 5_000;
      extension.fault = fault;
      if (!fault) extension.flags = { status: 200, body: '<html>not json</html>' };
      expect(await flags.get()).toEqual(paused);
    }
    expect(telemetry.logs.filter((log) => log.level === 'warn')).toHaveLength(3);
  });

  it('after a failure, serves from memory for the max age instead of waiting on the extension each request', async () => {
    let now = 0;
    extension.fault = 'hang';
    const flags = flagsWith({ nowMs: () => now, maxAgeMs: 5_000, timeoutMs: 100 });
    await flags.get();
    await flags.get();
    expect(extension.requests).toHaveLength(1);
    extension.fault = undefined;
    now = 5_000;
    expect(await flags.get()).toEqual(DEFAULT_FLAGS);
  });

  it('a served document with a broken flag reads that flag as its safe value and names it', async () => {
    const telemetry = new RecordingTelemetry();
    extension.flags = {
      status: 200,
      body: JSON.stringify({ ...DEFAULT_FLAGS, payments_enabled: { enabled: 'yes' } }),
    };
    const flags = await flagsWith({}, telemetry).get();
    expect(flags.payments_enabled).toEqual(SAFE_FLAGS.payments_enabled);
    expect(flags.manual_review).toEqual(DEFAULT_FLAGS.manual_review);
    expect(JSON.stringify(telemetry.logs)).toContain('payments_enabled (invalid)');
  });

  it('concurrent requests share one call to the extension', async () => {
    const flags = flagsWith();
    await Promise.all([flags.get(), flags.get(), flags.get()]);
    expect(extension.requests).toHaveLength(1);
  });
});

describe('fraud rules through the same AppConfig extension, their own profile', () => {
  const rulesWith = (telemetry = new RecordingTelemetry(), nowMs: () => number = Date.now) =>
    createExtensionFraudRules({
      application: 'app1',
      environment: 'env1',
      profile: 'rules1',
      port: extension.port,
      telemetry,
      timeoutMs: 300,
      nowMs,
    });

  it('reads the rules document on its profile path', async () => {
    expect(await rulesWith().get()).toEqual(DEFAULT_FRAUD_RULES);
    expect(extension.requests).toEqual([{ path: FRAUD_RULES_PATH, token: undefined }]);
  });

  it('a threshold changed in AppConfig is read once the in-process copy is older than its max age: no restart', async () => {
    let now = 0;
    const rules = rulesWith(new RecordingTelemetry(), () => now);
    expect((await rules.get()).card_testing.failures).toBe(DEFAULT_FRAUD_RULES.card_testing.failures);
    extension.fraudRules = JSON.stringify({
      ...DEFAULT_FRAUD_RULES,
      card_testing: { ...DEFAULT_FRAUD_RULES.card_testing, failures: 2 },
    });
    now = 5_000;
    expect((await rules.get()).card_testing.failures).toBe(2);
  });

  it('a broken rule reads as its default (screening stays on) and is named; a rule switched off stays off', async () => {
    const telemetry = new RecordingTelemetry();
    extension.fraudRules = JSON.stringify({
      ...DEFAULT_FRAUD_RULES,
      card_testing: { enabled: true, action: 'block', failures: 'four' },
      ip_velocity: { enabled: false },
    });
    const rules = await rulesWith(telemetry).get();
    expect(rules.card_testing).toEqual(DEFAULT_FRAUD_RULES.card_testing);
    expect(rules.ip_velocity.enabled).toBe(false);
    expect(JSON.stringify(telemetry.logs)).toContain('card_testing (invalid)');
  });

  it('before any document, an unreachable extension screens with the defaults, never with nothing', async () => {
    extension.fault = { status: 503 };
    expect(await rulesWith().get()).toEqual(DEFAULT_FRAUD_RULES);
  });
});

describe('ports of the extensions', () => {
  it('take the variable when set, the documented default otherwise, and refuse anything else', () => {
    expect(extensionPort('2800', 2773)).toBe(2800);
    expect(extensionPort(undefined, 2773)).toBe(2773);
    expect(extensionPort('', 2772)).toBe(2772);
    expect(() => extensionPort('http', 2772)).toThrow(/not a port/);
  });
});
