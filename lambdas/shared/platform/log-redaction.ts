import { createHash } from 'node:crypto';
import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { SecretsProvider } from '../domain/ports';
import { correlationKeys, sensitiveValues } from './correlation';

export const REDACTED = '[REDACTED]';

/**
 * Field names whose values never reach a log line, compared without case, `-` or `_` (so `customer_email`,
 * `customerEmail` and `Customer-Email` are one name): customer contact data, PayDunya keys and tokens, the
 * signing secret, the IPN `hash`, callback signatures, credentials, complaint notes.
 */
const SECRET_FIELDS = new Set([
  'email',
  'customeremail',
  'phone',
  'customerphone',
  'customername',
  'phonehash',
  'customerencrypted',
  'masterkey',
  'privatekey',
  'testprivatekey',
  'liveprivatekey',
  'publickey',
  'testpublickey',
  'livepublickey',
  'testtoken',
  'livetoken',
  'signingsecret',
  'secret',
  'piikey',
  'hash',
  'sig',
  'signature',
  'authorization',
  'cookie',
  'password',
  'plaintext',
  // A complaint's note (support's summary, often in the customer's words): never passed to a log, and redacted if
  // it ever is.
  'note',
]);

/** `name` is a customer's name under `customer` (an item's name elsewhere is fine to log). */
const FIELDS_SECRET_UNDER: Readonly<Record<string, ReadonlySet<string>>> = {
  customer: new Set(['name']),
};

const normalise = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

const isSecretField = (key: string, parent: string | undefined): boolean => {
  const name = normalise(key);
  // Every PayDunya header (PAYDUNYA-MASTER-KEY, PAYDUNYA-PRIVATE-KEY, PAYDUNYA-TOKEN) carries a credential.
  if (SECRET_FIELDS.has(name) || name.startsWith('paydunya')) return true;
  return parent !== undefined && (FIELDS_SECRET_UNDER[normalise(parent)]?.has(name) ?? false);
};

/**
 * Patterns replaced in every string of a log line (messages, error messages and stacks included), for data that
 * slipped into free text. Burkina Faso numbers: +226 / 00226 and 8 digits, or 8 digits alone starting with 2
 * (fixed) or 5, 6, 7 (mobile), spaced or not; never inside a longer word such as an order id or a UUID.
 */
const VALUE_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, '[email]'],
  [/(?<![\w-])(?:\+|00)?226[ .-]?(?:\d[ .-]?){7}\d(?![\w-])/g, '[phone]'],
  [/(?<![\w+-])[2567]\d(?:[ .]?\d{2}){3}(?![\w-])/g, '[phone]'],
  [/(?:test|live)_(?:private|public)_[A-Za-z0-9_-]+/g, '[paydunya-key]'],
  // A customer's bearer token (a JWT: base64url JSON header, payload and signature) wherever it slips into text.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[jwt]'],
  // A SHA-512 hex digest: the IPN hash is SHA-512 of the PayDunya master key.
  [/(?<![0-9a-fA-F])[0-9a-fA-F]{128}(?![0-9a-fA-F])/g, '[hash]'],
];

/** Exact secret values known to this container (PayDunya keys, signing secret), replaced wherever they appear. */
const knownSecrets = new Set<string>();

/** Values shorter than this are not replaced in free text: too likely to be a common word or number. */
const MIN_SECRET_LENGTH = 8;

export const registerSecretValues = (values: readonly (string | undefined)[]): void => {
  for (const value of values) {
    if (value && value.length >= MIN_SECRET_LENGTH) {
      knownSecrets.add(value);
      // What PayDunya derives from the master key and sends back in every IPN.
      knownSecrets.add(createHash('sha512').update(value, 'utf8').digest('hex'));
    }
  }
};

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const redactText = (text: string, personal: ReadonlySet<string> = sensitiveValues()): string => {
  let result = text;
  for (const secret of knownSecrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of VALUE_PATTERNS) result = result.replace(pattern, replacement);
  // Then the request's own personal data (its customer's name, above all), as whole words regardless of case,
  // longest first so a full name goes before its parts.
  for (const value of [...personal].sort((a, b) => b.length - a.length)) {
    result = result.replace(
      new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegex(value)}(?![\\p{L}\\p{N}])`, 'giu'),
      REDACTED,
    );
  }
  return result;
};

const MAX_DEPTH = 12;

/**
 * A redacted deep copy of a log value: secret fields replaced by `[REDACTED]`, every string cleaned of contact
 * data and keys, errors turned into plain objects first (their message and stack are strings like any other).
 */
export const redactValue = (
  value: unknown,
  formatError: (error: Error) => unknown = (error) => ({
    name: error.name,
    message: error.message,
    stack: error.stack,
  }),
  parent?: string,
  depth = 0,
  seen: WeakSet<object> = new WeakSet(),
): unknown => {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH || seen.has(value)) return '[...]';
  seen.add(value);
  if (value instanceof Error) return redactValue(formatError(value), formatError, parent, depth + 1, seen);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value))
    return value.map((entry) => redactValue(entry, formatError, parent, depth + 1, seen));
  const copy: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    copy[key] =
      isSecretField(key, parent) && entry !== undefined && entry !== null
        ? REDACTED
        : redactValue(entry, formatError, key, depth + 1, seen);
  }
  return copy;
};

/**
 * Powertools' standard JSON layout (the keys its default formatter writes), with two additions: the request's
 * correlation keys (request id, invoice token, order id) on every line, and redaction of the whole line just
 * before it is printed. Redacting here, at the logger, covers every caller: use cases through Telemetry, errors
 * logged with their stacks, and any direct use of the logger, so no code path has to remember to mask anything.
 */
export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const line: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
      ...correlationKeys(),
      ...additional,
    };
    return new LogItem({
      attributes: redactValue(line, (error) => this.formatError(error)) as LogAttributes,
    });
  }
}

/** Secrets as they are read are also registered for redaction, so their values can never be logged verbatim. */
export const redactingSecrets = (inner: SecretsProvider): SecretsProvider => ({
  async paydunyaKeys() {
    const keys = await inner.paydunyaKeys();
    registerSecretValues([
      keys.master_key,
      keys.test_private_key,
      keys.test_token,
      keys.live_private_key,
      keys.live_token,
    ]);
    return keys;
  },
  async signingSecret() {
    const secret = await inner.signingSecret();
    registerSecretValues([secret]);
    return secret;
  },
});
