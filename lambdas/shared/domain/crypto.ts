import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { EncryptedBlob } from './order';
import type { KeyManager } from './ports';

/** Constant-time comparison of two strings; unequal lengths compare false without leaking where they differ. */
export const safeEqual = (a: string, b: string): boolean => {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right) && a.length === b.length;
};

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** What PayDunya puts in `data[hash]`: the SHA-512 hex digest of the master key (API.md §5). */
export const paydunyaHash = (masterKey: string): string =>
  createHash('sha512').update(masterKey, 'utf8').digest('hex');

// One generated secret, two independent uses: derive a sub-key per purpose so neither can stand in for the other.
const subKey = (
  secret: string,
  purpose: 'callback-signature' | 'phone-hash' | 'subject-hash' | 'risk-email' | 'risk-ip',
): Buffer =>
  Buffer.from(
    hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `temba-payments/${purpose}`, 32),
  );

/** HMAC-SHA256 over the order id, carried on the callback URL so the webhook can tell its own URLs from forged ones. */
export const signCallback = (secret: string, orderId: string): string =>
  createHmac('sha256', subKey(secret, 'callback-signature')).update(orderId, 'utf8').digest('hex');

export const verifyCallbackSignature = (secret: string, orderId: string, signature: string): boolean =>
  safeEqual(signCallback(secret, orderId), signature);

/**
 * A Burkina Faso number as the checkout stores it (`+226` and 8 digits), from the forms PayDunya reports a payer's
 * number in ("70123456", "22670123456", "+226 70 12 34 56"); anything else is kept as it is (it will not match).
 */
export const normaliseBfPhone = (phone: string): string => {
  const digits = phone.replace(/[\s().-]/g, '');
  if (/^\d{8}$/.test(digits)) return `+226${digits}`;
  if (/^(00|\+)?226\d{8}$/.test(digits)) return `+226${digits.slice(-8)}`;
  return digits;
};

/** Keyed hash of a phone number: stable for lookups and limits, useless without the secret. */
export const phoneHash = (secret: string, phone: string): string =>
  createHmac('sha256', subKey(secret, 'phone-hash')).update(phone, 'utf8').digest('hex');

/** Keyed hash of a token subject: the per-account attempt limit counts by it. */
export const subjectHash = (secret: string, subject: string): string =>
  createHmac('sha256', subKey(secret, 'subject-hash')).update(subject, 'utf8').digest('hex');

/**
 * Keyed hash of an e-mail address (lower-cased) or a source IP for the fraud counters: the counters never hold the
 * values themselves, and each kind has its own sub-key so equal strings of two kinds never share a counter.
 */
export const riskHash = (secret: string, kind: 'email' | 'ip', value: string): string =>
  createHmac('sha256', subKey(secret, `risk-${kind}`))
    .update(kind === 'email' ? value.trim().toLowerCase() : value, 'utf8')
    .digest('hex');

/**
 * Envelope encryption: a fresh data key per order (wrapped by the key manager, bound to the order id through the
 * encryption context) and AES-256-GCM over the plaintext.
 */
export const sealJson = async (
  keys: KeyManager,
  value: unknown,
  context: Readonly<Record<string, string>>,
): Promise<EncryptedBlob> => {
  const dataKey = await keys.generateDataKey(context);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
  cipher.setAAD(Buffer.from(JSON.stringify(context), 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  dataKey.plaintext.fill(0);
  return {
    v: 1,
    keyId: dataKey.keyId,
    encryptedKey: Buffer.from(dataKey.encrypted).toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
};

export const openJson = async (
  keys: KeyManager,
  blob: EncryptedBlob,
  context: Readonly<Record<string, string>>,
): Promise<unknown> => {
  const key = await keys.decryptDataKey(Buffer.from(blob.encryptedKey, 'base64'), context);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(blob.iv, 'base64'));
  decipher.setAAD(Buffer.from(JSON.stringify(context), 'utf8'));
  decipher.setAuthTag(Buffer.from(blob.tag, 'base64'));
  const plaintext = Buffer.concat([
    decipher.update(Buffer.from(blob.ciphertext, 'base64')),
    decipher.final(),
  ]);
  key.fill(0);
  return JSON.parse(plaintext.toString('utf8'));
};
