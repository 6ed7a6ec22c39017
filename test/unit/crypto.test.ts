import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openJson,
  paydunyaHash,
  phoneHash,
  safeEqual,
  sealJson,
  signCallback,
  verifyCallbackSignature,
} from '../../lambdas/shared/domain/crypto';
import { maskEmail, maskPhone } from '../../lambdas/shared/domain/masking';
import { createLocalKeyManager } from '../../local/local-adapters';

const secret = randomBytes(32).toString('hex');

describe('PayDunya hash', () => {
  it('is the SHA-512 hex of the master key, as in the fixtures', () => {
    expect(paydunyaHash('fixture-master-key-0000')).toBe(
      '4416add70fae7f4d0728339bdceac7b676f99c1980df678b77983f203268c5f0531e91ae054b7be8ac0889164ca3a7f1bd0fa78ee06d5a95adcdc9b3b9edb684',
    );
  });

  it('compares equal strings true and anything else false, whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
  });
});

describe('callback signature', () => {
  it('verifies for the signed order id only, and only with the same secret', () => {
    const sig = signCallback(secret, 'ORDER1');
    expect(verifyCallbackSignature(secret, 'ORDER1', sig)).toBe(true);
    expect(verifyCallbackSignature(secret, 'ORDER2', sig)).toBe(false);
    expect(verifyCallbackSignature(randomBytes(32).toString('hex'), 'ORDER1', sig)).toBe(false);
  });

  it('uses a key independent of the phone hash, though both come from one secret', () => {
    expect(signCallback(secret, '+22670123456')).not.toBe(phoneHash(secret, '+22670123456'));
  });
});

describe('envelope encryption of customer data', () => {
  const keys = createLocalKeyManager(randomBytes(32).toString('base64'));

  it('round-trips under the same context and hides the plaintext', async () => {
    const customer = { email: 'awa@example.bf', phone: '+22670123456' };
    const blob = await sealJson(keys, customer, { orderId: 'A' });
    expect(JSON.stringify(blob)).not.toContain('awa@');
    expect(await openJson(keys, blob, { orderId: 'A' })).toEqual(customer);
  });

  it('refuses to open a blob moved to another order', async () => {
    const blob = await sealJson(keys, { email: 'x@y.bf' }, { orderId: 'A' });
    await expect(openJson(keys, blob, { orderId: 'B' })).rejects.toThrow();
  });
});

describe('masking', () => {
  it('keeps just enough to recognise an email and a phone', () => {
    expect(maskEmail('awa.ouedraogo@example.bf')).toBe('a***@example.bf');
    expect(maskEmail('broken')).toBe('***');
    expect(maskPhone('+22670123456')).toBe('+226******56');
  });
});
