import { readFile } from 'node:fs/promises';
import { flagsSchema } from '../lambdas/shared/contract/flags';
import { paydunyaKeysSchema, signingSecretSchema } from '../lambdas/shared/contract/secrets';
import type { FlagsProvider, SecretsProvider } from '../lambdas/shared/domain/ports';

/**
 * Local mode re-reads its secrets and flags files on every call (so an operator's edit applies at once). A warm
 * Lambda does not: Powertools keeps the secrets 300 s and the flags 30 s in memory (aws-adapters.ts), then the
 * adapter checks the cached value with its zod schema on every call. These providers do the same over the local
 * files, so the measured handler pays what it pays on AWS: a schema check, no I/O (first call aside).
 */
const cachedJson = (file: string, maxAgeMs: number) => {
  let value: unknown;
  let readAt = Number.NEGATIVE_INFINITY;
  return async (): Promise<unknown> => {
    if (performance.now() - readAt > maxAgeMs) {
      value = JSON.parse(await readFile(file, 'utf8'));
      readAt = performance.now();
    }
    return value;
  };
};

const SECRET_CACHE_MS = 300_000;
const FLAGS_CACHE_MS = 30_000;

export const lambdaLikeSecrets = (secretsFile: string): SecretsProvider => {
  const raw = cachedJson(secretsFile, SECRET_CACHE_MS);
  const field = async (name: string) => ((await raw()) as Record<string, unknown>)[name];
  return {
    paydunyaKeys: async () => paydunyaKeysSchema.parse(await field('paydunya')),
    signingSecret: async () => signingSecretSchema.parse(await field('signing_secret')),
  };
};

export const lambdaLikeFlags = (flagsFile: string): FlagsProvider => {
  const raw = cachedJson(flagsFile, FLAGS_CACHE_MS);
  return { get: async () => flagsSchema.parse(await raw()) };
};
