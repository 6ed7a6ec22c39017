import { paydunyaKeysSchema, signingSecretSchema } from '../contract/secrets';
import { ServiceUnavailableError } from '../domain/errors';
import type { SecretsProvider, Telemetry } from '../domain/ports';
import { extensionGet } from './extension-http';

/** Documented default port of the AWS Parameters and Secrets Lambda Extension. */
export const SECRETS_EXTENSION_DEFAULT_PORT = 2773;
/**
 * The extension keeps each secret for its own TTL (SECRETS_MANAGER_TTL, set by the CDK: lambda-extensions.ts); this
 * is how long the function keeps the parsed value on top, so a burst of requests makes one loopback call.
 */
const IN_PROCESS_MAX_AGE_MS = 60_000;
/** Loopback call; on a cache miss the extension itself calls Secrets Manager within this budget too. */
const TIMEOUT_MS = 2_000;

export interface ExtensionSecretsOptions {
  readonly paydunyaSecretId: string;
  readonly signingSecretId: string;
  readonly port: number;
  /** The execution environment's session token (AWS_SESSION_TOKEN): the extension answers 400 without it. */
  readonly sessionToken: () => string | undefined;
  readonly telemetry: Pick<Telemetry, 'error'>;
  readonly timeoutMs?: number;
  readonly maxAgeMs?: number;
  readonly nowMs?: () => number;
}

const unavailable = () =>
  new ServiceUnavailableError(
    'Payments are temporarily unavailable. Please try again later.',
    'SECRETS_UNAVAILABLE',
    60,
  );

/**
 * Secrets Manager through the AWS Parameters and Secrets Lambda Extension: `GET /secretsmanager/get?secretId=` on
 * localhost with the `X-Aws-Parameters-Secrets-Token` header; the answer is GetSecretValue's JSON (`SecretString`).
 *
 * Fails safe: whatever goes wrong (the extension unreachable or slow, 400 for a missing token, 4xx for an unknown
 * secret or a denied read, 5xx, a value of the wrong shape) the call throws ServiceUnavailableError, so the request
 * is answered 503 with Retry-After and nothing is paid or settled without the secret; the cause is logged (never
 * the value). A value read less than `maxAgeMs` ago is reused; an expired one is never used after a failure.
 */
export const createExtensionSecrets = (options: ExtensionSecretsOptions): SecretsProvider => {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const maxAgeMs = options.maxAgeMs ?? IN_PROCESS_MAX_AGE_MS;
  const nowMs = options.nowMs ?? Date.now;
  const cache = new Map<string, { readonly value: Promise<string>; readonly at: number }>();

  const fetchSecretString = async (secretId: string): Promise<string> => {
    const token = options.sessionToken();
    const url = `http://localhost:${options.port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
    let answer: Awaited<ReturnType<typeof extensionGet>>;
    try {
      answer = await extensionGet(url, {
        timeoutMs,
        headers: token ? { 'X-Aws-Parameters-Secrets-Token': token } : {},
      });
    } catch (error) {
      options.telemetry.error('secret unavailable: the Parameters and Secrets extension did not answer', {
        secretId,
        reason: error instanceof Error ? error.message : String(error),
      });
      throw unavailable();
    }
    if (answer.status !== 200) {
      // The extension's error text names the problem (token, not found, access denied); it carries no value.
      options.telemetry.error('secret unavailable: the Parameters and Secrets extension refused', {
        secretId,
        status: answer.status,
        answer: answer.body.slice(0, 300),
      });
      throw unavailable();
    }
    let secretString: unknown;
    try {
      secretString = (JSON.parse(answer.body) as { SecretString?: unknown }).SecretString;
    } catch {
      secretString = undefined;
    }
    if (typeof secretString !== 'string') {
      options.telemetry.error('secret unavailable: the answer holds no SecretString', { secretId });
      throw unavailable();
    }
    return secretString;
  };

  const read = (secretId: string): Promise<string> => {
    const cached = cache.get(secretId);
    if (cached && nowMs() - cached.at < maxAgeMs) return cached.value;
    const value = fetchSecretString(secretId);
    cache.set(secretId, { value, at: nowMs() });
    // A failed read is not kept: the next request asks again.
    value.catch(() => {
      if (cache.get(secretId)?.value === value) cache.delete(secretId);
    });
    return value;
  };

  const parsed = async <T>(secretId: string, parse: (secretString: string) => T): Promise<T> => {
    const secretString = await read(secretId);
    try {
      return parse(secretString);
    } catch {
      options.telemetry.error('secret unusable: its value does not have the expected shape', { secretId });
      throw unavailable();
    }
  };

  return {
    paydunyaKeys: () =>
      parsed(options.paydunyaSecretId, (text) => paydunyaKeysSchema.parse(JSON.parse(text))),
    signingSecret: () => parsed(options.signingSecretId, (text) => signingSecretSchema.parse(text)),
  };
};
