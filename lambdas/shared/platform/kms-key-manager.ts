import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { KeyManager } from '../domain/ports';

/**
 * Per-order data keys from KMS (envelope encryption of the customer's contact details, domain/crypto.ts).
 *
 * Why not a cached data key reused for several orders (as the AWS Encryption SDK's caching materials manager
 * does): each data key is wrapped under the encryption context `{ orderId }`, and KMS refuses to unwrap it under
 * any other context. The function that opens the contact details later (a refund paid back to the payer's
 * wallet) asks KMS with the order's own id, so a key wrapped for order A cannot be unwrapped for order B. The
 * Encryption SDK's cache is keyed by encryption context for the same reason: with a per-order context it never
 * reuses a key. Sharing keys would need a context without the order id, a change of the stored format, and would
 * lose the per-order binding that CloudTrail shows on every Decrypt. So: one GenerateDataKey per checkout
 * (~$0.000003 and a regional round trip), kept.
 */
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

/** The key manager of a deployed function: the region and credentials of its execution environment. */
export const createDeployedKmsKeyManager = (keyId: string): KeyManager =>
  createKmsKeyManager(new KMSClient({}), keyId);
