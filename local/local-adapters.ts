import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import * as z from 'zod';
import { readFlags } from '../lambdas/shared/contract/flags';
import { DEFAULT_FRAUD_RULES, readFraudRules } from '../lambdas/shared/contract/fraud';
import { paydunyaKeysSchema } from '../lambdas/shared/contract/secrets';
import type {
  AlertPublisher,
  FlagsProvider,
  KeyManager,
  SecretsProvider,
} from '../lambdas/shared/domain/ports';
import type { FraudRulesProvider } from '../lambdas/shared/domain/ports-fraud';
import { alertMessage } from '../lambdas/shared/platform/alert-message';

/** The local secrets file: what Secrets Manager (and KMS, for the PII key) hold on AWS. */
export const localSecretsSchema = z.object({
  paydunya: paydunyaKeysSchema,
  signing_secret: z.string().min(32),
  /** 32 random bytes, base64: wraps the per-order data keys as KMS does on AWS. */
  pii_key: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64'),
});
export type LocalSecrets = z.infer<typeof localSecretsSchema>;

export const readLocalSecrets = async (file: string): Promise<LocalSecrets> =>
  localSecretsSchema.parse(JSON.parse(await readFile(file, 'utf8')));

export const createFileSecrets = (file: string): SecretsProvider => ({
  paydunyaKeys: async () => (await readLocalSecrets(file)).paydunya,
  signingSecret: async () => (await readLocalSecrets(file)).signing_secret,
});

/** A hand-edited document that is not JSON reads as nothing: each piece then falls back as on AWS. */
const jsonOrNothing = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Read on every call, so editing the file (for example pausing payments) takes effect at once. A hand edit that
 * breaks a flag (or the JSON) reads as that flag's safe value, with a warning naming it, as on AWS.
 */
export const createFileFlags = (
  file: string,
  warn: (line: string) => void = (line) => console.warn(line),
): FlagsProvider => ({
  async get() {
    const { flags, fallbacks } = readFlags(jsonOrNothing(await readFile(file, 'utf8')));
    if (fallbacks.length > 0) {
      warn(
        `[flags] ${file}: safe values used for ${fallbacks.map((f) => `${f.flag} (${f.reason})`).join(', ')}`,
      );
    }
    return flags;
  },
});

/**
 * The fraud rules file: what the AppConfig fraud rules profile holds on AWS, read on every call (a threshold edited
 * in the file applies to the next checkout) and rule by rule as on AWS (a broken rule reads as its default).
 */
export const createFileFraudRules = (
  file: string,
  warn: (line: string) => void = (line) => console.warn(line),
): FraudRulesProvider => ({
  async get() {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // No file yet: the defaults, as a stage deploys them.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_FRAUD_RULES;
      throw error;
    }
    const { rules, fallbacks } = readFraudRules(jsonOrNothing(text));
    if (fallbacks.length > 0) {
      warn(
        `[fraud rules] ${file}: defaults used for ${fallbacks.map((f) => `${f.rule} (${f.reason})`).join(', ')}`,
      );
    }
    return rules;
  },
});

/** Alerts go to the console and, one JSON line each, to a log file (the SNS message schema, unchanged). */
export const createLogAlerts = (
  file: string,
  stage: string,
  print: (line: string) => void = (line) => console.warn(line),
): AlertPublisher => ({
  async publish(alert) {
    const message = alertMessage(alert, stage, new Date());
    print(`[alert ${alert.severity}] ${alert.type}: ${alert.summary}`);
    await appendFile(file, `${JSON.stringify(message)}\n`, 'utf8');
  },
});

const AAD = (context: Readonly<Record<string, string>>) => Buffer.from(JSON.stringify(context), 'utf8');

/** KMS's role in local mode: data keys wrapped with AES-256-GCM under the local PII key, bound to the context. */
export const createLocalKeyManager = (piiKeyBase64: string): KeyManager => {
  const masterKey = Buffer.from(piiKeyBase64, 'base64');
  return {
    async generateDataKey(context) {
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
      cipher.setAAD(AAD(context));
      const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { plaintext, encrypted: Buffer.concat([iv, cipher.getAuthTag(), wrapped]), keyId: 'local' };
    },
    async decryptDataKey(encrypted, context) {
      const buffer = Buffer.from(encrypted);
      const decipher = createDecipheriv('aes-256-gcm', masterKey, buffer.subarray(0, 12));
      decipher.setAAD(AAD(context));
      decipher.setAuthTag(buffer.subarray(12, 28));
      return Buffer.concat([decipher.update(buffer.subarray(28)), decipher.final()]);
    },
  };
};
