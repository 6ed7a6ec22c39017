import { getAppConfig } from '@aws-lambda-powertools/parameters/appconfig';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { flagsSchema } from '../contract/flags';
import { paydunyaKeysSchema, signingSecretSchema } from '../contract/secrets';
import type { AlertPublisher, FlagsProvider, KeyManager, SecretsProvider } from '../domain/ports';
import { alertMessage } from './alert-message';

// Secrets change only when an operator rotates them; five minutes keeps Secrets Manager calls (and cost) low.
const SECRET_CACHE_SECONDS = 300;
// Flags are the rollback switch: a short cache so "pause payments" takes effect within a minute.
const FLAGS_CACHE_SECONDS = 30;

export const createSecretsManagerSecrets = (
  paydunyaSecretId: string,
  signingSecretId: string,
): SecretsProvider => ({
  async paydunyaKeys() {
    const value = await getSecret(paydunyaSecretId, { maxAge: SECRET_CACHE_SECONDS, transform: 'json' });
    return paydunyaKeysSchema.parse(value);
  },
  async signingSecret() {
    const value = await getSecret(signingSecretId, { maxAge: SECRET_CACHE_SECONDS });
    return signingSecretSchema.parse(value);
  },
});

export const createAppConfigFlags = (
  application: string,
  environment: string,
  profile: string,
): FlagsProvider => ({
  async get() {
    const value = await getAppConfig(profile, {
      application,
      environment,
      maxAge: FLAGS_CACHE_SECONDS,
      transform: 'json',
    });
    return flagsSchema.parse(value);
  },
});

export const createSnsAlerts = (
  client: SNSClient,
  stage: string,
  topics: { readonly critical: string; readonly warning: string },
): AlertPublisher => ({
  async publish(alert) {
    const message = alertMessage(alert, stage, new Date());
    await client.send(
      new PublishCommand({
        TopicArn: topics[alert.severity],
        Subject: `[${stage}] ${alert.severity.toUpperCase()}: ${alert.type}`.slice(0, 100),
        Message: JSON.stringify(message),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: alert.type },
          severity: { DataType: 'String', StringValue: alert.severity },
        },
      }),
    );
  },
});

export const createKmsKeyManager = (client: KMSClient, keyId: string): KeyManager => ({
  async generateDataKey(context) {
    const result = await client.send(
      new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
    );
    if (!result.Plaintext || !result.CiphertextBlob) throw new Error('KMS returned no data key');
    return { plaintext: result.Plaintext, encrypted: result.CiphertextBlob, keyId: result.KeyId ?? keyId };
  },
  async decryptDataKey(encrypted, context) {
    const result = await client.send(
      new DecryptCommand({ CiphertextBlob: encrypted, KeyId: keyId, EncryptionContext: { ...context } }),
    );
    if (!result.Plaintext) throw new Error('KMS returned no plaintext');
    return result.Plaintext;
  },
});
